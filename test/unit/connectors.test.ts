// The SSH connector against an in-process ssh2 server: transport behaviour, host key checks, become.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, before, describe, test } from 'node:test';
import { ConnectError } from '../../src/core/errors.js';
import { CommandTimeoutError, type Connection } from '../../src/connectors/connection.js';
import { connect } from '../../src/connectors/index.js';
import { shQuote } from '../../src/core/quote.js';
import { connectSsh } from '../../src/connectors/ssh.js';
import { fakeSudo, keygen, runWithEnv, runWithSh, startServer, testAddress, type TestServer } from './connectors-harness.js';

let ts: TestServer;
before(async () => {
  ts = await startServer();
});
after(async () => {
  await ts.close();
});

/** Connect, run the body, always close. */
async function withConn<T>(over: Parameters<typeof testAddress>[1], body: (c: Connection) => Promise<T>): Promise<T> {
  const c = await connectSsh(testAddress(ts, over));
  try {
    return await body(c);
  } finally {
    await c.close();
  }
}

const sshFingerprint = (pubFile: string) => execFileSync('ssh-keygen', ['-lf', pubFile], { encoding: 'utf8' }).split(' ')[1]!;

describe('ssh run', () => {
  test('returns stdout, stderr and a non-zero exit as a result', async () => {
    await withConn({}, async (c) => {
      const r = await c.run('printf hi; echo warn >&2; exit 3');
      assert.equal(r.stdout.toString(), 'hi');
      assert.equal(r.stderr, 'warn\n');
      assert.equal(r.exitCode, 3);
      assert.equal(typeof r.ms, 'number');
      assert.equal(c.label, `web1 (tester@127.0.0.1:${ts.port})`);
    });
  });

  test('stdout is binary-safe', async () => {
    await withConn({}, async (c) => {
      const r = await c.run(`printf '\\000\\377\\001\\200'`);
      assert.deepEqual([...r.stdout], [0, 255, 1, 128]);
    });
  });

  test('a 300 KB script on stdin runs through sh -s', async () => {
    const script = 'x=0\n' + 'x=$((x+1)) # padding padding padding\n'.repeat(9000) + 'echo "$x"\n';
    assert.ok(script.length > 300_000);
    await withConn({}, async (c) => {
      const r = await c.run('sh -s', { stdin: script });
      assert.equal(r.stderr, '');
      assert.equal(r.stdout.toString(), '9000\n');
    });
  });

  test('commands not reading stdin still finish (stdin gets EOF)', async () => {
    await withConn({}, async (c) => {
      assert.equal((await c.run('cat')).stdout.length, 0);
    });
  });

  test('many runs share one TCP connection', async () => {
    const before = ts.connections;
    await withConn({}, async (c) => {
      for (let i = 0; i < 15; i++) assert.equal((await c.run(`echo ${i}`)).stdout.toString(), `${i}\n`);
      assert.equal(c.execCount, 15);
    });
    assert.equal(ts.connections - before, 1);
    assert.match(ts.kex.at(-1)!, /^curve25519-sha256/, 'never the slow DH group exchange');
  });

  test('20 concurrent runs all succeed, at most 8 channels at once', async () => {
    let open = 0;
    let peak = 0;
    ts.handler = (cmd, stream, rec) => {
      open++;
      peak = Math.max(peak, open);
      // Counted free when the server ends the channel, before its close goes out: the server's own
      // 'close' event can come after the client, already told, opened the next channel.
      let ended = false;
      const release = () => {
        if (!ended) open--;
        ended = true;
      };
      const end = stream.end.bind(stream);
      stream.end = ((...args: Parameters<typeof end>) => (release(), end(...args))) as typeof stream.end;
      stream.on('close', release);
      runWithSh(cmd, stream, rec);
    };
    try {
      await withConn({}, async (c) => {
        const rs = await Promise.all(Array.from({ length: 20 }, (_, i) => c.run(`sleep 0.1; echo ${i}`)));
        rs.forEach((r, i) => assert.equal(r.stdout.toString(), `${i}\n`));
      });
      assert.ok(peak <= 8, `peak ${peak}`);
      assert.ok(peak >= 2, `runs were not concurrent (peak ${peak})`);
    } finally {
      ts.handler = runWithSh;
    }
  });

  test('timeout rejects naming the host, and the connection stays usable', async () => {
    await withConn({}, async (c) => {
      await assert.rejects(c.run('sleep 5', { timeoutMs: 200 }), (e: Error) => {
        assert.ok(e instanceof CommandTimeoutError);
        assert.match(e.message, /timed out after 200 ms on web1 /);
        return true;
      });
      assert.equal((await c.run('echo ok')).stdout.toString(), 'ok\n');
    });
  });

  test('a connection dropped mid-command rejects with ConnectError naming the host', async () => {
    await withConn({}, async (c) => {
      const p = c.run('sleep 5');
      const queued = Array.from({ length: 10 }, () => c.run('sleep 5'));
      setTimeout(() => ts.dropAll(), 300);
      for (const run of [p, ...queued]) {
        await assert.rejects(run, (e: Error) => e instanceof ConnectError && /web1/.test(e.message) && /lost/.test(e.message));
      }
      await assert.rejects(c.run('true'), ConnectError);
    });
  });

  test('connect() dispatches ssh addresses to the ssh connector', async () => {
    const c = await connect(testAddress(ts));
    assert.equal((await c.run('echo via-index')).stdout.toString(), 'via-index\n');
    await c.close();
  });

  test('shQuote survives the remote shell too', async () => {
    const nasty = `it's "$(rm -rf /)"; \`id\` \\n\n$HOME * ?`;
    await withConn({}, async (c) => {
      assert.equal((await c.run(`printf %s ${shQuote(nasty)}`)).stdout.toString(), nasty);
    });
  });
});

