// Red-team corpus, class 6 (host keys): a man in the middle must never get its key accepted for a
// host whose identity is on file — not by presenting another key type, not through a hashed or
// [host]:port entry, not with --accept-new-hostkeys. In-process ssh2 servers play the MITM for the
// connector; a real fleet host whose sshd is re-keyed plays it for the command line.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path, { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConnectError } from '../../src/core/errors.js';
import fc from 'fast-check';
import { connectSsh } from '../../src/connectors/ssh.js';
import { hostKeyAlgorithms } from '../../src/connectors/ssh-host-keys.js';
import { hashHostString, hostString, judgeHostKey, knowledgeOf, parseKnownHosts } from '../../src/connectors/known-hosts.js';
import { keygen, startServer, testAddress, type TestServer } from '../unit/connectors-harness.js';
import { down, up, type Fleet } from '../fleet/fleet.js';
import { skipOrFail, unsupportedReason } from '../fleet/prereqs.js';
import { fleetplan } from '../integration/cli.js';

const fp = (pubFile: string) => execFileSync('ssh-keygen', ['-lf', pubFile], { encoding: 'utf8' }).split(' ')[1]!;
const pubLine = (pubFile: string) => readFileSync(pubFile, 'utf8').split(' ').slice(0, 2).join(' ');

