// An Ansible user's playbook directory, as they would write it — site.yml, an inventory with Ansible's
// connection variables, roles in Ansible's layout (tasks/main.yml, handlers/, defaults/, vars/main.yml,
// meta/main.yml with galaxy_info and dependencies, templates/*.j2, files/), FQCN module names,
// with_items and key=value argument strings — runs on a real host: the dry run predicts, the real run
// changes exactly that, a second run changes nothing. The same directory with Ansible-isms fleetplan
// cannot take fails at validate, each with a hint at file:line:col, before any host is contacted.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { down, up, type Fleet } from '../fleet/fleet.js';
import { skipOrFail, unsupportedReason } from '../fleet/prereqs.js';
import { assertPredicted, fleetplan, tasksWith } from './cli.js';

const reason = unsupportedReason();
const skip = reason ? skipOrFail(reason) : false;
const out = skip ? '' : mkdtempSync('/tmp/fleetplan-isms-');
const pb = skip ? '' : mkdtempSync('/tmp/fleetplan-isms-pb-');
let fleet: Fleet;
let host: string;

const ROLES: Record<string, string> = {
  'roles/common/tasks/main.yml': `
- name: web root
  ansible.builtin.file: path=/srv/www state=directory mode=0755
`,
  'roles/web/meta/main.yml': `
galaxy_info:
  author: someone
  description: a web role
  license: MIT
  min_ansible_version: "2.14"
  platforms:
    - name: Debian
      versions: [bookworm]
dependencies:
  - role: common
`,
  'roles/web/defaults/main.yml': `
web_sites: [alpha, beta]
web_port: 8080
`,
  'roles/web/vars/main.yml': `
web_group: webops
`,
  'roles/web/tasks/main.yml': `
- name: web operators group
  ansible.builtin.group: name={{ web_group }} system=yes

- name: web application account
  ansible.builtin.user:
    name: webapp
    groups: ["{{ web_group }}"]
    system: yes
    shell: /usr/sbin/nologin

- name: one directory per site
  ansible.builtin.file:
    path: "/srv/www/{{ item }}"
    state: directory
    owner: webapp
  with_items: "{{ web_sites }}"

- name: the front page
  ansible.builtin.copy: src=index.html dest=/srv/www/alpha/index.html mode=0644

- name: the second site's page
  ansible.builtin.copy:
    content: "beta\\n"
    dest: /srv/www/beta/index.html

- name: site configuration
  ansible.builtin.template:
    src: site.conf.j2
    dest: /etc/site.conf
    mode: "0640"
  notify: reload site

- name: port setting
  lineinfile:
    dest: /srv/www/settings
    regexp: "^port="
    line: "port={{ web_port }}"
    create: yes

- name: build marker
  ansible.builtin.shell: echo built > /srv/www/built creates=/srv/www/built

- name: the mail system stays installed
  ansible.builtin.apt:
    name: postfix
    state: installed

- name: the milter stays off
  ansible.builtin.service: name=opendkim state=stopped enabled=no
`,
  'roles/web/handlers/main.yml': `
- name: reload site
  ansible.builtin.shell: date > /srv/www/reloaded
`,
  'roles/web/templates/site.conf.j2': `listen {{ web_port }}
group {{ web_group }}
`,
  'roles/web/files/index.html': 'alpha\n',
  'site.yml': `
- name: web servers
  hosts: web
  roles:
    - web
`,
};

const write = (dir: string, files: Record<string, string>) => {
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    writeFileSync(path.join(dir, f), text.replace(/^\n/, ''));
  }
};

before(async () => {
  if (skip) return;
  fleet = await up({ os: 'debian-sysv', count: 1, out });
  const h = fleet.hosts[0]!;
  host = h.name;
  write(pb, ROLES);
  // Ansible's connection variable names.
  write(pb, {
    'inventory.yml': `all:
  children:
    web:
      hosts:
        ${h.name}:
          ansible_host: ${h.address}
          ansible_port: ${h.port}
          ansible_user: root
          ansible_ssh_private_key_file: ${fleet.keyPath}
          ssh_known_hosts_file: ${fleet.knownHostsPath}
`,
  });
});
after(async () => {
  if (out) {
    await down(out).catch(() => undefined);
    rmSync(out, { recursive: true, force: true });
  }
  if (pb) rmSync(pb, { recursive: true, force: true });
});

const run = (args: string[], dir = pb) => fleetplan(['apply', path.join(dir, 'site.yml'), '-i', path.join(pb, 'inventory.yml'), '--json', ...args]);

const FIRST_RUN = [
  'web root',
  'web operators group',
  'web application account',
  'one directory per site (alpha)',
  'one directory per site (beta)',
  'the front page',
  "the second site's page",
  'site configuration',
  'port setting',
  'build marker',
  'handler:reload site',
].sort();

let checked: any;

test('validate: the Ansible-style playbook is valid as it is', { skip }, async () => {
  const r = await fleetplan(['validate', path.join(pb, 'site.yml'), '-i', path.join(pb, 'inventory.yml')]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /valid \(1 play\(s\), 11 task\(s\), 1 host\(s\)\)/);
});

