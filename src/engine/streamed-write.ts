// A write whose bytes are a large controller file (copy above 1 MiB: ops/streamed-source.ts) cannot
// travel in a change script — a 100 MB file as octal escapes exhausted the controller's heap — so it
// runs in an exec of its own: the usual safe write (executor.ts writeScript: a fresh root-only
// directory beside the target, owner and mode first, never through a link) receiving the bytes on the
// exec's stdin, read from disk a chunk at a time with the transport's backpressure, and checked (size,
// SHA-256) on the host before the rename. Only a change whose hash differed from the host's gets here:
// a no-change run sends nothing. It never joins a batch of tasks (batch-apply.ts).
import { createReadStream } from 'node:fs';
import type { Connection } from '../connectors/connection.js';
import { oneShotCommand } from '../connectors/inline-command.js';
import type { BecomeRequest } from '../connectors/connection.js';
import type { Change, ExecOutcome } from '../ops/operation.js';
import type { SecretRegistry } from '../core/secret.js';
import { changeScript } from './executor.js';

/** The controller reads the file in chunks of this size: what it holds of it at a time (per stream). */
const CHUNK = 1024 * 1024;

export function isStreamed(c: Change): boolean {
  return c.kind === 'write' && c.write.source !== undefined;
}

/** The streamed writes among `changes`, each in its exec, in order; the first that fails stops the others. */
export async function streamWrites(conn: Connection, changes: readonly Change[], become: BecomeRequest | undefined, secrets: SecretRegistry): Promise<ExecOutcome> {
  const out: string[] = [];
  const err: string[] = [];
  for (const c of changes) {
    if (c.kind !== 'write' || !c.write.source) continue;
    const { file, size } = c.write.source;
    const script = changeScript([c]);
    // Its stdin carries the bytes, so the script travels in the exec request, which the host's process
    // list shows while it runs: never with a secret (a templated `validate`) in it.
    if (secrets.redact(script) !== script) {
      return { exitCode: 1, stdout: out.join(''), stderr: `${c.write.path}: a large file's write shows in the host's process list and its validate command holds a secret: nothing written` };
    }
    const res = await conn.run(oneShotCommand(Buffer.from(script)), {
      stdin: { open: () => createReadStream(file, { highWaterMark: CHUNK }) },
      become,
      label: `write ${c.write.path} (${size} bytes streamed from ${file})`,
    });
    out.push(res.stdout.toString('utf8'));
    err.push(res.stderr);
    if (res.exitCode !== 0) return { exitCode: res.exitCode, stdout: out.join(''), stderr: err.join('') };
  }
  return { exitCode: 0, stdout: out.join(''), stderr: err.join('') };
}
