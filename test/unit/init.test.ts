// `fleetplan init relay` through the real command line: the files it writes (and that each passes
// `fleetplan validate`), refusing to overwrite with nothing written, --force, --vault, the hosts of
// an existing inventory with their key paths still right from the new directory, unknown kinds.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, afterEach, before, describe, it } from 'node:test';
import { runProcess } from '../run-process.js';
import { buildAddress } from '../../src/connectors/address.js';
import { hostVars, loadInventory } from '../../src/load/inventory.js';
import { Secret, SecretRegistry } from '../../src/core/secret.js';
import { YamlSource } from '../../src/load/yaml.js';
import { setVaultPassphrase } from '../../src/vault/passphrase.js';

/** The secret registry of this file's runs (each command run has one). */
const testSecrets = new SecretRegistry();

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const main = path.join(root, 'dist/fleetplan.js');
const RELAY_PASSWORD = 'Init-test-relay-Pa55';
const VAULT_PASS = 'init-vault-passphrase-7';

interface Res {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Res> {
  const e: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const k of ['FLEETPLAN_VAULT_PASSWORD', 'FLEETPLAN_RELAY_PASSWORD', 'npm_lifecycle_event']) delete e[k];
  // stdin is not a terminal: nothing may be prompted for.
  return runProcess(process.execPath, [main, ...args], { cwd, env: { ...e, ...env } });
}

/** Every file under `dir`, relative, sorted. */
function tree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

const FILES = ['README.md', 'group_vars/relays.yml', 'inventory.yml', 'relay.yml'];
const withPassword = { FLEETPLAN_RELAY_PASSWORD: RELAY_PASSWORD };

/** Loading group_vars/relays.yml in this process reads the password (!secret_env) from the environment. */
function withRelayPassword<T>(load: () => T): T {
  process.env.FLEETPLAN_RELAY_PASSWORD = RELAY_PASSWORD;
  try {
    return load();
  } finally {
    delete process.env.FLEETPLAN_RELAY_PASSWORD;
  }
}

