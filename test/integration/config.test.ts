// The configuration: fleetplan.yml in the working directory or above, then the user's config.yml,
// FLEETPLAN_* variables, flags — flag > environment > project file > user file > default, each
// origin printed by `fleetplan config`; relative paths in a file are relative to that file; a bad
// file is bad input (file:line:col, exit 4) for every command that reads settings; a file another
// user could have written is not read. No host is contacted: `validate` shows which inventory won.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { runProcess } from '../run-process.js';
import { repoRoot } from './cli.js';

const tmp = mkdtempSync('/tmp/fleetplan-config-');
after(() => rmSync(tmp, { recursive: true, force: true }));

const PLAN = 'name: p\nhosts: all\ntasks:\n  - name: marker\n    file: { path: /tmp/x, content: "x" }\n';
const inventory = (hosts: string[]) => `all:\n  hosts:\n${hosts.map((h) => `    ${h}: { ssh_host: 127.0.0.1 }\n`).join('')}`;

/** A project directory with a plan, two inventories (2 and 3 hosts) and a subdirectory to run from. */
function project(name: string, config?: string): string {
  const dir = path.join(tmp, name);
  mkdirSync(path.join(dir, 'sub'), { recursive: true });
  mkdirSync(path.join(dir, 'inv'), { recursive: true });
  writeFileSync(path.join(dir, 'plan.yml'), PLAN);
  writeFileSync(path.join(dir, 'sub', 'plan.yml'), PLAN);
  writeFileSync(path.join(dir, 'inv', 'two.yml'), inventory(['a', 'b']));
  writeFileSync(path.join(dir, 'inv', 'three.yml'), inventory(['a', 'b', 'c']));
  if (config !== undefined) writeFileSync(path.join(dir, 'fleetplan.yml'), config);
  return dir;
}

function home(name: string, config?: string): string {
  const dir = path.join(tmp, `home-${name}`);
  mkdirSync(path.join(dir, '.config', 'fleetplan'), { recursive: true });
  if (config !== undefined) writeFileSync(path.join(dir, '.config', 'fleetplan', 'config.yml'), config);
  return dir;
}

function cli(args: string[], cwd: string, homeDir: string, env: NodeJS.ProcessEnv = {}) {
  const base: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', HOME: homeDir };
  for (const k of Object.keys(base)) if (k.startsWith('FLEETPLAN_') || k.startsWith('XDG_')) delete base[k];
  return runProcess(process.execPath, [path.join(repoRoot, 'dist/fleetplan.js'), ...args], { cwd, env: { ...base, ...env } });
}

test('fleetplan.yml above the working directory: paths relative to it, used by validate; config says where each came from', async () => {
  const dir = project('found-above', 'inventory: inv/three.yml\nforks: 7\nroles_path: [myroles]\nssh_config: ~/ssh.conf\n');
  const h = home('found-above', 'forks: 3\nconnect_timeout: 4\n');
  const v = await cli(['validate', '../plan.yml'], path.join(dir, 'sub'), h);
  assert.equal(v.code, 0, v.stderr);
  assert.match(v.stdout, /valid \(1 play\(s\), 1 task\(s\), 3 host\(s\)\)/);
  const c = await cli(['config'], path.join(dir, 'sub'), h);
  assert.equal(c.code, 0, c.stderr);
  const line = (key: string) => c.stdout.split('\n').find((l) => l.startsWith(`${key} `)) ?? '';
  assert.match(line('inventory'), new RegExp(`${path.join(dir, 'inv', 'three.yml')}\\s+${path.join(dir, 'fleetplan.yml')}:1$`));
  assert.match(line('forks'), new RegExp(`7\\s+${path.join(dir, 'fleetplan.yml')}:2$`));
  assert.match(line('roles_path'), new RegExp(`${path.join(dir, 'myroles')}\\s`));
  assert.match(line('ssh_config'), new RegExp(`^ssh_config\\s+${path.join(h, 'ssh.conf')}\\s`));
  assert.match(line('connect_timeout'), new RegExp(`4\\s+${path.join(h, '.config/fleetplan/config.yml')}:2$`));
  assert.match(line('history_dir'), new RegExp(`${path.join(h, '.local/state/fleetplan')}\\s+default$`));
  const j = await cli(['config', '--json'], path.join(dir, 'sub'), h, { FLEETPLAN_FORKS: '9' });
  const doc = JSON.parse(j.stdout);
  assert.deepEqual(doc.settings.forks, { value: 9, from: 'environment FLEETPLAN_FORKS', env: 'FLEETPLAN_FORKS' });
  assert.deepEqual(doc.files.map((f: { role: string; state: string }) => [f.role, f.state]), [['project', 'read'], ['user', 'read']]);
});