describe('host keys against an in-process man in the middle', () => {
  let mitmRsa: TestServer;
  let mitmEd: TestServer;
  let mitmMulti: TestServer;
  let keys: string;
  let realEd: string;
  before(async () => {
    mitmRsa = await startServer(['rsa']);
    mitmEd = await startServer(['ed25519']);
    mitmMulti = await startServer(['ecdsa', 'rsa']);
    keys = mkdtempSync(join(tmpdir(), 'fleetplan-hostkeys-'));
    realEd = keygen(keys, 'real_host_ed25519');
  });
  after(async () => {
    await Promise.all([mitmRsa.close(), mitmEd.close(), mitmMulti.close()]);
    rmSync(keys, { recursive: true, force: true });
  });

  /** An address whose known_hosts holds `lines` (the real host's identity), with --accept-new-hostkeys. */
  const addrFor = (ts: TestServer, lines: string[], accept = true) => {
    const addr = testAddress(ts, { acceptNewHostKeys: accept }, false);
    writeFileSync(addr.knownHostsFiles[0]!, lines.map((l) => `${l}\n`).join(''));
    return addr;
  };

  /** Refused as CHANGED, naming host, the known key and the presented key; nothing recorded. */
  async function assertChanged(ts: TestServer, addr: ReturnType<typeof addrFor>, presentedPub: string, knownPub = `${realEd}.pub`) {
    const files = addr.knownHostsFiles.map((f) => readFileSync(f, 'utf8'));
    await assert.rejects(connectSsh(addr), (e: Error) => {
      assert.ok(e instanceof ConnectError, String(e));
      assert.match(e.message, new RegExp(`HOST KEY CHANGED for 127\\.0\\.0\\.1:${ts.port}`));
      assert.ok(e.message.includes(fp(knownPub)), `known fingerprint in: ${e.message}`);
      assert.ok(e.message.includes(fp(presentedPub)), `presented fingerprint in: ${e.message}`);
      assert.ok(!/\n\s+at /.test(e.message), 'no stack trace');
      return true;
    });
    assert.deepEqual(addr.knownHostsFiles.map((f) => readFileSync(f, 'utf8')), files, 'known_hosts untouched');
  }

  it('stops: a MITM presenting an RSA key to a [host]:port known by ed25519 gets recorded with --accept-new-hostkeys', async () => {
    const addr = addrFor(mitmRsa, [`[127.0.0.1]:${mitmRsa.port} ${pubLine(`${realEd}.pub`)}`]);
    await assertChanged(mitmRsa, addr, join(mitmRsa.dir, 'host_key.pub'));
  });

  it('stops: the same RSA MITM against a hashed |1| known_hosts entry (ssh-keygen -H)', async () => {
    const addr = addrFor(mitmRsa, [`[127.0.0.1]:${mitmRsa.port} ${pubLine(`${realEd}.pub`)}`]);
    execFileSync('ssh-keygen', ['-q', '-H', '-f', addr.knownHostsFiles[0]!], { stdio: 'ignore' });
    assert.match(readFileSync(addr.knownHostsFiles[0]!, 'utf8'), /^\|1\|/);
    await assertChanged(mitmRsa, addr, join(mitmRsa.dir, 'host_key.pub'));
  });

  it('stops: the RSA MITM for a host known only in the second known_hosts file (global file), TOFU writing the first', async () => {
    const addr = addrFor(mitmRsa, []);
    const global = join(keys, `global_${mitmRsa.port}`);
    writeFileSync(global, `[127.0.0.1]:${mitmRsa.port} ${pubLine(`${realEd}.pub`)}\n`);
    addr.knownHostsFiles.push(global);
    await assertChanged(mitmRsa, addr, join(mitmRsa.dir, 'host_key.pub'));
  });

  it('stops: the RSA MITM for a host matched by a wildcard pattern line', async () => {
    const addr = addrFor(mitmRsa, [`[127.0.0.*]:${mitmRsa.port},!nothing.example ${pubLine(`${realEd}.pub`)}`]);
    await assertChanged(mitmRsa, addr, join(mitmRsa.dir, 'host_key.pub'));
  });

  it('stops: a MITM offering two other key types (ECDSA and RSA) to a host known by ed25519', async () => {
    const addr = addrFor(mitmMulti, [`[127.0.0.1]:${mitmMulti.port} ${pubLine(`${realEd}.pub`)}`]);
    await assertChanged(mitmMulti, addr, join(mitmMulti.dir, 'host_key.pub'));
  });

  it('stops: a changed key of the same type (ed25519 for ed25519) gets recorded with --accept-new-hostkeys', async () => {
    const addr = addrFor(mitmEd, [`[127.0.0.1]:${mitmEd.port} ${pubLine(`${realEd}.pub`)}`]);
    await assertChanged(mitmEd, addr, join(mitmEd.dir, 'host_key.pub'));
  });

  it('stops: a revoked key is accepted (or recorded) because it is also on file or the host is new', async () => {
    const revoked = `@revoked * ${pubLine(join(mitmEd.dir, 'host_key.pub'))}`;
    for (const lines of [[revoked, mitmEd.knownHostsLine()], [revoked]]) {
      const addr = addrFor(mitmEd, lines);
      await assert.rejects(connectSsh(addr), (e: Error) => e instanceof ConnectError && /REVOKED/.test(e.message) && e.message.includes(`127.0.0.1:${mitmEd.port}`));
      assert.equal(readFileSync(addr.knownHostsFiles[0]!, 'utf8'), lines.map((l) => `${l}\n`).join(''), 'nothing recorded');
    }
  });

  it('stops: an unknown host is trusted without --accept-new-hostkeys', async () => {
    const addr = addrFor(mitmRsa, [], false);
    await assert.rejects(connectSsh(addr), (e: Error) => e instanceof ConnectError && /host key not known/.test(e.message) && e.message.includes(fp(join(mitmRsa.dir, 'host_key.pub'))));
    assert.equal(readFileSync(addr.knownHostsFiles[0]!, 'utf8'), '', 'nothing recorded');
    // With the flag, a genuinely new host is still trust-on-first-use, and then known.
    const tofu = addrFor(mitmRsa, []);
    await (await connectSsh(tofu)).close();
    assert.match(readFileSync(tofu.knownHostsFiles[0]!, 'utf8'), new RegExp(`^\\[127\\.0\\.0\\.1\\]:${mitmRsa.port} ssh-rsa `));
    await (await connectSsh({ ...tofu, acceptNewHostKeys: false })).close();
  });

  it('stops: a host known by its RSA key being asked for another type first (only the known types are offered)', async () => {
    // The server holds ECDSA and RSA keys; known_hosts has only its RSA key. Offering every type would
    // negotiate ECDSA (preferred) and find it "changed"; offering only RSA connects.
    const rsaPub = join(mitmMulti.dir, 'host_key_rsa.pub');
    const addr = addrFor(mitmMulti, [`[127.0.0.1]:${mitmMulti.port} ${pubLine(rsaPub)}`], false);
    await (await connectSsh(addr)).close();
    assert.deepEqual(hostKeyAlgorithms(['ssh-rsa']), ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
    assert.deepEqual(hostKeyAlgorithms(['ssh-ed25519', 'ecdsa-sha2-nistp256']), ['ssh-ed25519', 'ecdsa-sha2-nistp256']);
    assert.ok(hostKeyAlgorithms([]).length >= 7, 'a new host may present any type');
  });

  it('stops: a host known only by a key type fleetplan cannot verify silently falling back to another type', async () => {
    const addr = addrFor(mitmRsa, [`[127.0.0.1]:${mitmRsa.port} ssh-dss AAAAB3NzaC1kc3MAAACBAP==`]);
    const before = mitmRsa.connections;
    await assert.rejects(connectSsh(addr), (e: Error) => e instanceof ConnectError && /lists only ssh-dss key\(s\)/.test(e.message) && /known_hosts_\w+:1/.test(e.message));
    assert.equal(mitmRsa.connections, before, 'refused before connecting');
  });
});

describe('host keys, as a property', () => {
  let dir = '';
  let pool: { type: string; blob: Buffer; b64: string }[] = [];
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'fleetplan-hostkeys-prop-'));
    pool = ['ed25519', 'ed25519', 'ecdsa', 'ecdsa', 'rsa', 'rsa'].map((t, i) => {
      const [type, b64] = readFileSync(`${keygen(dir, `k${i}`, t)}.pub`, 'utf8').split(' ') as [string, string];
      return { type, blob: Buffer.from(b64, 'base64'), b64 };
    });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('stops: any key not on file for a known host being judged new, whatever the entry form, port and types on file', () => {
    const form = fc.constantFrom('plain', 'hashed', 'wildcard', 'list');
    fc.assert(
      fc.property(
        fc.subarray([0, 1, 2, 3, 4, 5], { minLength: 1 }),
        fc.nat({ max: 5 }),
        fc.constantFrom(22, 2222),
        fc.array(form, { minLength: 6, maxLength: 6 }),
        (knownIdx, presentedIdx, port, forms) => {
          const host = 'web1.example.com';
          const name = hostString(host, port);
          const field = (f: string) =>
            f === 'hashed' ? hashHostString(name) : f === 'wildcard' ? name.replace('web1', 'web?') : f === 'list' ? `other.example.com,${name},!evil.example.com` : name;
          const text = knownIdx.map((i) => `${field(forms[i]!)} ${pool[i]!.type} ${pool[i]!.b64}`).join('\n');
          const k = knowledgeOf(parseKnownHosts(text), host, port);
          assert.equal(k.entries.length, knownIdx.length, 'every form matches its host');
          const v = judgeHostKey(k, host, port, pool[presentedIdx]!.blob);
          assert.equal(v.kind, knownIdx.includes(presentedIdx) ? 'match' : 'changed');
          // Only algorithms of the types on file are offered.
          const types = new Set(knownIdx.map((i) => pool[i]!.type));
          for (const a of hostKeyAlgorithms([...types])) assert.ok(types.has(a.startsWith('rsa-sha2-') ? 'ssh-rsa' : a), a);
          // The same lines say nothing about another host, which stays new (trust on first use).
          assert.equal(judgeHostKey(knowledgeOf(parseKnownHosts(text), 'db1.example.com', port), 'db1.example.com', port, pool[presentedIdx]!.blob).kind, 'unknown');
        },
      ),
      { numRuns: 300 },
    );
  });
});

