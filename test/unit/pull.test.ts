// `fleetplan pull` on the controller, without a fleet: what it refuses (unsafe archives, a digest that
// does not match or comes from the bundle's own host, an untrusted server, wrong command lines, a held
// lock) with the exit code and nothing unpacked or applied; and dry runs (--check takes no run lock)
// of a tarball over HTTPS (127.0.61.1, its digest from 127.0.61.2: test/fleet/bundle-server.ts) and of
// a git repository. Real applies, timers and cron are test/integration/pull.test.ts, on the fleet.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { hostname } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { digestFromFile, digestUrl } from '../../src/pull/digest.js';
import { gitRemote } from '../../src/pull/git.js';
import { bypassed, proxyFor } from '../../src/pull/proxy.js';
import { scanBundle, unpackBundle } from '../../src/pull/tarball.js';
import { LOCAL_BUNDLE_ADDRESS, LOCAL_DIGEST_ADDRESS, makeTestCa, PORT, startBundleServer, type BundleServer } from '../fleet/bundle-server.js';
import { fleetplan } from '../integration/cli.js';

const tmp = mkdtempSync('/tmp/fleetplan-pull-unit-');
const served = { bundle: path.join(tmp, 'served-bundle'), digest: path.join(tmp, 'served-digest') };
const work = path.join(tmp, 'work');
const target = path.join(tmp, 'target');
let server: BundleServer | undefined;
let ca = '';

function sh(cmd: string, args: string[], cwd = tmp): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** A directory with a plan (local.yml) that writes `marker` into target/, as a gzipped tarball. */
function goodBundle(name: string, extra: (src: string) => void = () => undefined, tarArgs: string[] = ['.']): Buffer {
  const src = path.join(tmp, `src-${name}`);
  mkdirSync(path.join(src, 'files'), { recursive: true });
  writeFileSync(path.join(src, 'files', 'marker'), `${name}\n`);
  writeFileSync(path.join(src, 'local.yml'), `- hosts: localhost\n  tasks:\n    - name: marker\n      copy: { src: marker, dest: ${target}/marker }\n`);
  extra(src);
  const file = path.join(tmp, `${name}.tar.gz`);
  sh('tar', ['-C', src, '-czPf', file, ...tarArgs]);
  return readFileSync(file);
}

function serve(name: string, data: Buffer, digestOf: Buffer = data): void {
  writeFileSync(path.join(served.bundle, name), data);
  writeFileSync(path.join(served.digest, `${name}.sha256`), `${sha256(digestOf)}  ${name}\n`);
}

const url = (name: string) => `https://${LOCAL_BUNDLE_ADDRESS}:${PORT}/${name}`;
const digestAt = (name: string) => `https://${LOCAL_DIGEST_ADDRESS}:${PORT}/${name}.sha256`;
const pull = (args: string[]) => fleetplan(['pull', '-d', work, '--no-color', ...args], { env: { FLEETPLAN_HISTORY_DIR: path.join(tmp, 'history') } });
const unpacked = () => (existsSync(path.join(work, 'bundles')) ? readdirSync(path.join(work, 'bundles')) : []);

before(async () => {
  mkdirSync(served.bundle);
  mkdirSync(served.digest);
  mkdirSync(target);
  const tls = makeTestCa(path.join(tmp, 'ca'), [LOCAL_BUNDLE_ADDRESS, LOCAL_DIGEST_ADDRESS]);
  ca = tls.ca;
  server = await startBundleServer({ tls, dirs: { [LOCAL_BUNDLE_ADDRESS]: served.bundle, [LOCAL_DIGEST_ADDRESS]: served.digest }, log: path.join(tmp, 'server.log') });
});