describe('ssh connect failures', () => {
  test('connection refused names host and cause', async () => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const port = (srv.address() as AddressInfo).port;
    await new Promise<void>((r) => srv.close(() => r()));
    await assert.rejects(connectSsh(testAddress(ts, { port })), (e: Error) => {
      assert.ok(e instanceof ConnectError);
      assert.equal(e.message, `cannot connect to web1 (tester@127.0.0.1:${port}): connection refused`);
      return true;
    });
  });

  test('wrong key: authentication failure names the user and what was tried', async () => {
    const other = keygen(ts.dir, `other_${Date.now()}`);
    await assert.rejects(connectSsh(testAddress(ts, { identityFiles: [other] })), (e: Error) =>
      e instanceof ConnectError && /web1/.test(e.message) && /authentication failed for user tester/.test(e.message) && e.message.includes(other),
    );
  });

  test('passphrase-protected key without passphrase is a clear error', async () => {
    const enc = keygen(ts.dir, `enc_${Date.now()}`, 'ed25519', 'secret');
    await assert.rejects(connectSsh(testAddress(ts, { identityFiles: [enc] })), (e: Error) =>
      e instanceof ConnectError && /web1/.test(e.message) && e.message.includes(`${enc} is passphrase-protected`),
    );
  });
});