const reason = unsupportedReason();
const skip = reason ? skipOrFail(reason) : false;

describe('host keys on a real host whose sshd is replaced by an RSA-keyed one', { skip }, () => {
  let out = '';
  let fleet: Fleet;
  let host: Fleet['hosts'][number];
  before(async () => {
    out = mkdtempSync('/tmp/fleetplan-hostkeys-');
    fleet = await up({ os: 'debian-sysv', count: 1, out });
    host = fleet.hosts[0]!;
    writeFileSync(path.join(out, 'plan.yml'), 'name: probe\nhosts: all\ntasks:\n  - name: marker\n    command: touch /tmp/reached\n');
    // The MITM: sshd (per connection, inetd mode) now presents only an RSA key.
    const r = await fleet.exec(host.name, "ssh-keygen -q -t rsa -b 2048 -N '' -f /etc/ssh/ssh_host_rsa_key && sed -i 's#^HostKey .*#HostKey /etc/ssh/ssh_host_rsa_key#' /etc/ssh/sshd_config.d/fleet.conf");
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    if (!out) return;
    await down(out).catch(() => undefined);
    rmSync(out, { recursive: true, force: true });
  });

  const apply = (knownHosts: string) =>
    fleetplan(['apply', path.join(out, 'plan.yml'), '-i', fleet.inventoryPath, '--accept-new-hostkeys', '-e', `ssh_known_hosts_file=${knownHosts}`]);

  for (const hashed of [false, true]) {
    it(`stops: a MITM presenting an RSA key to a host known by ed25519 gets recorded with --accept-new-hostkeys (real sshd, ${hashed ? 'hashed' : 'plain'} entry)`, async () => {
      const kh = path.join(out, `known_hosts_${hashed ? 'hashed' : 'plain'}`);
      writeFileSync(kh, readFileSync(fleet.knownHostsPath));
      if (hashed) execFileSync('ssh-keygen', ['-q', '-H', '-f', kh], { stdio: 'ignore' });
      const before = readFileSync(kh, 'utf8');
      const edFp = execFileSync('ssh-keygen', ['-lf', path.join(host.rootDir, 'etc/ssh/ssh_host_ed25519_key.pub')], { encoding: 'utf8' }).split(' ')[1]!;
      const rsaFp = execFileSync('ssh-keygen', ['-lf', path.join(host.rootDir, 'etc/ssh/ssh_host_rsa_key.pub')], { encoding: 'utf8' }).split(' ')[1]!;
      const r = await apply(kh);
      assert.equal(r.code, 3, `unreachable exit code; ${r.stdout}${r.stderr}`);
      const all = r.stdout + r.stderr;
      assert.match(all, new RegExp(`HOST KEY CHANGED for ${host.address.replace(/\./g, '\\.')}:22`));
      assert.ok(all.includes(edFp) && all.includes(rsaFp), `both fingerprints named: ${all}`);
      assert.ok(all.includes(host.name), 'the host is named');
      assert.doesNotMatch(all, /\n\s+at |internal error/);
      assert.equal(readFileSync(kh, 'utf8'), before, 'known_hosts untouched');
      assert.equal((await fleet.exec(host.name, 'test -e /tmp/reached && echo yes')).stdout.trim(), '', 'nothing ran on the host');
    });
  }
});
