// Ansible-isms (src/load/ansible-isms/): a playbook written the Ansible way either loads as the
// fleetplan tasks it means, or is refused with a hint at the file:line:col of what to change.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { loadPlan } from '../../src/load/plan.js';
import type { TaskDef } from '../../src/load/model.js';
import { operations } from '../../src/ops/registry.js';
import { hasError, inputErrors } from './load-helpers.js';
import { jinjaHint } from '../../src/load/jinja-hint.js';
import { SecretRegistry } from '../../src/core/secret.js';

const root = mkdtempSync(path.join(tmpdir(), 'fleetplan-isms-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** A plan directory from files (path → text); returns the plan file. */
function tree(files: Record<string, string>): string {
  const dir = path.join(root, String(n++));
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    writeFileSync(path.join(dir, f), text);
  }
  return path.join(dir, 'site.yml');
}

const load = (file: string) => loadPlan(file, { rolesPath: [], bundledRolesDir: path.join(root, 'none'), registry: operations, secrets: new SecretRegistry() });
/** The tasks of a one-play plan whose tasks: are `tasks` (YAML, indented as a list). */
const tasksOf = (tasks: string, files: Record<string, string> = {}): TaskDef[] => load(tree({ 'site.yml': `hosts: all\ntasks:\n${tasks}`, ...files })).plays[0]!.tasks;
const errorsOf = (tasks: string, files: Record<string, string> = {}) => inputErrors(() => tasksOf(tasks, files));
const opArgs = (t: TaskDef) => [t.op, t.args];

describe('ansible-isms: FQCN and Ansible module names become operations', () => {
  it('copy: src → copy, content → file (dest → path); template', () => {
    const ts = tasksOf(
      [
        '  - ansible.builtin.copy: { src: a.conf, dest: /etc/a.conf, mode: "0644", force: true }',
        '  - ansible.builtin.copy: { content: "x\\n", dest: /etc/x, owner: root }',
        '  - ansible.builtin.template: { src: m.hbs, dest: /etc/motd }',
      ].join('\n') + '\n',
      { 'files/a.conf': 'a\n', 'templates/m.hbs': 'hi\n' },
    );
    assert.deepEqual(ts.map(opArgs), [
      ['copy', { src: 'a.conf', dest: '/etc/a.conf', mode: '0644' }],
      ['file', { content: 'x\n', path: '/etc/x', owner: 'root' }],
      ['template', { src: 'm.hbs', dest: '/etc/motd' }],
    ]);
  });

  it('file: the state chooses directory or file; dest/name are path', () => {
    const ts = tasksOf(
      [
        '  - ansible.builtin.file: { path: /srv/d, state: directory, mode: "0755" }',
        '  - ansible.builtin.file: { dest: /srv/f, state: absent }',
        '  - ansible.builtin.file: { name: /srv/t, state: touch, owner: root }',
        '  - ansible.builtin.file: { path: /srv/a, mode: "0600" }',
      ].join('\n') + '\n',
    );
    assert.deepEqual(ts.map(opArgs), [
      ['directory', { path: '/srv/d', mode: '0755' }],
      ['file', { path: '/srv/f', state: 'absent' }],
      ['file', { path: '/srv/t', owner: 'root' }],
      ['file', { path: '/srv/a', mode: '0600' }],
    ]);
  });

  it('command/shell (free form and options), service/systemd, apt/yum/dnf/pkgng/package, user, group, lineinfile, sysrc', () => {
    const ts = tasksOf(
      [
        '  - ansible.builtin.command: make install chdir=/src creates=/usr/local/bin/x',
        '  - shell: echo "a b" > /tmp/x',
        '  - ansible.builtin.shell: { cmd: "true", removes: /tmp/y }',
        '  - ansible.builtin.systemd: { name: cron, state: started, enabled: yes }',
        '  - ansible.builtin.sysvinit: { name: cron, enabled: false }',
        '  - apt: { name: [tree, less], state: installed }',
        '  - ansible.builtin.yum: { name: tree, state: removed }',
        '  - ansible.builtin.dnf: { pkg: tree, state: latest }',
        '  - community.general.pkgng: { name: tree }',
        '  - ansible.builtin.package: { name: tree, state: installed }',
        '  - ansible.builtin.user: { name: app, groups: "adm, users", system: yes, uid: 901 }',
        '  - ansible.builtin.group: { name: app, gid: 901 }',
        '  - lineinfile: { dest: /etc/a, regex: "^a=", line: a=1, insertafter: EOF, create: true }',
        '  - community.general.sysrc: { name: sshd_enable, value: "YES", path: /etc/rc.conf.local }',
      ].join('\n') + '\n',
    );
    assert.deepEqual(ts.map(opArgs), [
      ['command', { cmd: 'make install', chdir: '/src', creates: '/usr/local/bin/x' }],
      ['command', { cmd: 'echo "a b" > /tmp/x' }],
      ['command', { cmd: 'true', removes: '/tmp/y' }],
      ['service', { name: 'cron', state: 'started', enabled: true }],
      ['service', { name: 'cron', enabled: false }],
      ['package', { name: ['tree', 'less'], state: 'present' }],
      ['package', { name: 'tree', state: 'absent' }],
      ['package', { name: 'tree', state: 'latest' }],
      ['package', { name: 'tree' }],
      ['package', { name: 'tree', state: 'present' }],
      ['user', { name: 'app', groups: ['adm', 'users'], system: true, uid: 901, append: false }],
      ['group', { name: 'app', gid: 901 }],
      ['line', { path: '/etc/a', regexp: '^a=', line: 'a=1', create: true }],
      ['sysrc', { name: 'sshd_enable', value: 'YES', file: '/etc/rc.conf.local' }],
    ]);
  });

  it('FQCN stripping is generic: ansible.builtin.X is operation X', () => {
    const [t] = tasksOf('  - ansible.posix.directory: { path: /srv/d }\n');
    assert.deepEqual(opArgs(t!), ['directory', { path: '/srv/d' }]);
  });

  it('structure modules by FQCN: ansible.builtin.include_tasks / import_tasks / meta are the structure keys', () => {
    const ts = tasksOf(
      [
        '  - ansible.builtin.import_tasks: more.yml',
        '  - ansible.builtin.include_tasks: "more.yml"',
        '  - ansible.builtin.meta: flush_handlers',
      ].join('\n') + '\n',
      { 'more.yml': '- file: { path: /srv/m }\n' },
    );
    assert.deepEqual(ts.map((t) => t.op), ['block', 'include_tasks', 'meta']);
    hasError(errorsOf('  - ansible.builtin.meta: end_play\n'), 'site.yml', 3, 27, 'end_play');
  });

  it('an argument without a clean equivalent is refused at its value, naming what to write', () => {
    const errs = errorsOf('  - ansible.builtin.lineinfile:\n      path: /etc/a\n      line: a=1\n      insertbefore: BOF\n');
    hasError(errs, 'site.yml', 6, 21, "argument 'insertbefore' of ansible.builtin.lineinfile has no fleetplan equivalent: insert_after:");
  });

  it('file with state: link is fleetplan\'s file with state: link (the link operation)', () => {
    assert.deepEqual(tasksOf('  - ansible.builtin.file: { dest: /a, state: link, src: /b }\n').map(opArgs), [['file', { path: '/a', state: 'link', src: '/b' }]]);
  });

  it('unknown modules are named at the key', () => {
    hasError(errorsOf('  - ansible.builtin.debug: { msg: hi }\n'), 'site.yml', 3, 5, "unknown operation 'ansible.builtin.debug': Ansible's debug module is not a fleetplan operation: reports show");
    hasError(errorsOf('  - community.mysql.mysql_db: { name: x }\n'), 'site.yml', 3, 5, "'community.mysql' is not a collection fleetplan reads");
  });

  it("a renamed argument's bad value is reported where it was written", () => {
    hasError(errorsOf('  - lineinfile:\n      dest: etc/a\n      line: x\n'), 'site.yml', 4, 13, "argument 'path' of 'line'");
  });

  it("fleetplan's own short name keeps fleetplan's meaning, with a hint when the arguments are Ansible's", () => {
    hasError(
      errorsOf('  - file: { path: /srv/d, state: directory }\n'),
      'site.yml', 3, 34,
      "(as Ansible's file module this is directory: {path: \"/srv/d\"}; write ansible.builtin.file: to have it read so)",
    );
  });
});

describe('ansible-isms: key=value argument strings', () => {
  it('every word key=value: arguments, numbers and yes/no typed as the operation wants', () => {
    const ts = tasksOf(
      [
        '  - copy: src=a.conf dest="/etc/a b.conf" mode=0644',
        '  - ansible.builtin.service: name=cron state=started enabled=yes',
        '  - ansible.builtin.group: name=app gid=901 system=no',
      ].join('\n') + '\n',
      { 'files/a.conf': 'a\n' },
    );
    assert.deepEqual(ts.map(opArgs), [
      ['copy', { src: 'a.conf', dest: '/etc/a b.conf', mode: '0644' }],
      ['service', { name: 'cron', state: 'started', enabled: true }],
      ['group', { name: 'app', gid: 901, system: false }],
    ]);
  });

  it('a bad value in a key=value string is reported at its word', () => {
    hasError(errorsOf('  - ansible.builtin.copy: src=a.conf dest=etc/a\n', { 'files/a.conf': '' }), 'site.yml', 3, 38, "argument 'dest' of 'copy': must be an absolute path");
    hasError(errorsOf("  - ansible.builtin.file: 'path=/a mode=644x'\n"), 'site.yml', 3, 36, "argument 'mode' of 'file'");
  });

  it("fleetplan's command: with trailing creates= is ambiguous: refused with both forms", () => {
    hasError(errorsOf('  - command: make creates=/x\n'), 'site.yml', 3, 19, 'as Ansible\'s options write command: {cmd: "make", creates: /x}');
  });

  it('an option word in the middle of a free-form command is refused', () => {
    hasError(errorsOf('  - shell: cd creates=/x && make\n'), 'site.yml', 3, 12, "shell: 'creates=/x' in the middle of the command is ambiguous");
  });

  it('a string that is not all key=value words is not an argument mapping', () => {
    hasError(errorsOf('  - copy: a.conf /etc/a\n'), 'site.yml', 3, 11, "operation 'copy' expects a mapping of arguments, got string");
  });
});

describe('ansible-isms: loops and keywords', () => {
  it('with_items is loop (a written list flattened one level); with_list is loop; loop_control works with them', () => {
    const ts = tasksOf(
      [
        '  - ansible.builtin.package: { name: "{{item}}" }',
        '    with_items: [tree, [less, vim]]',
        '    loop_control: { label: "{{item}}" }',
        '  - command: "echo {{item}}"',
        '    with_list: [[a, b], c]',
        '  - command: "echo {{item}}"',
        '    with_items: "{{pkgs}}"',
      ].join('\n') + '\n',
    );
    assert.deepEqual(ts.map((t) => t.loop), [['tree', 'less', 'vim'], [['a', 'b'], 'c'], '{{pkgs}}']);
    assert.equal(ts[0]!.loopLabel, '{{item}}');
  });

  it('with_items beside loop is an error; the other with_* name the loop form', () => {
    hasError(errorsOf('  - command: "echo {{item}}"\n    loop: [a]\n    with_items: [b]\n'), 'site.yml', 5, 17, 'with_items: the same as loop: (give one of them)');
    hasError(errorsOf('  - command: "echo {{item.key}}"\n    with_dict: "{{d}}"\n'), 'site.yml', 4, 5, "'with_dict' is not supported: loop: \"{{dict2items x}}\"");
    hasError(errorsOf('  - command: "echo {{item}}"\n    with_whatever: [a]\n'), 'site.yml', 4, 5, "'with_whatever' is not supported: write loop: with the list");
  });

  it('keywords fleetplan does not have: a hint instead of "unknown key" (task, play, meta)', () => {
    hasError(errorsOf('  - command: sleep 100\n    async: 60\n'), 'site.yml', 4, 5, "'async' is not supported: each host runs its tasks in order");
    hasError(errorsOf('  - local_action: { module: command }\n'), 'site.yml', 3, 5, "'local_action' is not supported: write the operation as usual with delegate_to: localhost");
    const play = inputErrors(() => load(tree({ 'site.yml': 'hosts: all\nvars_prompt: [{name: x}]\ntasks: []\n' })));
    hasError(play, 'site.yml', 2, 1, "'vars_prompt' is not supported: give the values with -e");
    const meta = inputErrors(() => load(tree({ 'site.yml': 'hosts: all\nroles: [r]\n', 'roles/r/tasks/main.yml': '[]\n', 'roles/r/meta/main.yml': 'allow_duplicates: true\n' })));
    hasError(meta, 'meta/main.yml', 1, 1, "meta.yml: 'allow_duplicates' is not supported");
  });
});

describe('ansible-isms: Jinja2 and string conditions', () => {
  it('Jinja in an argument: the Handlebars to write, at the argument', () => {
    hasError(errorsOf("  - file: { path: /a, content: \"{{ x | default('a') }}\" }\n"), 'site.yml', 3, 32, "argument 'content': Jinja expression '{{ x | default('a') }}' is not Handlebars: write {{default x \"a\"}}");
    hasError(errorsOf('  - file:\n      path: /a\n      content: "{% if tls %}yes{% endif %}"\n'), 'site.yml', 5, 16, "argument 'content': Jinja statement '{% if tls %}' is not Handlebars: write {{#if tls}}…{{else}}…{{/if}}");
    hasError(errorsOf('  - command: "echo {{item}}"\n    loop: "{{ xs | list }}"\n'), 'site.yml', 4, 11, "loop: Jinja expression '{{ xs | list }}' is not Handlebars: write {{list xs}}");
  });

  it('a plan argument with Jinja gets one message, not one per check', () => {
    const errs = errorsOf('  - file:\n      path: /a\n      content: "{% if tls %}465{% else %}25{% endif %} {{ x | default(1) }}"\n');
    assert.equal(errs.filter((e) => e.message.includes('Jinja')).length, 1, errs.map((e) => e.describe()).join('\n'));
  });

  it('a .j2 template with Jinja syntax: at its line:col in the template; one with plain {{ x }} renders as Handlebars', () => {
    const files = { 'templates/a.j2': 'x\n{% for k in keys %}\n{{ k }}\n{% endfor %}\n', 'templates/b.j2': 'hello {{ name }}\n' };
    hasError(errorsOf('  - template: { src: a.j2, dest: /etc/a }\n', files), 'templates/a.j2', 2, 1, 'write {{#each keys as |k|}}…{{k}}…{{/each}}; fleetplan templates are Handlebars: convert a.j2 and name it a.hbs');
    assert.equal(tasksOf('  - ansible.builtin.template: { src: b.j2, dest: /etc/b }\n', files)[0]!.op, 'template');
  });

  it('a string when: names the declarative form', () => {
    const cases: Array<[string, string]> = [
      ['x is defined', 'write when: {x: {defined: true}}'],
      ['ansible_os_family == "Debian"', 'write when: {facts.os_family: Debian}'],
      ['result.rc != 0', 'write when: {result.rc: {ne: 0}}'],
      ['ansible_distribution_major_version | int >= 12 and not skip_it', 'write when: {all: [{facts.distribution_major: {gte: 12}}, {not: {skip_it: {truthy: true}}}]}'],
      ['x.stdout.find("y") != -1', 'write a mapping of variable paths to values or tests'],
    ];
    for (const [expr, hint] of cases) {
      hasError(errorsOf(`  - command: "true"\n    when: '${expr}'\n`), 'site.yml', 4, 11, `when: expected a mapping of variable paths to values, e.g. {facts.os_family: Debian}; got string "${expr.replace(/"/g, '\\"')}" (expressions are not evaluated: ${hint}`);
    }
  });
});

describe("ansible-isms: roles in Ansible's layout", () => {
  const ansibleRole = {
    'roles/web/tasks/main.yml': '- ansible.builtin.command: "echo {{greeting}} {{port}} {{os_default}}"\n  notify: restart cron\n',
    'roles/web/handlers/main.yml': '- name: restart cron\n  ansible.builtin.service: { name: cron, state: restarted }\n',
    'roles/web/defaults/main.yml': 'greeting: hi\n',
    'roles/web/vars/main.yml': 'port: 25\n',
    'roles/web/vars/Debian.yml': 'os_default: deb\n',
    'roles/web/meta/main.yml': 'galaxy_info: { author: me, platforms: [{ name: Debian }] }\ndependencies: [base]\n',
    'roles/base/tasks/main.yml': '- ansible.builtin.file: { path: /srv, state: directory }\n',
  };

  it('tasks/, handlers/, defaults/, vars/ (main.yml is default), meta/ dependencies; galaxy_info ignored', () => {
    const plan = load(tree({ 'site.yml': 'hosts: all\nroles: [web]\n', ...ansibleRole }));
    const [base, web] = plan.plays[0]!.roles;
    assert.equal(base!.role.name, 'base');
    assert.equal(base!.role.tasks[0]!.op, 'directory');
    assert.equal(web!.role.tasks[0]!.op, 'command');
    assert.equal(web!.role.handlers[0]!.name, 'restart cron');
    assert.deepEqual(web!.role.defaults, { greeting: 'hi' });
    assert.deepEqual(Object.fromEntries(Object.entries(web!.role.osVars).map(([k, v]) => [k, v.vars])), { default: { port: 25 }, Debian: { os_default: 'deb' } });
  });

  it('both layouts in one role: an error naming both files', () => {
    const errs = inputErrors(() => load(tree({ 'site.yml': 'hosts: all\nroles: [web]\n', ...ansibleRole, 'roles/web/tasks.yml': '[]\n', 'roles/web/vars/default.yml': 'a: 1\n' })));
    hasError(errs, 'roles/web/tasks.yml', undefined as unknown as number, undefined, "role 'web' has both tasks.yml and tasks/main.yml");
    hasError(errs, 'roles/web/vars/default.yml', undefined as unknown as number, undefined, "role 'web' has both vars/default.yml and vars/main.yml");
  });

  it('a task error in tasks/main.yml names that file', () => {
    const errs = inputErrors(() => load(tree({ 'site.yml': 'hosts: all\nroles: [r]\n', 'roles/r/tasks/main.yml': '- name: x\n  ansible.builtin.copy: { dest: /a }\n' })));
    hasError(errs, 'roles/r/tasks/main.yml', 2, 3, "argument 'src' of 'copy' is required");
  });
});

describe('ansible-isms: key=value strings holding templates', () => {
  it('a {{ … }} with spaces and quotes is one piece of its word', () => {
    const [t] = tasksOf("  - ansible.builtin.group: name={{ concat 'web' \"-\" suffix }} system=yes\n");
    assert.deepEqual(opArgs(t!), ['group', { name: "{{ concat 'web' \"-\" suffix }}", system: true }]);
  });

  it('a string starting key=value whose other words are not: an error, never a shorthand value', () => {
    hasError(errorsOf('  - ansible.builtin.file: path=/a b c\n'), 'site.yml', 3, 27, 'key=value arguments need every word to be key=value');
  });
});

describe('ansible-isms: values and templates that decide the meaning', () => {
  it("a value Ansible has and fleetplan does not, and user groups as a template, are refused at the value", () => {
    hasError(errorsOf('  - community.general.sysrc: { name: x_flags, value: "-a", state: value_present }\n'), 'site.yml', 3, 67, 'argument \'state\' of community.general.sysrc: "value_present" has no fleetplan equivalent: value: the whole wanted value');
    hasError(errorsOf('  - ansible.builtin.user: { name: app, groups: "{{ gs }}" }\n'), 'site.yml', 3, 48, "argument 'groups' of ansible.builtin.user: a template here may render a list or a string: write a list, groups: [\"{{ gs }}\"]");
  });
});

describe("ansible-isms: Ansible's unquoted octal mode", () => {
  it('mode: 0644 under an Ansible module name is "0644"; under fleetplan\'s own operation it stays an error', () => {
    const [t] = tasksOf('  - ansible.builtin.file:\n      path: /a\n      mode: 0644\n');
    assert.deepEqual(opArgs(t!), ['file', { path: '/a', mode: '0644' }]);
    hasError(errorsOf('  - file:\n      path: /a\n      mode: 0644\n'), 'site.yml', 5, 13, "argument 'mode' of 'file': expected string");
  });
});

describe('ansible-isms: Jinja2 in role variables', () => {
  it("defaults/main.yml and vars/*.yml strings: the Handlebars to write, at the string's line:col", () => {
    const errs = inputErrors(() =>
      load(tree({
        'site.yml': 'hosts: all\nroles: [r]\n',
        'roles/r/tasks/main.yml': '[]\n',
        'roles/r/defaults/main.yml': "plain: \"{{ other }}\"\nrelayhost: \"[{{ relay_host }}]:{{ relay_port | default(587) }}\"\n",
        'roles/r/vars/Debian.yml': 'items: [a, "{% if x %}y{% endif %}"]\n',
      })),
    );
    hasError(errs, 'roles/r/defaults/main.yml', 2, 32, "Jinja expression '{{ relay_port | default(587) }}' is not Handlebars: write {{default relay_port 587}}");
    hasError(errs, 'roles/r/vars/Debian.yml', 1, 13, "Jinja statement '{% if x %}' is not Handlebars: write {{#if x}}…{{else}}…{{/if}}");
    assert.equal(errs.length, 2, errs.map((e) => e.describe()).join('\n'));
  });
});

describe("ansible-isms: YAML 1.1's yes/no for boolean keywords", () => {
  it('become: yes, ignore_errors: no, no_log: True are booleans; a non-boolean word is still an error', () => {
    const plan = load(tree({ 'site.yml': 'hosts: all\nbecome: yes\ntasks:\n  - command: "true"\n    ignore_errors: no\n    no_log: True\n    become: off\n' }));
    const [play] = plan.plays;
    const [t] = play!.tasks;
    assert.deepEqual([play!.become, t!.ignoreErrors, t!.noLog, t!.become], [true, false, true, false]);
    hasError(inputErrors(() => tasksOf('  - command: "true"\n    become: maybe\n')), 'site.yml', 4, 13, 'become: expected true or false');
  });
});

describe('jinjaHint: Jinja2 found, Handlebars left alone', () => {
  it('valid Handlebars has no hint', () => {
    for (const t of ['{{ x }}', '{{x.y}}', '{{x.[0]}}', '{{#if a}}b{{else if c}}d{{/if}}', '{{#each xs as |x|}}{{x}}{{/each}}', '{{concat a "|" b}}', '{{join list ", "}}', '{{{raw}}}', '{{~x~}}', '{{!-- c --}}', '{{default x "a ~ b"}}', '{{#if (eq a "x == y")}}', '{{indent t 4 first=true}}', '{{@index}}', '{{../name}}', 'awk \'{print $1}\' ${#arr}']) {
      assert.equal(jinjaHint(t), undefined, t);
    }
  });

  it('each Jinja form gets its Handlebars', () => {
    const cases: Array<[string, string]> = [
      ["{{ x | default('a') }}", '{{default x "a"}}'],
      ['{{ x | lower | trim }}', '{{trim (lower x)}}'],
      ["{{ a ~ ':' ~ b }}", '{{concat a ":" b}}'],
      ["{{ 'on' if tls else 'off' }}", '{{ternary tls "on" "off"}}'],
      ["{{ lookup('env', 'HOME') }}", '{{env "HOME"}}'],
      ["{{ x['a'] }}", '{{x.a}}'],
      ['{% if a == "b" %}', '{{#if (eq a "b")}}'],
      ['{% for k, v in d.items() %}', '{{#each d}}{{@key}} {{this}}{{/each}}'],
      ['{% endfor %}', '{{/each}}'],
      ['{# note #}', '{{!-- … --}}'],
    ];
    for (const [jinja, hbs] of cases) assert.ok(jinjaHint(`x ${jinja} y`)?.message.includes(`write ${hbs}`), `${jinja}: ${jinjaHint(jinja)?.message}`);
  });
});

describe("ansible-isms: fleetplan's copy with Ansible's content:", () => {
  it('names the file operation it means there', () => {
    const errs = errorsOf('  - copy: { content: "x\\n", dest: /etc/x }\n');
    hasError(errs, 'site.yml', 3, 13, "unknown argument 'content' for 'copy'");
    hasError(errs, 'site.yml', 3, 13, "(as Ansible's copy module this is file: {content: \"x\\n\", path: \"/etc/x\"}; write ansible.builtin.copy: to have it read so)");
  });
});

describe("ansible-isms: Ansible's per-OS vars_files", () => {
  it('a templated vars_files name says where per-OS variables go', () => {
    const errs = inputErrors(() => load(tree({ 'site.yml': 'hosts: all\nvars_files:\n  - "vars/{{ ansible_facts.os_family }}.yml"\ntasks: []\n' })));
    hasError(errs, 'site.yml', 3, 5, "file names are not templates: a role's vars/<os_family>.yml, vars/<distribution>.yml are chosen from facts by themselves");
  });
});