describe('host key verification', () => {
  test('unknown host key: fails with the fingerprint and the line to add', async () => {
    const addr = testAddress(ts, {}, false);
    await assert.rejects(connectSsh(addr), (e: Error) => {
      assert.ok(e instanceof ConnectError);
      assert.match(e.message, /web1/);
      assert.ok(e.message.includes(sshFingerprint(join(ts.dir, 'host_key.pub'))), e.message);
      assert.ok(e.message.includes(ts.knownHostsLine()), e.message);
      return true;
    });
    assert.equal(readFileSync(addr.knownHostsFiles[0]!, 'utf8'), '', 'nothing written without acceptNewHostKeys');
  });

  test('changed host key: HOST KEY CHANGED with both fingerprints', async () => {
    const other = keygen(ts.dir, `otherhost_${Date.now()}`);
    const otherPub = readFileSync(`${other}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
    const addr = testAddress(ts, {}, false);
    writeFileSync(addr.knownHostsFiles[0]!, `[127.0.0.1]:${ts.port} ${otherPub}\n`);
    await assert.rejects(connectSsh(addr), (e: Error) => {
      assert.match(e.message, /HOST KEY CHANGED for 127\.0\.0\.1/);
      assert.ok(e.message.includes(sshFingerprint(`${other}.pub`)), 'known fingerprint');
      assert.ok(e.message.includes(sshFingerprint(join(ts.dir, 'host_key.pub'))), 'presented fingerprint');
      return true;
    });
  });

  test('a hashed known_hosts entry (ssh-keygen -H) matches', async () => {
    const addr = testAddress(ts);
    execFileSync('ssh-keygen', ['-q', '-H', '-f', addr.knownHostsFiles[0]!], { stdio: 'ignore' });
    assert.match(readFileSync(addr.knownHostsFiles[0]!, 'utf8'), /^\|1\|/);
    const c = await connectSsh(addr);
    await c.close();
  });

  test('acceptNewHostKeys writes the line; the next connect succeeds without it', async () => {
    const addr = testAddress(ts, { acceptNewHostKeys: true }, false);
    writeFileSync(addr.knownHostsFiles[0]!, '# no newline at end');
    await (await connectSsh(addr)).close();
    assert.equal(readFileSync(addr.knownHostsFiles[0]!, 'utf8'), `# no newline at end\n${ts.knownHostsLine()}\n`);
    await (await connectSsh({ ...addr, acceptNewHostKeys: false })).close();
  });

  test('acceptNewHostKeys never overrides a changed key', async () => {
    const other = keygen(ts.dir, `otherhost2_${Date.now()}`);
    const addr = testAddress(ts, { acceptNewHostKeys: true }, false);
    writeFileSync(addr.knownHostsFiles[0]!, `[127.0.0.1]:${ts.port} ${readFileSync(`${other}.pub`, 'utf8')}`);
    await assert.rejects(connectSsh(addr), /HOST KEY CHANGED/);
  });
});

describe('ProxyJump', () => {
  test('reaches the target through a jump host, verifying both', async () => {
    const before = ts.connections;
    const jump = testAddress(ts, { name: 'bastion' });
    await withConn({ proxyJump: jump }, async (c) => {
      assert.equal((await c.run('echo through')).stdout.toString(), 'through\n');
    });
    assert.equal(ts.connections - before, 2, 'one to the jump host, one forwarded to the target');
    await assert.rejects(connectSsh(testAddress(ts, { proxyJump: testAddress(ts, { name: 'bastion' }, false) })), /bastion.*host key not known/s);
  });
});

describe('closing', () => {
  test('close() is done once our end has left, without waiting a round trip for the host\'s (delaying proxy on 127.0.51.4)', async () => {
    const { startDelayProxy } = await import('../fleet/delay-proxy.js');
    const rttMs = 400;
    const px = await startDelayProxy({ target: { host: '127.0.0.1', port: ts.port }, rttMs, listen: { host: '127.0.51.4' } });
    try {
      const kh = join(ts.dir, 'known_hosts_closing');
      writeFileSync(kh, `${ts.knownHostsLine().replace(`[127.0.0.1]:${ts.port}`, `[${px.host}]:${px.port}`)}\n`);
      const addr = testAddress(ts, { host: px.host, port: px.port, knownHostsFiles: [kh] });
      for (const over of [{}, { proxyJump: { ...addr, name: 'bastion' } }]) {
        const c = await connectSsh({ ...addr, ...over });
        assert.equal((await c.run('echo up')).stdout.toString(), 'up\n');
        const t0 = performance.now();
        await c.close();
        const ms = performance.now() - t0;
        // The host's FIN comes back one round trip after ours (through a jump host, later still).
        assert.ok(ms < rttMs / 2, `close() took ${ms.toFixed(0)} ms at RTT ${rttMs} ms${'proxyJump' in over ? ' through a jump host' : ''}`);
      }
      // The TCP close completes meanwhile (the proxy's sockets end; closing them earlier would reset them).
      await new Promise((r) => setTimeout(r, 2 * rttMs));
    } finally {
      await px.close();
    }
  });
});

describe('become over ssh', () => {
  const useFakeSudo = (mode: Parameters<typeof fakeSudo>[1]) => {
    ts.handler = runWithEnv(fakeSudo(ts.dir, mode));
  };
  after(() => {
    ts.handler = runWithSh;
  });

  test('without a password: sudo -n wrapping, stdin passes through', async () => {
    useFakeSudo('nopasswd');
    await withConn({ become: { enabled: true, user: 'root', method: 'sudo' } }, async (c) => {
      const r = await c.run(`printf '%s|' "it's"; cat`, { become: true, stdin: 'data' });
      assert.equal(r.stdout.toString(), `it's|data`);
      assert.equal(ts.execs.at(-1)!.command, `sudo -H -n -u root -- sh -c 'printf '\\''%s|'\\'' "it'\\''s"; cat'`);
      // Without become: true in the run, no wrapping.
      await c.run('true');
      assert.equal(ts.execs.at(-1)!.command, 'true');
    });
  });

  test('no wrapping when the login user already is the become user', async () => {
    await withConn({ user: 'tester', become: { enabled: true, user: 'tester', method: 'sudo' } }, async (c) => {
      await c.run('true', { become: true });
      assert.equal(ts.execs.at(-1)!.command, 'true');
    });
  });

  test('with a password: it is the first stdin line sudo sees, before the caller stdin', async () => {
    useFakeSudo('password:s3cret');
    await withConn({ become: { enabled: true, user: 'root', method: 'sudo', password: 's3cret' } }, async (c) => {
      const r = await c.run('cat; echo done', { become: true, stdin: 'payload\n' });
      assert.equal(r.stdout.toString(), 'payload\ndone\n');
      assert.equal(r.stderr, '');
      const rec = ts.execs.at(-1)!;
      assert.match(rec.command, /^sudo -H -S -p '\[fleetplan-sudo-[0-9a-f]+\] password:' -u root -- sh -c /);
      assert.ok(!rec.command.includes('s3cret'), 'password never on the command line');
      assert.equal(rec.stdin.toString(), 's3cret\npayload\n');
    });
  });

  test('with a password but NOPASSWD sudo: the password never reaches the command', async () => {
    useFakeSudo('nopasswd');
    await withConn({ become: { enabled: true, user: 'root', method: 'sudo', password: 's3cret' } }, async (c) => {
      const r = await c.run('cat', { become: true, stdin: 'only this' });
      assert.equal(r.stdout.toString(), 'only this');
    });
  });

  test('sudo requiring a password that is not configured: clear error naming host and become', async () => {
    useFakeSudo('password:s3cret');
    await withConn({ become: { enabled: true, user: 'root', method: 'sudo' } }, async (c) => {
      await assert.rejects(c.run('true', { become: true }), (e: Error) => {
        assert.ok(e instanceof ConnectError);
        assert.match(e.message, /^become \(sudo -u root\) failed on web1 .*sudo: a password is required/);
        return true;
      });
    });
  });

  test('a wrong become password is reported, not retried with the caller stdin', async () => {
    useFakeSudo('password:s3cret');
    await withConn({ become: { enabled: true, user: 'root', method: 'sudo', password: 'wrong' } }, async (c) => {
      await assert.rejects(c.run('cat', { become: true, stdin: 'script line\n' }), /failed on web1 .*incorrect become password/);
      assert.equal(ts.execs.at(-1)!.stdin.toString(), 'wrong\n');
    });
  });
});
