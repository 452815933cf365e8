// Red-team cases for the framing of host scripts (src/core/quote.ts evalWord, src/connectors/shell-session.ts):
// an operator's command, a guard or a validate string, and every script of the run, reach the host's shell as ONE
// quoted word evaluated in a subshell. Whatever bytes they hold, the session's own framing and the script around
// them survive. Runs under the controller's real /bin/sh (dash) through the local connector.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { Connection } from '../../src/connectors/connection.js';
import { connectLocal } from '../../src/connectors/local.js';
import { evalWord, MAX_COMMAND_BYTES, shQuote, shQuoteBytes } from '../../src/core/quote.js';
import { changeScript, writeScript } from '../../src/engine/executor.js';
import { commandStatusQuery } from '../../src/state/command-status.js';
import { localAddress } from '../unit/local-host.js';

/** Strings an attacker or a typo would try against the framing: quotes, markers, here-documents, NUL-free bytes. */
const nasty = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.array(fc.constantFrom("'", '"', ')', '(', '\n', '<<EOF', 'EOF', '`', '$(', '\\', '@@', ' end 0', 'exit 7', ';', '&', '|', '\x1b[2J', '\xff'), { maxLength: 20 }).map((a) => a.join('')),
).filter((s) => !s.includes('\0'));

describe('hardening: script framing', () => {
  let conn: Connection;
  before(async () => {
    conn = await connectLocal(localAddress());
  });
  after(async () => {
    await conn.close();
  });

  it('stops: any string, as a quoted word, arrives at the host as exactly those bytes (property)', async () => {
    await fc.assert(
      fc.asyncProperty(nasty, async (s) => {
        const r = await conn.script(`printf '%s' ${shQuote(s)}`);
        assert.equal(r.stdout.toString('utf8'), s);
      }),
      { numRuns: 150 },
    );
  });

  it('stops: a command string with a stray `)`, quote or unclosed here-document breaks out of evalWord (property)', async () => {
    await fc.assert(
      fc.asyncProperty(nasty, async (cmd) => {
        // Whatever the command does, the script around it goes on and prints its own line last.
        const r = await conn.script(`${evalWord(cmd)} </dev/null >/dev/null 2>&1; echo "after=$?"`);
        assert.match(r.stdout.toString(), /(^|\n)after=\d+\n$/);
      }),
      { numRuns: 150 },
    );
  });

  it('stops: a whole script with broken syntax or the framing markers takes the session down (property)', async () => {
    await fc.assert(
      fc.asyncProperty(nasty, async (script) => {
        await conn.script(script, { timeoutMs: 5000 });
        const next = await conn.script('echo alive');
        assert.equal(next.stdout.toString(), 'alive\n');
      }),
      { numRuns: 100 },
    );
    assert.equal(conn.execCount, 1, 'every script ran in the one shell: none broke it');
  });

  it('stops: a script whose bytes are not UTF-8 (or hold quotes) is changed on the way', () => {
    const bytes = Buffer.from([0x27, 0xff, 0x0a, 0x27, 0x27, 0xc3]);
    const quoted = shQuoteBytes(bytes).toString('latin1');
    assert.equal(quoted, `''\\''\xff\n'\\'''\\''\xc3'`);
  });

  it('stops: an unless: guard with an unclosed here-document hangs or fails the whole host', async () => {
    const q = commandStatusQuery('cat <<EOF\nnever closed');
    const r = await conn.script(`${q.script}\necho guard-done`);
    assert.match(r.stdout.toString(), /^\d+\nguard-done\n$/);
  });

  it('stops: a validate: command with a stray `)` leaves the temp file behind or breaks the write script', async () => {
    const dir = (await conn.script('mktemp -d')).stdout.toString().trim();
    const script = writeScript({ path: `${dir}/target`, content: Buffer.from('new\n'), validate: 'test -s %s )' });
    const r = await conn.script(`(\n${script}\n); echo "rc=$?"; ls -A ${shQuote(dir)}`);
    assert.match(r.stdout.toString(), /rc=[1-9]\d*\n$/, 'validation failed, and only the write failed');
    assert.doesNotMatch(r.stdout.toString(), /\.fleetplan\./, 'no temp file left behind');
    await conn.script(`rm -rf ${shQuote(dir)}`);
  });

  it('stops: a change command that exits or breaks syntax stops the changes after it or the frame', async () => {
    const r = await conn.script(`(\n${changeScript([
      { kind: 'run', description: 'x', command: 'exit 0 )' },
      { kind: 'run', description: 'y', command: 'echo second' },
    ])}\n); echo "rc=$?"`);
    assert.equal(r.stdout.toString(), 'rc=2\n', 'the broken command failed alone and stopped the rest');
  });

  it('stops: a command string with a NUL byte or over the length cap reaches the host', () => {
    assert.throws(() => evalWord('echo a\0b'), /NUL/);
    assert.throws(() => evalWord('x'.repeat(MAX_COMMAND_BYTES + 1)), /at most 65536/);
  });
});
