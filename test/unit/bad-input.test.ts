// The bad-input corpus (test/bad-input/<case>/): every malformed plan, role, template, inventory or
// command line must be refused with the "invalid input" exit code, a message naming file:line:col,
// and no connection to any host.
//
// Each case directory holds plan.yml, inventory.yml (and roles/, templates/, group_vars/... as it
// needs) and expect.json:
//   { "args": ["apply" | "validate" | "verify", ...extra],
//     "file": "path/relative/to/the/case", "line": N, "col": N,   (or "where": "..." for command-line errors)
//     "message": "substring" | "/regex/" }
// The case is copied to a temporary directory where `__PORT__` is replaced, in every file, by the port
// of a TCP listener on 127.0.0.1 that every host points at; the CLI runs there (so paths in messages
// are relative to the case) and the listener must see no connection.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { runProcess } from '../run-process.js';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
// Compiled to dist/test/unit: the cases stay in the source tree, the CLI is the compiled one.
const CASES = path.resolve(here, '../../../test/bad-input');
const CLI = path.resolve(here, '../../src/cli/main.js');
const INVALID_INPUT = 4;

interface Expect {
  args: string[];
  plan?: string;
  inventory?: string;
  env?: Record<string, string>;
  file?: string;
  line?: number;
  col?: number;
  where?: string;
  message: string;
}

interface Listener {
  port: number;
  connections: () => number;
  close: () => Promise<void>;
}

async function listen(): Promise<Listener> {
  let count = 0;
  const server = net.createServer((socket) => {
    count++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => count,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Copy a case into a fresh directory with __PORT__ replaced everywhere. */
function materialize(caseDir: string, port: number): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'fleetplan-bad-input-'));
  cpSync(caseDir, dir, { recursive: true });
  for (const rel of readdirSync(dir, { recursive: true }) as string[]) {
    const p = path.join(dir, rel);
    if (!statSync(p).isFile()) continue;
    const text = readFileSync(p, 'utf8');
    if (text.includes('__PORT__')) writeFileSync(p, text.replaceAll('__PORT__', String(port)));
  }
  return dir;
}

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], cwd: string, env: Record<string, string | undefined>): Promise<Result> {
  return runProcess(process.execPath, [CLI, ...args], { cwd, env: env as NodeJS.ProcessEnv });
}

/** The CLI in `dir` with a clean environment: HOME (so ~/.ssh) inside the case, no roles path. */
async function runCase(dir: string, args: string[], extraEnv: Record<string, string> = {}): Promise<Result> {
  const env: Record<string, string | undefined> = { ...process.env, HOME: dir, NO_COLOR: '1', ...extraEnv };
  delete env.FLEETPLAN_ROLES_PATH;
  delete env.SSH_AUTH_SOCK;
  return run(args, dir, env);
}

function matches(text: string, message: string): boolean {
  const re = /^\/(.*)\/([a-z]*)$/s.exec(message);
  return re ? new RegExp(re[1]!, re[2]).test(text) : text.includes(message);
}

const caseNames = existsSync(CASES)
  ? readdirSync(CASES).filter((n) => statSync(path.join(CASES, n)).isDirectory()).sort()
  : [];

test('the bad-input corpus has at least 30 cases, each with an expect.json', () => {
  assert.ok(caseNames.length >= 30, `only ${caseNames.length} cases in ${CASES}`);
  for (const n of caseNames) assert.ok(existsSync(path.join(CASES, n, 'expect.json')), `${n}: no expect.json`);
});

test('the listener does notice a host being contacted (control: a valid plan)', async () => {
  const l = await listen();
  const dir = mkdtempSync(path.join(tmpdir(), 'fleetplan-bad-input-control-'));
  try {
    writeFileSync(path.join(dir, 'plan.yml'), 'hosts: all\ntasks:\n  - file: { path: /tmp/x, content: "x\\n" }\n');
    writeFileSync(path.join(dir, 'inventory.yml'), `all:\n  hosts:\n    web1: { ssh_host: 127.0.0.1, ssh_port: ${l.port}, ssh_password: x }\n`);
    const r = await runCase(dir, ['apply', 'plan.yml', '-i', 'inventory.yml', '--connect-timeout', '5']);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.notEqual(r.code, INVALID_INPUT, r.stderr);
    assert.ok(l.connections() > 0, `expected a connection attempt; stderr:\n${r.stderr}\nstdout:\n${r.stdout}`);
  } finally {
    await l.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('bad input is refused before any host is contacted', { concurrency: 8 }, () => {
  for (const name of caseNames) {
    test(name, async () => {
      const caseDir = path.join(CASES, name);
      const expect = JSON.parse(readFileSync(path.join(caseDir, 'expect.json'), 'utf8')) as Expect;
      assert.ok(expect.args?.length && ['apply', 'validate', 'verify'].includes(expect.args[0]!), `${name}: args must start with apply, validate or verify`);
      assert.ok(typeof expect.message === 'string' && expect.message.length >= 10, `${name}: give a meaningful message to check`);
      assert.ok(expect.file !== undefined || expect.where !== undefined, `${name}: expect.json needs file/line/col (or where: for command-line errors)`);
      if (expect.file !== undefined) assert.ok(Number.isInteger(expect.line) && Number.isInteger(expect.col), `${name}: line and col are required with file`);

      const l = await listen();
      const dir = materialize(caseDir, l.port);
      try {
        const [command, ...extra] = expect.args;
        const args = [command!, expect.plan ?? 'plan.yml', '-i', expect.inventory ?? 'inventory.yml', '--connect-timeout', '5', ...extra];
        const r = await runCase(dir, args, expect.env);
        // Give a connection that raced the exit time to be accepted.
        await new Promise((resolve) => setTimeout(resolve, 50));
        const out = `exit ${r.code}\nstderr:\n${r.stderr}\nstdout:\n${r.stdout}`;

        assert.equal(r.code, INVALID_INPUT, `${name}: expected the invalid-input exit code\n${out}`);
        assert.equal(l.connections(), 0, `${name}: a host was contacted\n${out}`);
        assert.match(r.stderr, /invalid input.*no host was contacted/, `${name}: no "invalid input" summary\n${out}`);
        assert.doesNotMatch(r.stderr, /internal error|\n\s+at /, `${name}: a crash, not an input error\n${out}`);

        const errorLines = r.stderr.split('\n').filter((s) => s.startsWith('error: '));
        if (expect.file !== undefined) {
          const where = `${expect.file}:${expect.line}:${expect.col}`;
          const hit = errorLines.find((s) => s.startsWith(`error: ${where}: `) && matches(s.slice(`error: ${where}: `.length), expect.message));
          assert.ok(hit, `${name}: no error line "error: ${where}: …${expect.message}…"\n${out}`);
        } else {
          // Command-line mistakes have no file: the message itself must name the argument.
          assert.ok(errorLines.some((s) => matches(s, expect.message)), `${name}: no error line containing ${expect.message}\n${out}`);
        }
      } finally {
        await l.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
