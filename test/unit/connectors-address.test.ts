// HostAddress building: precedence (vars > ~/.ssh/config > defaults), Ansible aliases, validation.
import assert from 'node:assert/strict';
import { homedir, userInfo } from 'node:os';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { InputError } from '../../src/core/errors.js';
import { buildAddress } from '../../src/connectors/address.js';
import { resolveSshConfig } from '../../src/connectors/ssh-config.js';

const FIX = fileURLToPath(new URL('../../../test/unit/fixtures/connectors/', import.meta.url));
const sshConfigFile = `${FIX}ssh_config`;
const opts = { inventoryDir: '/inv', sshConfigFile };
const H = homedir();

test('resolveSshConfig: patterns, first match wins, %h and ~ expand, missing file is empty', () => {
  assert.deepEqual(resolveSshConfig('web7', sshConfigFile), {
    user: 'deploy',
    hostName: 'web7.internal.example.com',
    port: 2201,
    identityFiles: [`${H}/.ssh/web_key`, 'keys/second'],
    userKnownHostsFile: [`${H}/.ssh/kh_one`, `${H}/.ssh/kh_two`],
  });
  assert.equal(resolveSshConfig('zzz', sshConfigFile).user, 'fallback');
  assert.deepEqual(resolveSshConfig('web1', `${FIX}does-not-exist`), {});
  assert.throws(() => resolveSshConfig('badport', sshConfigFile), InputError);
});

test('defaults with no vars and no config entry', () => {
  const a = buildAddress('plain', {}, { inventoryDir: '/inv', sshConfigFile: `${FIX}none` });
  assert.equal(a.host, 'plain');
  assert.equal(a.port, 22);
  assert.equal(a.user, userInfo().username);
  assert.deepEqual(a.knownHostsFiles, [`${H}/.ssh/known_hosts`]);
  assert.equal(a.connection, 'ssh');
  assert.equal(a.acceptNewHostKeys, false);
  assert.equal(a.connectTimeoutMs, 10_000);
  assert.deepEqual(a.become, { enabled: false, user: 'root', method: 'sudo' });
  assert.equal(buildAddress('plain', {}, { inventoryDir: '/inv', sshConfigFile: `${FIX}none`, defaultUser: 'ops' }).user, 'ops');
});

test('~/.ssh/config fills what vars leave open; vars win', () => {
  const fromConfig = buildAddress('web3', {}, opts);
  assert.equal(fromConfig.host, 'web3.internal.example.com');
  assert.equal(fromConfig.port, 2201);
  assert.equal(fromConfig.user, 'deploy');
  const explicit = buildAddress('web3', { ssh_port: 2022, ssh_user: 'admin', ssh_private_key_file: 'keys/id' }, opts);
  assert.equal(explicit.port, 2022);
  assert.equal(explicit.user, 'admin');
  assert.deepEqual(explicit.identityFiles, ['/inv/keys/id']);
  // ssh_host is the config lookup key when set.
  assert.equal(buildAddress('db1', { ssh_host: 'web9' }, opts).host, 'web9.internal.example.com');
});

test('Ansible aliases are accepted; fleetplan names win over them', () => {
  const a = buildAddress('x', {
    ansible_host: '10.1.1.1', ansible_port: '2223', ansible_user: 'ans', ansible_ssh_private_key_file: '~/k',
    ansible_become: 'yes', ansible_become_user: 'postgres', ansible_become_password: 'pw',
  }, opts);
  assert.equal(a.host, '10.1.1.1');
  assert.equal(a.port, 2223);
  assert.equal(a.user, 'ans');
  assert.deepEqual(a.identityFiles, [`${H}/k`]);
  assert.deepEqual(a.become, { enabled: true, user: 'postgres', method: 'sudo', password: 'pw' });
  assert.equal(buildAddress('x', { ssh_host: 'win', ansible_host: 'lose' }, opts).host, 'win');
});

test('known_hosts: the inventory file first (relative to the inventory), then the config/default ones', () => {
  const a = buildAddress('web1', { ssh_known_hosts_file: 'known_hosts' }, opts);
  assert.deepEqual(a.knownHostsFiles, ['/inv/known_hosts', `${H}/.ssh/kh_one`, `${H}/.ssh/kh_two`]);
});