describe('fleetplan init relay', () => {
  let base: string;
  let n = 0;
  /** A fresh directory name under the test's temporary directory (not created). */
  const fresh = () => path.join(base, `case-${++n}`);
  before(() => {
    base = mkdtempSync(path.join(tmpdir(), 'fleetplan-init-'));
    writeFileSync(path.join(base, 'vault-pass'), `${VAULT_PASS}\n`);
  });
  after(() => rmSync(base, { recursive: true, force: true }));
  afterEach(() => setVaultPassphrase(undefined));

  it('writes the inventory, commented group vars, the plan and a README that validate', async () => {
    const dir = fresh();
    const r = await cli(['init', 'relay', dir, '--relay-host', 'smtp.provider.example', '--mail-domain', 'mail.example.com', '--dkim-selector', '{{inventory_hostname}}-k1'], base);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(tree(dir), FILES);
    for (const f of FILES) assert.match(r.stdout, new RegExp(`^wrote ${path.join(dir, f).replace(/[.]/g, '\\.')}$`, 'm'));
    // The next command, runnable as printed.
    assert.match(r.stdout, new RegExp(`^  fleetplan apply ${dir}/relay\\.yml -i ${dir}/inventory\\.yml --check --diff$`, 'm'));
    assert.match(r.stdout, /replace the example hosts/);

    const plan = readFileSync(path.join(dir, 'relay.yml'), 'utf8');
    assert.equal(plan.split('\n')[0], `# yaml-language-server: $schema=${path.join(root, 'docs/schemas/plan.schema.json')}`);
    assert.match(plan, /^hosts: relays$/m);
    const groupVars = readFileSync(path.join(dir, 'group_vars/relays.yml'), 'utf8');
    assert.match(groupVars, /^relay_password: !secret_env FLEETPLAN_RELAY_PASSWORD$/m);
    // Every setting carries a comment on the line before it.
    const lines = groupVars.split('\n');
    for (const [i, l] of lines.entries()) {
      if (/^\w+:/.test(l)) assert.match(lines[i - 1]!, /^#/, `no comment above '${l}'`);
    }
    const values = withRelayPassword(() => {
      const src = YamlSource.read(path.join(dir, 'group_vars/relays.yml'), testSecrets);
      return src.value(src.root) as Record<string, unknown>;
    });
    assert.equal(values.relay_host, 'smtp.provider.example');
    assert.equal(values.relay_port, 587);
    assert.equal(values.relay_user, 'relay@mail.example.com');
    assert.equal(values.mail_domain, 'mail.example.com');
    assert.equal(values.dkim_selector, '{{inventory_hostname}}-k1');
    assert.ok(values.relay_password instanceof Secret);
    assert.equal(String(values.relay_password), RELAY_PASSWORD);

    const inv = withRelayPassword(() => loadInventory(path.join(dir, 'inventory.yml'), testSecrets));
    assert.deepEqual([...inv.hosts.keys()], ['relay1', 'relay2']);
    assert.equal(hostVars(inv, 'relay1').ssh_host, '192.0.2.10');

    const ok = await cli(['validate', path.join(dir, 'relay.yml'), '-i', path.join(dir, 'inventory.yml')], base, withPassword);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /valid \(1 play\(s\), \d+ task\(s\), 2 host\(s\)\)/);
    // The password is read from the environment, so it must be there.
    const unset = await cli(['validate', path.join(dir, 'relay.yml'), '-i', path.join(dir, 'inventory.yml')], base);
    assert.equal(unset.code, 4);
    assert.match(unset.stderr, /relays\.yml:\d+:\d+: !secret_env: environment variable FLEETPLAN_RELAY_PASSWORD is not set/);
  });

  it('the default DKIM selector is per host and dated; --dmarc, --spf, --tls may, --password-env', async () => {
    const dir = fresh();
    const r = await cli(['init', 'relay', dir, '--dmarc', '--spf', '--tls', 'may', '--password-env', 'SMARTHOST_PW', '--relay-port', '2525'], base);
    assert.equal(r.code, 0, r.stderr);
    const text = readFileSync(path.join(dir, 'group_vars/relays.yml'), 'utf8');
    const day = new Date().toISOString().slice(0, 10).replace(/-/g, '');
    assert.match(text, new RegExp(`^dkim_selector: "\\{\\{inventory_hostname\\}\\}-${day}"$`, 'm'));
    assert.match(text, /^dmarc_enabled: true$/m);
    assert.match(text, /^spf_enabled: true$/m);
    assert.match(text, /^smtp_tls_security_level: may$/m);
    assert.match(text, /^relay_port: 2525$/m);
    assert.match(text, /^relay_password: !secret_env SMARTHOST_PW$/m);
    assert.match(r.stdout, /password in SMARTHOST_PW/);
    const ok = await cli(['validate', path.join(dir, 'relay.yml'), '-i', path.join(dir, 'inventory.yml')], base, { SMARTHOST_PW: 'x' });
    assert.equal(ok.code, 0, ok.stderr);
  });

  it('refuses to overwrite, listing every existing file, and writes nothing; --force overwrites', async () => {
    const dir = fresh();
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'relay.yml'), 'mine\n');
    writeFileSync(path.join(dir, 'README.md'), 'my readme\n');
    const r = await cli(['init', 'relay', dir], base);
    assert.equal(r.code, 4);
    assert.match(r.stderr, /relay\.yml exists/);
    assert.match(r.stderr, /README\.md exists/);
    assert.match(r.stderr, /nothing written \(--force overwrites\)/);
    assert.equal(r.stdout, '');
    assert.deepEqual(tree(dir), ['README.md', 'relay.yml']);
    assert.equal(readFileSync(path.join(dir, 'relay.yml'), 'utf8'), 'mine\n');

    const forced = await cli(['init', 'relay', dir, '--force'], base);
    assert.equal(forced.code, 0, forced.stderr);
    assert.deepEqual(tree(dir), FILES);
    assert.match(readFileSync(path.join(dir, 'relay.yml'), 'utf8'), /^hosts: relays$/m);
  });

  it('a file where a directory must be is refused even with --force, before anything is written', async () => {
    const dir = fresh();
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'group_vars'), 'not a directory\n');
    const r = await cli(['init', 'relay', dir, '--force'], base);
    assert.equal(r.code, 4);
    assert.match(r.stderr, /group_vars exists and is not a directory: nothing written$/m);
    assert.deepEqual(tree(dir), ['group_vars']);
  });

  it('--vault: the password encrypted at init time from the environment; validate needs the passphrase', async () => {
    const dir = fresh();
    const passFile = path.join(base, 'vault-pass');
    const r = await cli(['init', 'relay', dir, '--vault', '--vault-password-file', passFile], base, withPassword);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stdout.includes(RELAY_PASSWORD) && !r.stderr.includes(RELAY_PASSWORD));
    assert.match(r.stdout, new RegExp(`--check --diff --vault-password-file ${passFile}$`, 'm'));
    const text = readFileSync(path.join(dir, 'group_vars/relays.yml'), 'utf8');
    assert.match(text, /^relay_password: !vault \|\n {2}\$FLEETPLAN_VAULT;1;AES256-GCM;scrypt;/m);
    for (const f of FILES) assert.ok(!readFileSync(path.join(dir, f), 'utf8').includes(RELAY_PASSWORD), `${f} holds the password`);

    setVaultPassphrase(VAULT_PASS);
    const src = YamlSource.read(path.join(dir, 'group_vars/relays.yml'), testSecrets);
    const value = (src.value(src.root) as Record<string, unknown>).relay_password;
    assert.ok(value instanceof Secret);
    assert.equal(String(value), RELAY_PASSWORD);

    const plan = path.join(dir, 'relay.yml');
    const inv = path.join(dir, 'inventory.yml');
    const ok = await cli(['validate', plan, '-i', inv, '--vault-password-file', passFile], base);
    assert.equal(ok.code, 0, ok.stderr);
    const none = await cli(['validate', plan, '-i', inv], base);
    assert.equal(none.code, 4);
    assert.match(none.stderr, /relays\.yml:\d+:\d+: !vault: encrypted \(fleetplan vault\) and no vault passphrase was given/);
  });

  it('--vault without the password in the environment and no terminal: an error, nothing written', async () => {
    const dir = fresh();
    const r = await cli(['init', 'relay', dir, '--vault'], base, { FLEETPLAN_VAULT_PASSWORD: VAULT_PASS });
    assert.equal(r.code, 4);
    assert.match(r.stderr, /--vault encrypts the relay password now: set FLEETPLAN_RELAY_PASSWORD or run from a terminal/);
    assert.deepEqual(tree(dir), []);
  });

  it('--hosts: the hosts of an existing inventory, reached exactly as before from the new directory', async () => {
    // A source inventory whose paths are relative to its own directory, with host_vars, Ansible
    // spellings, a ~ path, a non-connection variable and a password that must not be copied.
    const src = path.join(base, 'site');
    mkdirSync(path.join(src, 'host_vars'), { recursive: true });
    writeFileSync(path.join(src, 'inventory.yml'), [
      'all:',
      '  vars:',
      '    ssh_user: deploy',
      '    ssh_private_key_file: keys/deploy_ed25519',
      '    ssh_known_hosts_file: ./known_hosts',
      '    relay_host: not-copied.example',
      '  children:',
      '    debian:',
      '      hosts:',
      '        "mx 1": { ssh_host: 198.51.100.1 }',
      '        mx2: { ansible_host: 198.51.100.2, ansible_port: 2222 }',
      '    bsd:',
      '      vars: { ssh_private_key_file: ~/.ssh/bsd_key, become: true }',
      '      hosts:',
      '        bsd1: { ssh_host: 198.51.100.3, ssh_password: !secret "bsd-Pa55" }',
      '',
    ].join('\n'));
    writeFileSync(path.join(src, 'host_vars', 'mx2.yml'), 'ssh_known_hosts_file: /etc/ssh/ssh_known_hosts\n');
    const dir = fresh();
    const r = await cli(['init', 'relay', dir, '--hosts', path.join(src, 'inventory.yml')], base);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /3 relay\(s\) from .*site\/inventory\.yml: mx 1, mx2, bsd1/);
    assert.match(r.stdout, /note: bsd1: ssh_password is a secret and was not copied/);
    const text = readFileSync(path.join(dir, 'inventory.yml'), 'utf8');
    assert.ok(!text.includes('bsd-Pa55'), 'a password was copied');
    assert.ok(!text.includes('not-copied.example'), 'a non-connection variable was copied');
    assert.match(text, /^#\s+bsd1: ssh_password$/m);
    assert.match(text, /ssh_private_key_file: ~\/\.ssh\/bsd_key/, '~ paths stay portable');

    const before = loadInventory(path.join(src, 'inventory.yml'), testSecrets);
    const after = withRelayPassword(() => loadInventory(path.join(dir, 'inventory.yml'), testSecrets));
    assert.deepEqual([...after.hosts.keys()], ['mx 1', 'mx2', 'bsd1']);
    for (const h of after.hosts.keys()) assert.ok(after.hosts.get(h)!.groups.includes('relays'));
    const noConfig = path.join(base, 'no-ssh-config');
    const address = (inv: typeof before, host: string) => {
      const { password: _pw, ...a } = buildAddress(host, hostVars(inv, host), { inventoryDir: path.dirname(inv.file), sshConfigFile: noConfig });
      return a;
    };
    for (const h of before.hosts.keys()) assert.deepEqual(address(after, h), address(before, h), h);
    assert.deepEqual(address(after, 'mx 1').identityFiles, [path.join(src, 'keys/deploy_ed25519')]);
    assert.deepEqual(address(after, 'mx2').knownHostsFiles[0], '/etc/ssh/ssh_known_hosts');
    assert.deepEqual(address(after, 'mx2').port, 2222);
    assert.deepEqual(address(after, 'bsd1').identityFiles, [path.join(homedir(), '.ssh/bsd_key')]);
    assert.equal(address(after, 'bsd1').become.enabled, true);

    const ok = await cli(['validate', path.join(dir, 'relay.yml'), '-i', path.join(dir, 'inventory.yml')], base, withPassword);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /3 host\(s\)/);

    const limited = fresh();
    const l = await cli(['init', 'relay', limited, '--hosts', path.join(src, 'inventory.yml'), '--limit', 'debian'], base);
    assert.equal(l.code, 0, l.stderr);
    assert.deepEqual([...withRelayPassword(() => loadInventory(path.join(limited, 'inventory.yml'), testSecrets)).hosts.keys()], ['mx 1', 'mx2']);
  });

  it('--hosts that cannot be used: an input error naming the file, nothing written', async () => {
    const dir = fresh();
    const missing = await cli(['init', 'relay', dir, '--hosts', path.join(base, 'nope.yml')], base);
    assert.equal(missing.code, 4);
    assert.match(missing.stderr, /nope\.yml: inventory file not found \(--hosts\)/);
    const bad = path.join(base, 'bad-inventory.yml');
    writeFileSync(bad, 'all:\n  hostz: {}\n');
    const broken = await cli(['init', 'relay', dir, '--hosts', bad], base);
    assert.equal(broken.code, 4);
    assert.match(broken.stderr, /bad-inventory\.yml:2:3: unknown key 'hostz'/);
    writeFileSync(path.join(base, 'no-hosts.yml'), 'all:\n  vars: { ssh_user: root }\n');
    const empty = await cli(['init', 'relay', dir, '--hosts', path.join(base, 'no-hosts.yml')], base);
    assert.equal(empty.code, 4);
    assert.match(empty.stderr, /no-hosts\.yml: the inventory has no hosts/);
    writeFileSync(path.join(base, 'one.yml'), 'all:\n  hosts:\n    a: { ssh_host: 192.0.2.1 }\n');
    const nothing = await cli(['init', 'relay', dir, '--hosts', path.join(base, 'one.yml'), '--limit', 'zzz*'], base);
    assert.equal(nothing.code, 4);
    assert.match(nothing.stderr, /--limit 'zzz\*' selects no host/);
    assert.deepEqual(tree(dir), []);
  });

  it('unknown kinds and impossible settings are refused before anything is written', async () => {
    const dir = fresh();
    const kind = await cli(['init', 'webserver', dir], base);
    assert.equal(kind.code, 4);
    assert.match(kind.stderr, /^error: unknown kind 'webserver'; kinds: relay$/m);
    const inherited = await cli(['init', 'constructor', dir], base);
    assert.equal(inherited.code, 4, 'a name every object has is no kind either');
    assert.match(inherited.stderr, /^error: unknown kind 'constructor'; kinds: relay$/m);
    const bad = await cli(['init', 'relay', dir, '--relay-host', 'smtp example', '--mail-domain', 'localhost', '--password-env', '1X'], base);
    assert.equal(bad.code, 4);
    assert.match(bad.stderr, /--relay-host 'smtp example' is not a host name or IPv4 address/);
    const v6 = await cli(['init', 'relay', dir, '--relay-host', '2001:db8::1'], base);
    assert.equal(v6.code, 4);
    assert.match(v6.stderr, /--relay-host '2001:db8::1' is not a host name or IPv4 address \(for an IPv6 smarthost, give its host name\)/);
    assert.match(bad.stderr, /--mail-domain 'localhost' is not a domain name/);
    assert.match(bad.stderr, /--password-env '1X' is not an environment variable name/);
    // A port out of range is a usage error of the command line (commander's, exit 2), like any bad number.
    const port = await cli(['init', 'relay', dir, '--relay-port', '70000'], base);
    assert.equal(port.code, 2);
    assert.match(port.stderr, /^error: option '--relay-port <port>' argument '70000' is invalid\. Expected a whole number from 1 to 65535\.$/m);
    const limit = await cli(['init', 'relay', dir, '--limit', 'x'], base);
    assert.equal(limit.code, 4);
    assert.match(limit.stderr, /--limit selects among the hosts of --hosts/);
    assert.ok(!existsSync(dir));
  });

  it('run as `npm run fleetplan`, the next command is printed in that form', async () => {
    const dir = fresh();
    const r = await cli(['init', 'relay', dir], base, { npm_lifecycle_event: 'fleetplan' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ {2}npm run fleetplan -- apply .*relay\.yml -i .*inventory\.yml --check --diff$/m);
  });
});