after(async () => {
  await server?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

test('scanBundle refuses links, absolute paths, .., setuid files and what is not a tar archive; accepts plain files', async () => {
  const cases: [string, (src: string) => void, string[], RegExp][] = [
    ['symlink', (s) => symlinkSync('/etc/passwd', path.join(s, 'files', 'link')), ['.'], /a SymbolicLink entry/],
    ['hardlink', (s) => sh('ln', [path.join(s, 'local.yml'), path.join(s, 'hard.yml')]), ['.'], /a Link entry/],
    ['setuid', (s) => chmodSync(path.join(s, 'files', 'marker'), 0o4755), ['.'], /setuid\/setgid mode 4755/],
    ['absolute', () => undefined, [path.join(tmp, 'src-absolute', 'local.yml')], /: an absolute path/],
    ['dotdot', () => undefined, ['--transform', 's,^\\./,../,', './local.yml'], /\.\.\/local\.yml: a '\.\.' component/],
  ];
  for (const [name, extra, args, why] of cases) {
    await assert.rejects(scanBundle(goodBundle(name, extra, args)), (e: Error) => why.test(e.message) && /unsafe entries, refused/.test(e.message), name);
  }
  await assert.rejects(scanBundle(Buffer.from('not a tarball at all')), /not a (readable )?tar archive/);
  const ok = goodBundle('plain');
  assert.ok((await scanBundle(ok)) >= 3);
  const dir = path.join(tmp, 'unpacked-plain');
  await unpackBundle(ok, dir);
  assert.equal(readFileSync(path.join(dir, 'files', 'marker'), 'utf8'), 'plain\n');
  assert.equal(statSync(path.join(dir, 'local.yml')).uid, process.getuid!());
});

test('the digest: a sha256sum file (one line, or the line naming the bundle); never from the bundle\'s own host', () => {
  const u = new URL('https://d.example/x.sha256');
  const hex = 'ab'.repeat(32);
  assert.equal(digestFromFile(`${hex}  bundle.tar.gz\n`, u, 'bundle.tar.gz'), hex);
  assert.equal(digestFromFile(`${hex.toUpperCase()}\n`, u, 'bundle.tar.gz'), hex);
  assert.equal(digestFromFile(`${'cd'.repeat(32)}  other.tgz\n${hex} *dist/bundle.tar.gz\n`, u, 'bundle.tar.gz'), hex);
  assert.throws(() => digestFromFile('<html>not found</html>', u, 'b'), /is not a sha256sum file/);
  assert.throws(() => digestFromFile(`${hex}  a\n${hex}  b\n`, u, 'c'), /lists 2 files and none named c/);
  const bundle = new URL('https://Bundles.example:8443/b.tgz');
  assert.throws(() => digestUrl('https://bundles.example/b.tgz.sha256', bundle), /names the bundle's own server \(bundles\.example\)/);
  assert.throws(() => digestUrl('http://other.example/b.sha256', bundle), /must be an https: URL/);
  assert.equal(digestUrl('https://other.example/b.sha256', bundle).hostname, 'other.example');
});

test('git sources are git+https:, git+ssh: or git+file: URLs without a password', () => {
  assert.equal(gitRemote('https://x/b.tgz'), undefined);
  assert.equal(gitRemote('git+https://git.example/plans.git'), 'https://git.example/plans.git');
  assert.equal(gitRemote('git+file:///srv/plans'), 'file:///srv/plans');
  assert.throws(() => gitRemote('git+ext::sh -c evil'), /is not a URL|git\+https:/);
  assert.throws(() => gitRemote('git+http://git.example/p.git'), /git sources are git\+https:, git\+ssh: or git\+file: URLs/);
  assert.throws(() => gitRemote('git+https://u:pw@git.example/p.git'), /a password in the URL/);
});

test('wrong command lines are usage errors (exit 2), nothing fetched', async () => {
  const cases: [string[], RegExp][] = [
    [['-U', url('b.tgz')], /a tarball needs exactly one of --sha256 <hex>, --sha256-url <url> or --signature-url <url>/],
    [['-U', url('b.tgz'), '--sha256', 'ab'.repeat(32), '--sha256-url', digestAt('b.tgz')], /exactly one of --sha256/],
    [['-U', url('b.tgz'), '--signature-url', url('b.tgz.sig')], /--signature-url and --allowed-signers go together/],
    [['-U', url('b.tgz'), '--sha256', 'xyz'], /Expected 64 hexadecimal digits/],
    [['-U', url('b.tgz'), '--sha256', 'ab'.repeat(32), '--checkout', 'main'], /are for git sources/],
    [['-U', 'git+file:///srv/plans', '--sha256', 'ab'.repeat(32)], /--sha256, --sha256-url and --signature-url are for tarballs/],
    [['--sha256', 'ab'.repeat(32)], /required option '-U, --url <url>' not specified/],
  ];
  for (const [args, why] of cases) {
    const r = await pull(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, why);
  }
  assert.ok(!existsSync(work), 'the working directory was not even created');
});

test('a tarball over HTTPS: dry run with its digest from another host; refused when the digest differs, the archive is unsafe, the digest is on the bundle\'s host or the server is not trusted', async () => {
  const good = goodBundle('v1');
  serve('good.tar.gz', good);
  const dry = await pull(['-U', url('good.tar.gz'), '--sha256-url', digestAt('good.tar.gz'), '--ca-file', ca, '--check', '--diff']);
  assert.equal(dry.code, 0, dry.stdout + dry.stderr);
  assert.match(dry.stdout, new RegExp(`pull: ${url('good.tar.gz')}: ${sha256(good)} \\(SHA-256 matches ${digestAt('good.tar.gz')}\\)`));
  assert.match(dry.stdout, /would change marker[\s\S]*\+v1/);
  assert.ok(!existsSync(path.join(target, 'marker')), 'a dry run wrote the marker');
  assert.deepEqual(unpacked(), [sha256(good)]);
  assert.equal(statSync(work).mode & 0o777, 0o700);

  serve('bad.tar.gz', goodBundle('v2'), good);
  const mismatch = await pull(['-U', url('bad.tar.gz'), '--sha256-url', digestAt('bad.tar.gz'), '--ca-file', ca, '--check']);
  assert.equal(mismatch.code, 4, mismatch.stderr);
  assert.match(mismatch.stderr, new RegExp(`error: pull: the bundle from ${url('bad.tar.gz')} has SHA-256 [0-9a-f]{64}, not the expected ${sha256(good)}: refused, nothing applied`));
  const pinned = await pull(['-U', url('good.tar.gz'), '--sha256', '0'.repeat(64), '--ca-file', ca, '--check']);
  assert.equal(pinned.code, 4, pinned.stderr);

  const evil = goodBundle('evil', (s) => symlinkSync('/etc', path.join(s, 'files', 'etc')));
  serve('evil.tar.gz', evil);
  const unsafe = await pull(['-U', url('evil.tar.gz'), '--sha256', sha256(evil), '--ca-file', ca, '--check']);
  assert.equal(unsafe.code, 4, unsafe.stderr);
  assert.match(unsafe.stderr, /unsafe entries, refused: \.\/files\/etc: a SymbolicLink entry/);

  const sameHost = await pull(['-U', url('good.tar.gz'), '--sha256-url', `https://${LOCAL_BUNDLE_ADDRESS}:${PORT}/good.tar.gz.sha256`, '--ca-file', ca, '--check']);
  assert.equal(sameHost.code, 4, sameHost.stderr);
  assert.match(sameHost.stderr, /names the bundle's own server/);

  const untrusted = await pull(['-U', url('good.tar.gz'), '--sha256', sha256(good), '--check']);
  assert.equal(untrusted.code, 3, untrusted.stderr);
  assert.match(untrusted.stderr, /error: pull: cannot fetch .*: unable to verify the first certificate/);
  const missing = await pull(['-U', url('none.tar.gz'), '--sha256', sha256(good), '--ca-file', ca, '--check']);
  assert.equal(missing.code, 3, missing.stderr);
  assert.match(missing.stderr, /HTTP 404/);

  assert.deepEqual(unpacked(), [sha256(good)], 'nothing else unpacked');
  assert.ok(!existsSync(path.join(target, 'marker')));
});

test('the pull lock: a live holder makes a second pull do nothing (exit 2); a dead one\'s lock is taken over', async () => {
  const good = readFileSync(path.join(tmp, 'v1.tar.gz'));
  mkdirSync(work, { recursive: true, mode: 0o700 });
  writeFileSync(path.join(work, 'pull.lock'), `${process.pid}\n`);
  const held = await pull(['-U', url('good.tar.gz'), '--sha256', sha256(good), '--ca-file', ca, '--check']);
  assert.equal(held.code, 2, held.stderr);
  assert.match(held.stderr, new RegExp(`another pull \\(pid ${process.pid}\\) holds .*pull\\.lock: this one does nothing`));
  const dead = spawnSync('sh', ['-c', 'echo $$']).stdout.toString().trim();
  writeFileSync(path.join(work, 'pull.lock'), `${dead}\n`);
  const taken = await pull(['-U', url('good.tar.gz'), '--sha256', sha256(good), '--ca-file', ca, '--check']);
  assert.equal(taken.code, 0, taken.stderr);
  assert.ok(!existsSync(path.join(work, 'pull.lock')), 'released');
});

test('a git source: the commit is checked out and dry-run; --verify-commit refuses an unsigned commit', async () => {
  const repo = path.join(tmp, 'repo');
  mkdirSync(path.join(repo, 'files'), { recursive: true });
  writeFileSync(path.join(repo, 'files', 'marker'), 'from git\n');
  writeFileSync(path.join(repo, 'site.yml'), `- hosts: all\n  tasks:\n    - name: marker\n      copy: { src: marker, dest: ${target}/marker }\n`);
  const git = (...args: string[]) => sh('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.test', ...args], repo);
  git('init', '--quiet', '-b', 'main');
  git('add', '.');
  git('commit', '--quiet', '-m', 'plans');
  const commit = git('rev-parse', 'HEAD').trim();
  const r = await pull(['-U', `git+file://${repo}`, '--checkout', 'main', '--check', '--diff', 'site.yml']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, new RegExp(`pull: git\\+file://${repo}: ${commit} \\(commit \\(signature not checked\\)\\) in ${work}/git`));
  assert.match(r.stdout, /\+from git/);
  const unsigned = await pull(['-U', `git+file://${repo}`, '--verify-commit', '--check', 'site.yml']);
  assert.equal(unsigned.code, 4, unsigned.stderr);
  assert.match(unsigned.stderr, new RegExp(`commit ${commit} of file://${repo}: its signature does not verify`));
  const escape = await pull(['-U', `git+file://${repo}`, '--check', '../../etc/plan.yml']);
  assert.equal(escape.code, 4, escape.stderr);
  assert.match(escape.stderr, /the plan \.\.\/\.\.\/etc\/plan\.yml: a path inside the bundle/);
  assert.ok(!existsSync(path.join(target, 'marker')));
});

test('a tarball signed with SSH (--signature-url, --allowed-signers): applied when a listed key signed it, refused otherwise', async () => {
  const keys = path.join(tmp, 'keys');
  mkdirSync(keys);
  for (const k of ['release', 'other']) sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', k, '-f', path.join(keys, k)]);
  const allowed = path.join(keys, 'allowed_signers');
  writeFileSync(allowed, `release@example.test ${readFileSync(path.join(keys, 'release.pub'), 'utf8')}`);
  const sign = (file: string, key: string, namespace = 'fleetplan-bundle') => {
    rmSync(`${file}.sig`, { force: true });
    sh('ssh-keygen', ['-q', '-Y', 'sign', '-n', namespace, '-f', path.join(keys, key), file]);
    return readFileSync(`${file}.sig`);
  };
  const signed = path.join(served.bundle, 'signed.tar.gz');
  writeFileSync(signed, goodBundle('signed'));
  writeFileSync(path.join(served.bundle, 'signed.tar.gz.sig'), sign(signed, 'release'));
  const args = (sig: string) => ['-U', url('signed.tar.gz'), '--signature-url', url(sig), '--allowed-signers', allowed, '--ca-file', ca, '--check'];
  const ok = await pull(args('signed.tar.gz.sig'));
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /\(SSH signature of release@example\.test\)/);
  writeFileSync(path.join(served.bundle, 'other.sig'), sign(signed, 'other'));
  const other = await pull(args('other.sig'));
  assert.equal(other.code, 4, other.stderr);
  assert.match(other.stderr, /the bundle's signature is by no key of .*allowed_signers: refused, nothing applied/);
  writeFileSync(path.join(served.bundle, 'git.sig'), sign(signed, 'release', 'git'));
  const namespace = await pull(args('git.sig'));
  assert.equal(namespace.code, 4, namespace.stderr);
  assert.match(namespace.stderr, /signature does not verify/);
  writeFileSync(signed, goodBundle('tampered'));
  const tampered = await pull(args('signed.tar.gz.sig'));
  assert.equal(tampered.code, 4, tampered.stderr);
  assert.match(tampered.stderr, /the bundle's signature does not verify \(.*\): refused, nothing applied/);
  assert.ok(!existsSync(path.join(target, 'marker')));
  assert.deepEqual(readdirSync(work).filter((f) => f.startsWith('.verify-')), [], 'no signature left behind');
});

test('-i: the bundle\'s own inventory, limited to this host (its group_vars apply); a host it lacks and an invalid plan are invalid input (exit 4)', async () => {
  const me = hostname().split('.')[0]!;
  const inv = (hosts: string) => (s: string) => {
    writeFileSync(path.join(s, 'inventory.yml'), `all:\n  children:\n    relays:\n      hosts:\n${hosts}`);
    mkdirSync(path.join(s, 'group_vars'));
    writeFileSync(path.join(s, 'group_vars', 'relays.yml'), 'greeting: from group_vars\n');
    writeFileSync(path.join(s, 'site.yml'), `- hosts: relays\n  tasks:\n    - name: greeting\n      file: { path: ${target}/greeting, content: "{{greeting}} on {{inventory_hostname}}\\n" }\n`);
    writeFileSync(path.join(s, 'broken.yml'), '- hosts: relays\n  tasks:\n    - name: broken\n      file: { path: /x, contnet: y }\n');
  };
  const fleetBundle = goodBundle('with-inventory', inv(`        ${me}: {}\n        relay-elsewhere: {}\n`));
  serve('inv.tar.gz', fleetBundle);
  const args = ['-U', url('inv.tar.gz'), '--sha256', sha256(fleetBundle), '--ca-file', ca, '--check', '--diff', '-i', 'inventory.yml'];
  const r = await pull([...args, 'site.yml']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, new RegExp(`\\+from group_vars on ${me}`));
  assert.doesNotMatch(r.stdout, /relay-elsewhere/);
  const broken = await pull([...args, 'broken.yml']);
  assert.equal(broken.code, 4, broken.stderr);
  assert.match(broken.stderr, /broken\.yml:4:\d+: .*contnet/);
  const lacking = goodBundle('lacking', inv('        relay-elsewhere: {}\n'));
  serve('lacking.tar.gz', lacking);
  const missing = await pull(['-U', url('lacking.tar.gz'), '--sha256', sha256(lacking), '--ca-file', ca, '--check', '-i', 'inventory.yml', 'site.yml']);
  assert.equal(missing.code, 4, missing.stderr);
  assert.match(missing.stderr, new RegExp(`--limit '${me}' matches no host or group`));
  assert.ok(!existsSync(path.join(target, 'greeting')));
});

/** A CONNECT proxy on 127.0.62.1 (no other test uses it): the tunnels it opened, and what it demands; `routeTo`: a hostile one, connecting every tunnel there. */
async function connectProxy(opts: { auth?: string; routeTo?: string }): Promise<{ url: string; tunnels: { target: string; auth?: string }[]; close: () => Promise<void> }> {
  const tunnels: { target: string; auth?: string }[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((_req, res) => res.writeHead(405).end());
  server.on('connect', (req: http.IncomingMessage, client: import('node:net').Socket) => {
    sockets.add(client);
    const auth = req.headers['proxy-authorization'];
    tunnels.push({ target: req.url ?? '', auth });
    if (opts.auth !== undefined && auth !== `Basic ${Buffer.from(opts.auth).toString('base64')}`) return void client.end('HTTP/1.1 407 Proxy Authentication Required\r\n\r\n');
    const [host, port] = [req.url!.slice(0, req.url!.lastIndexOf(':')), Number(req.url!.slice(req.url!.lastIndexOf(':') + 1))];
    const upstream = net.connect(port, opts.routeTo ?? host, () => {
      client.write('HTTP/1.1 200 Connection established\r\n\r\n');
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.62.1', resolve));
  const { port } = server.address() as import('node:net').AddressInfo;
  return {
    url: `127.0.62.1:${port}`,
    tunnels,
    close: () => new Promise((resolve) => (sockets.forEach((s) => s.destroy()), server.close(() => resolve()))),
  };
}

test('https_proxy: the bundle and its digest are fetched through a CONNECT tunnel (credentials sent, never printed); no_proxy bypasses it; a refusing or unreachable proxy is exit 3', async () => {
  const good = goodBundle('proxied');
  serve('proxied.tar.gz', good);
  const args = ['-U', url('proxied.tar.gz'), '--sha256-url', digestAt('proxied.tar.gz'), '--ca-file', ca, '--check'];
  const env = (proxy: string, noProxy = '') => ({ FLEETPLAN_HISTORY_DIR: path.join(tmp, 'history'), https_proxy: proxy, HTTPS_PROXY: proxy, no_proxy: noProxy, NO_PROXY: noProxy });
  const proxy = await connectProxy({ auth: 'puller:s3cr@t' });
  try {
    const through = await fleetplan(['pull', '-d', work, '--no-color', ...args], { env: env(`http://puller:s3cr%40t@${proxy.url}`) });
    assert.equal(through.code, 0, through.stdout + through.stderr);
    assert.deepEqual(proxy.tunnels, [
      { target: `${LOCAL_DIGEST_ADDRESS}:${PORT}`, auth: `Basic ${Buffer.from('puller:s3cr@t').toString('base64')}` },
      { target: `${LOCAL_BUNDLE_ADDRESS}:${PORT}`, auth: `Basic ${Buffer.from('puller:s3cr@t').toString('base64')}` },
    ]);
    assert.doesNotMatch(through.stdout + through.stderr, /s3cr/);

    const refused = await fleetplan(['pull', '-d', work, '--no-color', ...args], { env: env(`http://${proxy.url}`) });
    assert.equal(refused.code, 3, refused.stderr);
    assert.match(refused.stderr, new RegExp(`cannot fetch ${digestAt('proxied.tar.gz')}: the proxy ${proxy.url} \\(HTTPS_PROXY\\) answered CONNECT with HTTP 407`));

    const seen = proxy.tunnels.length;
    const direct = await fleetplan(['pull', '-d', work, '--no-color', ...args], { env: env(`http://${proxy.url}`, `localhost, ${LOCAL_BUNDLE_ADDRESS},${LOCAL_DIGEST_ADDRESS}:${PORT}`) });
    assert.equal(direct.code, 0, direct.stderr);
    assert.equal(proxy.tunnels.length, seen, 'no_proxy: no tunnel');
  } finally {
    await proxy.close();
  }
  const gone = await fleetplan(['pull', '-d', work, '--no-color', ...args], { env: env(proxy.url) });
  assert.equal(gone.code, 3, gone.stderr);
  assert.match(gone.stderr, new RegExp(`the proxy ${proxy.url} \\(HTTPS_PROXY\\): connect ECONNREFUSED`));
});

test('no_proxy matches a host, its subdomains, an address exactly, a port when given; * matches all', () => {
  const u = (s: string) => new URL(s);
  assert.ok(bypassed(u('https://plans.example.net/b.tgz'), 'example.net'));
  assert.ok(bypassed(u('https://plans.example.net/b.tgz'), '.example.net'));
  assert.ok(bypassed(u('https://example.net/b.tgz'), 'other.org, example.net'));
  assert.ok(!bypassed(u('https://badexample.net/b.tgz'), 'example.net'));
  assert.ok(bypassed(u('https://127.0.61.1:8443/b.tgz'), '127.0.61.1'));
  assert.ok(!bypassed(u('https://127.0.61.10/b.tgz'), '127.0.61.1'));
  assert.ok(bypassed(u('https://plans.example.net:8443/'), 'example.net:8443'));
  assert.ok(!bypassed(u('https://plans.example.net/'), 'example.net:8443'));
  assert.ok(bypassed(u('https://[::1]:8443/'), '::1'));
  assert.ok(bypassed(u('https://anything/'), '*'));
  assert.ok(!bypassed(u('https://anything/'), ''));
  assert.equal(proxyFor(u('https://anything/'), { HTTPS_PROXY: 'proxy.example:3128' })?.href, 'http://proxy.example:3128/');
  assert.equal(proxyFor(u('https://anything/'), { https_proxy: 'http://a:1', HTTPS_PROXY: 'http://b:2' })?.host, 'a:1');
  assert.equal(proxyFor(u('https://anything/'), { HTTPS_PROXY: 'http://a:1', NO_PROXY: 'anything' }), undefined);
  assert.throws(() => proxyFor(u('https://anything/'), { HTTPS_PROXY: 'socks5://u:pw@a:1' }), (e: Error) => /must be an http:\/\/ proxy \(not socks5:\): a:1/.test(e.message) && !/pw/.test(e.message));
});

test("through a proxy the server's certificate is checked against the URL's host: a proxy routing the tunnel to another server is refused (exit 3); DEBUG=* prints no proxy credentials", async () => {
  const good = goodBundle('routed');
  serve('routed.tar.gz', good);
  // The URL names 127.0.61.3, for which the test CA made no certificate; the proxy takes it to the bundle server.
  const elsewhere = `https://127.0.61.3:${PORT}/routed.tar.gz`;
  const proxy = await connectProxy({ routeTo: LOCAL_BUNDLE_ADDRESS });
  try {
    const creds = `http://puller:s3cr%40t@${proxy.url}`;
    const env = { FLEETPLAN_HISTORY_DIR: path.join(tmp, 'history'), https_proxy: creds, HTTPS_PROXY: creds, no_proxy: '', NO_PROXY: '', DEBUG: '*' };
    const r = await fleetplan(['pull', '-d', work, '--no-color', '-U', elsewhere, '--sha256', sha256(good), '--ca-file', ca, '--check'], { env });
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.match(r.stderr, new RegExp(`cannot fetch ${elsewhere.replaceAll('.', '\\.')}: .*IP: 127\\.0\\.61\\.3 is not in the cert's list`));
    assert.deepEqual(proxy.tunnels.map((t) => t.target), [`127.0.61.3:${PORT}`]);
    assert.match(r.stderr, /https-proxy-agent Creating new HttpsProxyAgent/, 'the debug output was on');
    assert.doesNotMatch(r.stdout + r.stderr, /s3cr/);
  } finally {
    await proxy.close();
  }
});