test('ProxyJump from config and from vars, hops resolved through the config', () => {
  const a = buildAddress('alias-only', {}, opts);
  assert.equal(a.host, '10.9.8.7');
  assert.equal(a.proxyJump?.host, 'bastion.example.com');
  assert.equal(a.proxyJump?.user, 'jumpuser', 'user@ in the spec beats the config');
  assert.equal(a.proxyJump?.port, 2222);
  const b = buildAddress('t', { ssh_proxy_jump: 'first.example.com,bastion.example.com:2200' }, opts);
  assert.equal(b.proxyJump?.host, 'bastion.example.com');
  assert.equal(b.proxyJump?.user, 'bastionuser', 'hop user from the config');
  assert.equal(b.proxyJump?.proxyJump?.host, 'first.example.com');
  assert.equal(b.proxyJump?.become.enabled, false);
});

test('connection: vars choose local; the CLI override wins', () => {
  assert.equal(buildAddress('l', { ansible_connection: 'local' }, opts).connection, 'local');
  assert.equal(buildAddress('l', { connection: 'local' }, { ...opts, connectionOverride: 'ssh' }).connection, 'ssh');
  assert.equal(buildAddress('l', {}, { ...opts, connectionOverride: 'local' }).connection, 'local');
});

test('bad values are InputErrors naming the host and the var', () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ ssh_port: 'abc' }, /host web1: ssh_port must be a port number/],
    [{ ansible_port: 70000 }, /host web1: ansible_port must be a port number/],
    [{ ssh_user: 42.5 }, /ssh_user/],
    [{ ssh_user: ['a'] }, /host web1: ssh_user must be a non-empty string/],
    [{ become: 'maybe' }, /host web1: become must be true or false/],
    [{ connection: 'winrm' }, /host web1: connection must be "ssh" or "local"/],
    [{ become_method: 'pbrun' }, /host web1: become_method must be sudo, su or doas/],
    [{ ssh_private_key_file: [1] }, /ssh_private_key_file/],
    [{ ssh_proxy_jump: 'a@b@c' }, /ssh_proxy_jump/],
  ];
  for (const [vars, re] of cases) {
    assert.throws(() => buildAddress('web1', vars, opts), (e: Error) => e instanceof InputError && re.test(e.message), JSON.stringify(vars));
  }
  assert.throws(() => buildAddress('web1', { become_password: { x: 1 } }, opts), (e: Error) => !e.message.includes('"x"'), 'secrets are not echoed');
});

test("Ansible's ansible_ssh_common_args: a jump host is honoured, harmless options ignored, the rest refused with the way out", () => {
  const jump = (vars: Record<string, unknown>) => buildAddress('t', vars, opts).proxyJump?.host;
  assert.equal(jump({ ansible_ssh_common_args: '-o ProxyJump=bastion.example.com' }), 'bastion.example.com');
  assert.equal(jump({ ansible_ssh_common_args: "-o 'ProxyJump bastion.example.com'" }), 'bastion.example.com');
  assert.equal(jump({ ansible_ssh_extra_args: '-J jumpuser@bastion.example.com:2222 -C' }), 'bastion.example.com');
  assert.equal(jump({ ansible_ssh_args: '-C -o ControlMaster=auto -o ControlPersist=60s' }), undefined);
  assert.equal(jump({ ssh_proxy_jump: 'first.example.com', ansible_ssh_common_args: '-J bastion.example.com' }), 'first.example.com', "fleetplan's own name wins");
  const refused = (value: string) => {
    try {
      buildAddress('t', { ansible_ssh_common_args: value }, opts);
    } catch (err) {
      assert.ok(err instanceof InputError);
      return err.message;
    }
    return assert.fail(`${value} was accepted`);
  };
  assert.match(refused('-o ProxyCommand="ssh -W %h:%p bastion"'), /^host t: ansible_ssh_common_args: '-o ProxyCommand=ssh -W %h:%p bastion' is not supported: .*~\/\.ssh\/config/);
  assert.match(refused('-o StrictHostKeyChecking=no'), /fleetplan always verifies host keys .*--accept-new-hostkeys/);
  assert.match(refused('-p 2222'), /'-p' is not supported: .*ssh_port/);
  assert.match(refused('-J'), /-J needs a value/);
  // connection: local needs no SSH: the arguments are not read.
  assert.equal(buildAddress('l', { connection: 'local', ansible_ssh_common_args: '-p 1' }, opts).connection, 'local');
});

test("Ansible's ansible_connection=smart and paramiko are SSH; anything else stays an error", () => {
  assert.equal(buildAddress('s', { ansible_connection: 'smart' }, opts).connection, 'ssh');
  assert.equal(buildAddress('s', { ansible_connection: 'paramiko' }, opts).connection, 'ssh');
  assert.throws(() => buildAddress('s', { ansible_connection: 'docker' }, opts), /host s: ansible_connection must be "ssh" or "local", got "docker"/);
});