test('precedence: flag > FLEETPLAN_* > fleetplan.yml > user config > default', async () => {
  const dir = project('precedence', 'inventory: inv/project.yml\n');
  const h = home('precedence', `inventory: ${path.join(dir, 'inv', 'user.yml')}\n`);
  const notFound = async (args: string[], env: NodeJS.ProcessEnv, cwd = dir, homeDir = h) => {
    const r = await cli(['validate', 'plan.yml', ...args], cwd, homeDir, env);
    assert.equal(r.code, 4, r.stderr);
    return /error: (\S+): inventory file not found/.exec(r.stderr)?.[1];
  };
  assert.equal(await notFound(['-i', 'flag.yml'], { FLEETPLAN_INVENTORY: 'env.yml' }), 'flag.yml');
  // Relative paths: in the environment, to the working directory; in a file, to the file's directory.
  assert.equal(await notFound([], { FLEETPLAN_INVENTORY: 'env.yml' }), path.join(dir, 'env.yml'));
  assert.equal(await notFound([], {}, path.join(dir, 'sub')), path.join(dir, 'inv', 'project.yml'));
  // Without the project file: the user's; without either: the default.
  const bare = project('precedence-bare');
  writeFileSync(path.join(bare, 'plan.yml'), PLAN);
  assert.equal(await notFound([], {}, bare), path.join(dir, 'inv', 'user.yml'));
  assert.equal(await notFound([], {}, bare, home('empty')), 'inventory.yml');
});

test('roles_path from a file adds to --roles-path; color: false and FLEETPLAN_COLOR', async () => {
  const dir = project('roles', 'roles_path: [from-file]\ncolor: false\n');
  const h = home('roles');
  mkdirSync(path.join(dir, 'from-file', 'greet'), { recursive: true });
  writeFileSync(path.join(dir, 'from-file', 'greet', 'tasks.yml'), '- name: greet\n  file: { path: /tmp/greet, content: "hi" }\n');
  writeFileSync(path.join(dir, 'roleplan.yml'), 'name: p\nhosts: all\nroles: [greet]\n');
  writeFileSync(path.join(dir, 'inventory.yml'), inventory(['a']));
  const v = await cli(['validate', 'roleplan.yml', '--roles-path', path.join(dir, 'elsewhere')], dir, h);
  assert.equal(v.code, 0, v.stderr);
  const c = JSON.parse((await cli(['config', '--json'], dir, h, { FLEETPLAN_COLOR: 'yes' })).stdout);
  assert.equal(c.settings.color.value, true);
  assert.equal(c.settings.color.from, 'environment FLEETPLAN_COLOR');
});

test('a bad configuration file: every error with file:line:col, exit 4, for config and for validate', async () => {
  const dir = project('bad', 'forks: 0\nforrks: 3\ncolor: maybe\ninventory: [a]\n');
  const h = home('bad');
  for (const args of [['config'], ['validate', 'plan.yml']]) {
    const r = await cli(args, dir, h);
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /fleetplan\.yml:1:8: forks: expected a whole number from 1 to 10000/);
    assert.match(r.stderr, /fleetplan\.yml:2:1: unknown setting 'forrks' \(did you mean 'forks'\?\)/);
    assert.match(r.stderr, /fleetplan\.yml:3:8: color: expected true or false/);
    assert.match(r.stderr, /fleetplan\.yml:4:12: inventory: expected a path/);
    assert.match(r.stderr, /invalid input \(configuration\); no host was contacted/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
  const syntax = project('syntax', 'forks: [1\n');
  const s = await cli(['config'], syntax, h);
  assert.equal(s.code, 4);
  assert.match(s.stderr, /fleetplan\.yml:\d+:\d+: /);
  const env = await cli(['validate', 'plan.yml'], project('env'), h, { FLEETPLAN_CONNECT_TIMEOUT: 'soon' });
  assert.equal(env.code, 4);
  assert.match(env.stderr, /environment variable FLEETPLAN_CONNECT_TIMEOUT="soon": expected a whole number/);
});

test('a fleetplan.yml in a directory every user can write is not read', async () => {
  const dir = project('shared', 'inventory: inv/three.yml\n');
  chmodSync(dir, 0o1777);
  const r = await cli(['validate', 'plan.yml'], dir, home('shared'));
  assert.match(r.stderr, /warning: .*fleetplan\.yml not read: .* is writable by every user/);
  assert.match(r.stderr, /inventory\.yml: inventory file not found/);
  assert.equal(r.code, 4);
});

test('vault_password_file from fleetplan.yml: the vault commands find the passphrase there', async () => {
  const dir = project('vault', 'vault_password_file: secret/pass\n');
  const h = home('vault');
  mkdirSync(path.join(dir, 'secret'));
  writeFileSync(path.join(dir, 'secret', 'pass'), 'correct horse battery staple\n', { mode: 0o600 });
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: h, NO_COLOR: '1' };
  for (const k of Object.keys(env)) if (k.startsWith('FLEETPLAN_') || k.startsWith('XDG_')) delete env[k];
  const encrypt = (cwd: string) => runProcess(process.execPath, [path.join(repoRoot, 'dist/fleetplan.js'), 'vault', 'encrypt-string', '-n', 'pw'], { cwd, env, input: 'hunter2' });
  // Without the file's setting there is no passphrase (stdin is no terminal to prompt on).
  const without = await encrypt(project('no-vault'));
  assert.equal(without.code, 4, without.stderr);
  const withConfig = await encrypt(path.join(dir, 'sub'));
  assert.equal(withConfig.code, 0, withConfig.stderr);
  assert.match(withConfig.stdout, /^pw: !vault \|\n\s+\$FLEETPLAN_VAULT;/);
  const c = JSON.parse((await cli(['config', '--json'], path.join(dir, 'sub'), h)).stdout);
  assert.deepEqual(c.settings.vault_password_file, { value: path.join(dir, 'secret', 'pass'), from: `${path.join(dir, 'fleetplan.yml')}:1`, env: 'FLEETPLAN_VAULT_PASSWORD_FILE' });
});