test('check: predicts every change, changes nothing', { skip }, async () => {
  const r = await run(['--check', '--diff']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  checked = r.json;
  assert.deepEqual(tasksWith(r.json, host, 'changed').sort(), FIRST_RUN);
  assert.deepEqual(tasksWith(r.json, host, 'ok').sort(), ['the mail system stays installed', 'the milter stays off']);
  const conf = r.json.hosts[host].tasks.find((t: any) => t.name === 'site configuration');
  assert.equal(conf.diff[0].after, 'listen 8080\ngroup webops\n');
  const st = await fleet.exec(host, 'test -e /srv/www && echo www; getent group webops && echo group; test -e /etc/site.conf && echo conf');
  assert.equal(st.stdout.trim(), '', 'a dry run changes nothing');
});

test('apply: changes what check predicted, with the meaning Ansible gives these tasks', { skip }, async () => {
  const r = await run([]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.deepEqual(tasksWith(r.json, host, 'failed'), []);
  assert.deepEqual(tasksWith(r.json, host, 'changed').sort(), FIRST_RUN);
  assertPredicted(checked, r.json, host);
  const st = await fleet.exec(
    host,
    [
      'stat -c "%a %U" /srv/www /srv/www/alpha /srv/www/beta',
      'cat /srv/www/alpha/index.html /srv/www/beta/index.html /srv/www/settings /srv/www/built /etc/site.conf',
      'stat -c %a /srv/www/alpha/index.html /etc/site.conf',
      'id -Gn webapp',
      'getent passwd webapp | cut -d: -f7',
      'test -s /srv/www/reloaded && echo reloaded',
    ].join('; '),
  );
  assert.equal(
    st.stdout,
    [
      '755 root', '755 webapp', '755 webapp',
      'alpha', 'beta', 'port=8080', 'built', 'listen 8080', 'group webops',
      '644', '640',
      // Ansible's user: groups is the whole list (append: no) besides the primary group.
      'webapp webops',
      '/usr/sbin/nologin',
      'reloaded',
    ].join('\n') + '\n',
  );
});

test('a second run changes nothing', { skip }, async () => {
  const r = await run([]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.deepEqual(tasksWith(r.json, host, 'changed'), []);
  assert.deepEqual(tasksWith(r.json, host, 'failed'), []);
});

test('the same layout with Ansible-isms fleetplan cannot take: validate fails with a hint at file:line:col, no host contacted', { skip }, async () => {
  const bad = mkdtempSync('/tmp/fleetplan-isms-bad-');
  try {
    cpSync(pb, bad, { recursive: true });
    const tasks = path.join(bad, 'roles/web/tasks/main.yml');
    writeFileSync(
      tasks,
      readFileSync(tasks, 'utf8') +
        [
          '',
          '- name: sites by name',
          '  ansible.builtin.debug: msg={{ item.key }}',
          '  with_dict: "{{ sites }}"',
          '',
          '- name: maybe',
          '  ansible.builtin.file: path=/srv/www/x state=directory',
          '  when: web_extra is defined',
          '',
          "- ansible.builtin.copy: { content: \"{{ motd | default('hi') }}\", dest: /etc/motd }",
          '',
        ].join('\n'),
    );
    const sessionsBefore = (await fleet.exec(host, 'grep -c "Starting session" /var/log/sshd.log || true')).stdout.trim();
    const r = await fleetplan(['validate', path.join(bad, 'site.yml'), '-i', path.join(pb, 'inventory.yml')]);
    assert.equal(r.code, 4, r.stdout + r.stderr);
    const at = (line: number, col: number) => `${path.join(bad, 'roles/web/tasks/main.yml')}:${line}:${col}`;
    const file = 'roles/web/tasks/main.yml';
    const lines = r.stderr.split('\n');
    const has = (line: number, col: number, text: string) =>
      assert.ok(lines.some((l) => (l.includes(at(line, col)) || l.includes(`${file}:${line}:${col}`)) && l.includes(text)), `no ${file}:${line}:${col} ${text} in:\n${r.stderr}`);
    has(52, 3, "unknown operation 'ansible.builtin.debug': Ansible's debug module is not a fleetplan operation");
    has(53, 3, "'with_dict' is not supported: loop: \"{{dict2items x}}\"");
    has(57, 9, 'when: expected a mapping of variable paths to values, e.g. {facts.os_family: Debian}; got string "web_extra is defined" (expressions are not evaluated: write when: {web_extra: {defined: true}})');
    has(59, 36, "argument 'content': Jinja expression '{{ motd | default('hi') }}' is not Handlebars: write {{default motd \"hi\"}}");
    const sessionsAfter = (await fleet.exec(host, 'grep -c "Starting session" /var/log/sshd.log || true')).stdout.trim();
    assert.equal(sessionsAfter, sessionsBefore, 'validate contacts no host');
  } finally {
    rmSync(bad, { recursive: true, force: true });
  }
});
