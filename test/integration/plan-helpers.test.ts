// Template helpers on a real host: a template using a dozen helpers (combine/dict2items loops,
// map_attr, sort, unique, default's "also when empty" form, ternary, bool, int, regex_replace, ...)
// is predicted exactly by a dry run, written by the real run, and a re-run changes nothing. A second
// template computes from a secret (b64encode, hash, password_hash): the host gets the real values,
// every report shows none of them. A typed argument takes a rendered "yes".
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { down, up, type Fleet } from '../fleet/fleet.js';
import { skipOrFail, unsupportedReason } from '../fleet/prereqs.js';
import { assertPredicted, fleetplan, tasksWith } from './cli.js';

const reason = unsupportedReason();
const skip = reason ? skipOrFail(reason) : false;
const out = skip ? '' : mkdtempSync('/tmp/fleetplan-helpers-');
const dir = skip ? '' : mkdtempSync('/tmp/fleetplan-helpers-plan-');
const PASSWORD = 'Relay-Pw-7f3c!x';
let fleet: Fleet;
let host: string;

const PLAN = `hosts: all
vars:
  mail_domain: " Example.ORG "
  relays:
    - { name: mx2, address: 10.0.0.2, weight: "20" }
    - { name: mx1, address: 10.0.0.1, weight: "10" }
    - { name: mx2, address: 10.0.0.2, weight: "20" }
  postfix_defaults:
    smtpd: { tls_level: may, banner: "$myhostname ESMTP" }
    limits: { message_size: 10240000 }
  postfix_overrides:
    smtpd: { tls_level: encrypt }
  empty_banner: ""
  tls_wanted: "yes"
  log_level: "3"
  make_flags: "yes"
  relay_user: relay
  relay_password: !secret "${PASSWORD}"
tasks:
  - name: config directory
    directory: { path: /etc/fleet-helpers }
  - name: helpers config
    template: { src: helpers.conf.hbs, dest: /etc/fleet-helpers/helpers.conf }
  - name: credentials
    template: { src: credentials.hbs, dest: /etc/fleet-helpers/credentials, mode: "0600" }
  - name: flags file created from a rendered yes
    line: { path: /etc/fleet-helpers/flags, line: "managed=1", create: "{{make_flags}}" }
`;

const TEMPLATE = `# {{upper (trim mail_domain)}} ({{lower (trim mail_domain)}})
relays = {{join (sort (unique (map_attr relays "name"))) ", "}}
count = {{length (unique relays)}}
{{#each (dict2items (combine postfix_defaults postfix_overrides recursive=true))}}
[{{key}}]
{{#each (dict2items value)}}
{{key}} = {{value}}
{{/each}}
{{/each}}
banner = {{default empty_banner "fleet relay" true}}
tls = {{ternary (bool tls_wanted) "on" "off"}}
log_level = {{int log_level}}
hosts_file = {{regex_replace (lower (trim mail_domain)) "^(\\w+)\\.(\\w+)$" "/etc/\\2/\\1.hosts"}}
dir = {{dirname "/etc/fleet-helpers/helpers.conf"}} base = {{basename "/etc/fleet-helpers/helpers.conf"}}
`;

before(async () => {
  if (skip) return;
  fleet = await up({ os: ['debian-sysv'], count: 1, out });
  host = fleet.hosts[0]!.name;
  mkdirSync(path.join(dir, 'templates'));
  writeFileSync(path.join(dir, 'site.yml'), PLAN);
  writeFileSync(path.join(dir, 'templates/helpers.conf.hbs'), TEMPLATE);
  writeFileSync(
    path.join(dir, 'templates/credentials.hbs'),
    'auth = {{b64encode (concat relay_user ":" relay_password)}}\nsha = {{hash relay_password "sha256"}}\nshadow = {{password_hash relay_password "sha512" "fleetsalt"}}\n',
  );
});
after(async () => {
  if (!out) return;
  await down(out).catch(() => undefined);
  rmSync(out, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

const EXPECTED = `# EXAMPLE.ORG (example.org)
relays = mx1, mx2
count = 2
[smtpd]
tls_level = encrypt
banner = $myhostname ESMTP
[limits]
message_size = 10240000
banner = fleet relay
tls = on
log_level = 3
hosts_file = /etc/org/example.hosts
dir = /etc/fleet-helpers base = helpers.conf
`;
const AUTH = Buffer.from(`relay:${PASSWORD}`).toString('base64');
const SHA = createHash('sha256').update(PASSWORD).digest('hex');

const apply = (...extra: string[]) => fleetplan(['apply', path.join(dir, 'site.yml'), '-i', fleet.inventoryPath, '--json', ...extra]);
const task = (json: any, name: string) => json.hosts[host].tasks.find((t: any) => t.name === name);
/** No form of the secret, nor anything computed from it, in what fleetplan printed. */
function assertNoSecret(text: string): void {
  for (const v of [PASSWORD, AUTH, SHA]) assert.ok(!text.includes(v), `a report shows ${v}`);
}

let checked: any;

test('validate accepts the helpers', { skip }, async () => {
  const r = await fleetplan(['validate', path.join(dir, 'site.yml'), '-i', fleet.inventoryPath]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
});

test('check --diff: the rendered file exactly, the secret file masked, nothing changed', { skip }, async () => {
  const r = await apply('--check', '--diff');
  assert.equal(r.code, 0, r.stderr);
  checked = r.json;
  assert.deepEqual(tasksWith(r.json, host, 'changed').sort(), ['config directory', 'credentials', 'flags file created from a rendered yes', 'helpers config']);
  const conf = task(r.json, 'helpers config');
  assert.equal(conf.diff[0].before, null);
  assert.equal(conf.diff[0].after, EXPECTED);
  const creds = task(r.json, 'credentials');
  assert.equal(creds.diff[0].masked, 'secret');
  assertNoSecret(r.stdout + r.stderr);
  const onHost = await fleet.exec(host, 'ls /etc/fleet-helpers 2>&1 || true');
  assert.match(onHost.stdout, /No such file/, 'a dry run changes nothing');
});

test('apply writes what the dry run showed; the host has the secret-derived values, the report none', { skip }, async () => {
  const r = await apply();
  assert.equal(r.code, 0, r.stderr);
  assertPredicted(checked, r.json, host);
  assertNoSecret(r.stdout + r.stderr);
  assert.equal((await fleet.exec(host, 'cat /etc/fleet-helpers/helpers.conf')).stdout, EXPECTED);
  const creds = (await fleet.exec(host, 'cat /etc/fleet-helpers/credentials')).stdout;
  const shadow = (await fleet.exec(host, `python3 -c 'import crypt,sys; print(crypt.crypt(sys.argv[1], "$6$fleetsalt"))' '${PASSWORD}' 2>/dev/null`)).stdout.trim();
  assert.equal(creds, `auth = ${AUTH}\nsha = ${SHA}\nshadow = ${shadow}\n`);
  assert.match(shadow, /^\$6\$fleetsalt\$[./0-9A-Za-z]{86}$/, "the host's own crypt(3) agrees");
  assert.equal((await fleet.exec(host, 'cat /etc/fleet-helpers/flags')).stdout, 'managed=1\n');
});

test('a second run changes nothing', { skip }, async () => {
  const r = await apply();
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(tasksWith(r.json, host, 'changed'), []);
  assertNoSecret(r.stdout + r.stderr);
});
