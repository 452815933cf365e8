// The local connector: same contract as ssh, over child processes.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CommandTimeoutError, type HostAddress } from '../../src/connectors/connection.js';
import { connect } from '../../src/connectors/index.js';
import { ConnectError } from '../../src/core/errors.js';
import { fakeSudo } from './connectors-harness.js';

const addr = (become: HostAddress['become'] = { enabled: false, user: 'root', method: 'sudo' }): HostAddress => ({
  name: 'self', connection: 'local', host: 'localhost', port: 0, user: userInfo().username,
  identityFiles: [], useAgent: false, knownHostsFiles: [], acceptNewHostKeys: false, connectTimeoutMs: 1000, become,
});

test('local run: stdout bytes, stderr, exit code, stdin', async () => {
  const c = await connect(addr());
  assert.equal(c.label, 'self (local)');
  const r = await c.run(`printf '\\000a'; echo e >&2; exit 4`);
  assert.deepEqual([...r.stdout], [0, 97]);
  assert.equal(r.stderr, 'e\n');
  assert.equal(r.exitCode, 4);
  assert.equal((await c.run('sh -s', { stdin: 'echo from-stdin' })).stdout.toString(), 'from-stdin\n');
  await assert.rejects(c.run('sleep 5', { timeoutMs: 100 }), CommandTimeoutError);
  assert.equal(c.execCount, 3);
  await c.close();
});

test('local become shares the sudo wrapping (fake sudo on PATH)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fleetplan-local-'));
  const env = fakeSudo(dir, 'password:pw');
  const oldPath = process.env.PATH;
  process.env.PATH = env.PATH;
  process.env.FAKE_SUDO_MODE = env.FAKE_SUDO_MODE;
  t.after(() => {
    process.env.PATH = oldPath;
    delete process.env.FAKE_SUDO_MODE;
    rmSync(dir, { recursive: true, force: true });
  });
  const c = await connect(addr({ enabled: true, user: 'nobody-else', method: 'sudo', password: 'pw' }));
  assert.equal((await c.run('cat', { become: true, stdin: 'in' })).stdout.toString(), 'in');
  const noPw = await connect(addr({ enabled: true, user: 'nobody-else', method: 'sudo' }));
  await assert.rejects(noPw.run('true', { become: true }), (e: Error) => e instanceof ConnectError && /become .*self .*password is required/.test(e.message));
});
