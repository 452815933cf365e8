// The task tree as the loader builds it: blocks with rescue/always, static imports expanded with
// their own file positions, dynamic includes kept for the engine, roles imported with tasks_from,
// keywords pushed down as Ansible applies them, and the problems reported at file:line:col.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { packageRoot } from '../../src/core/paths.js';
import { loadInventory } from '../../src/load/inventory.js';
import type { TaskDef } from '../../src/load/model.js';
import { loadPlan } from '../../src/load/plan.js';
import { eachTask } from '../../src/load/task-tree.js';
import { validatePlanVars } from '../../src/load/validate.js';
import { hasError, inputErrors } from './load-helpers.js';
import { SecretRegistry } from '../../src/core/secret.js';

const fixture = path.join(packageRoot(), 'test/integration/fixtures/structure/plan.yml');
const secrets = new SecretRegistry();
const opts = { rolesPath: [], bundledRolesDir: path.join(packageRoot(), 'roles'), secrets };
const tmp = mkdtempSync(path.join(tmpdir(), 'fleetplan-load-blocks-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A plan (and further files) in a fresh directory, loaded. */
function planOf(files: Record<string, string>) {
  const dir = mkdtempSync(path.join(tmp, 'case-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return () => loadPlan(path.join(dir, 'plan.yml'), opts);
}

const named = (tasks: TaskDef[], name: string): TaskDef => {
  let hit: TaskDef | undefined;
  eachTask(tasks, (t) => { if (t.name === name) hit ??= t; });
  assert.ok(hit, `no task '${name}'`);
  return hit;
};

describe('the task tree of the structure fixture', () => {
  const plan = loadPlan(fixture, opts);
  const play = plan.plays[1]!;

  it('keeps pre_tasks, tasks and post_tasks apart, with the play tags and environment', () => {
    assert.deepEqual(play.preTasks!.map((t) => t.name), ['pre task', 'pre done']);
    assert.deepEqual(play.postTasks!.map((t) => t.name), ['post task', 'post done']);
    assert.deepEqual(plan.plays[2]!.tags, ['only-this']);
    assert.deepEqual(play.environment, { FP_PLAY: 'from-play' });
  });

  it('reads a block with its rescue and always', () => {
    const b = named(play.tasks, 'update the demo config');
    assert.equal(b.op, 'block');
    assert.equal(b.structure?.kind, 'block');
    if (b.structure?.kind !== 'block') return;
    assert.deepEqual([b.structure.block, b.structure.rescue, b.structure.always].map((l) => l.map((t) => t.name)), [
      ['keep a copy', 'break the config'],
      ['restore the config'],
      ['always note'],
    ]);
  });

  it('pushes block vars and environment into each task, the task\'s own winning', () => {
    const t = named(play.tasks, 'layered vars');
    assert.deepEqual(t.vars, { layer: 'block', who: 'task', extra_wins: 'task' });
    assert.deepEqual(t.environment, { FP_BLOCK: 'from-block', FP_TOKEN: '{{api_token}}' });
  });

  it('expands import_tasks at load time, with positions in the imported file and the import\'s vars', () => {
    const t = named(play.tasks, 'imported file');
    assert.match(t.pos.file, /tasks[/\\]imported\.yml$/);
    assert.equal(t.pos.line, 1);
    assert.deepEqual(t.vars, { greeting: 'imported' });
  });

  it('keeps include_tasks for the engine: its tasks read when the name is static, the file when it is a template', () => {
    const loop = named(play.tasks, 'per-user files');
    assert.equal(loop.op, 'include_tasks');
    assert.deepEqual(loop.loop, ['alice', 'bob']);
    assert.ok(loop.structure?.kind === 'include' && loop.structure.tasks?.[0]?.name === 'a file for the user');
    // The include's vars are its own, not pushed into its tasks (they are rendered per item).
    assert.equal(loop.structure.tasks[0]!.vars, undefined);
    const os = named(play.tasks, 'per-OS file');
    assert.ok(os.structure?.kind === 'include' && os.structure.file?.name === 'tasks/os-{{facts.os_family}}.yml' && !os.structure.tasks);
  });

  it('imports a role with tasks_from: its tasks under the role, its parameters from vars; its handlers are the play\'s', () => {
    const imp = named(play.tasks, 'role part, imported');
    assert.ok(imp.structure?.kind === 'block');
    const roleBlock = imp.structure.block[0]!;
    assert.ok(roleBlock.structure?.kind === 'block' && roleBlock.structure.roleRef);
    assert.deepEqual(roleBlock.structure.roleRef.params, { demo_word: 'imported' });
    assert.equal(roleBlock.structure.block[0]!.name, 'role extra file');
    assert.equal(roleBlock.structure.block[0]!.role, 'demo');
    assert.deepEqual(play.handlers.map((h) => h.name).filter((n) => n === 'role handler'), ['role handler']);
    assert.ok(play.taskRoles!.length >= 2);
  });

  it('is valid for validate: loop items, include vars and what failed are known where they are bound', () => {
    writeFileSync(path.join(tmp, 'inventory.yml'), 'all:\n  hosts:\n    h1: {}\n');
    const inv = loadInventory(path.join(tmp, 'inventory.yml'), secrets);
    assert.deepEqual(validatePlanVars(plan, inv, { extra_wins: 'x' }).map((e) => e.describe()), []);
  });
});

describe('keywords pushed down as Ansible applies them', () => {
  it('a block\'s when, tags and become reach nested tasks; an include\'s stay on the include', () => {
    const plan = planOf({
      'plan.yml': `hosts: all
tasks:
  - when: {outer: true}
    tags: [a]
    become: true
    block:
      - tags: [b]
        when: {inner: true}
        block:
          - name: deep
            command: "true"
      - name: included
        include_tasks: inc.yml
        tags: [c]
        when: {inc: true}
`,
      'inc.yml': '- name: from the include\n  command: "true"\n',
    })();
    const deep = named(plan.plays[0]!.tasks, 'deep');
    assert.deepEqual(deep.tags.sort(), ['a', 'b']);
    assert.deepEqual(deep.when, { all: [{ outer: true }, { inner: true }] });
    assert.equal(deep.become, true);
    const inc = named(plan.plays[0]!.tasks, 'included');
    assert.deepEqual(inc.tags.sort(), ['a', 'c']);
    assert.ok(inc.structure?.kind === 'include');
    const inner = inc.structure.tasks![0]!;
    assert.deepEqual(inner.tags, []);
    assert.equal(inner.when, undefined);
  });

  it('a role imported twice gets its own copies: keywords pushed into one do not reach the other or the role', () => {
    const plan = planOf({
      'plan.yml': `hosts: all
roles: [r]
tasks:
  - import_role: {name: r}
    tags: [imported]
`,
      'roles/r/tasks.yml': '- name: role task\n  command: "true"\n',
    })();
    const play = plan.plays[0]!;
    assert.deepEqual(play.roles[0]!.role.tasks[0]!.tags, []);
    assert.deepEqual(named(play.tasks, 'role task').tags, ['imported']);
  });
});

describe("Ansible's long form", () => {
  it('include_tasks: {file: x.yml} names the file as the short form does', () => {
    const plan = planOf({ 'plan.yml': 'hosts: all\ntasks:\n  - include_tasks: {file: x.yml}\n', 'x.yml': '- name: in x\n  command: "true"\n' })();
    const inc = plan.plays[0]!.tasks[0]!;
    assert.ok(inc.structure?.kind === 'include' && inc.structure.tasks?.[0]?.name === 'in x');
  });
});

describe('bad structure is reported at file:line:col', () => {
  it('a role that imports itself', () => {
    const errors = inputErrors(planOf({ 'plan.yml': 'hosts: all\nroles: [r]\n', 'roles/r/tasks.yml': '- import_role: {name: r}\n' }));
    hasError(errors, 'tasks.yml', 1, 16, "role 'r' imports itself");
  });

  it('an import whose name is a template, keywords an include does not pass down, an operation beside a block', () => {
    const errors = inputErrors(planOf({
      'plan.yml': `hosts: all
tasks:
  - import_tasks: "{{file}}"
  - include_tasks: x.yml
    become: true
  - block: []
    command: "true"
`,
      'x.yml': '[]\n',
    }));
    hasError(errors, 'plan.yml', 3, 19, 'import_tasks: the file name cannot be a template');
    hasError(errors, 'plan.yml', 5, 5, "'become' is not allowed on include_tasks (the keywords of an include apply to the include itself");
    hasError(errors, 'plan.yml', 7, 5, "a task is either an operation or a block: found 'command' beside 'block'");
  });

  it('a meta action fleetplan does not have, and tasks_from naming no file', () => {
    const errors = inputErrors(planOf({
      'plan.yml': 'hosts: all\ntasks:\n  - meta: end_play\n  - import_role: {name: r, tasks_from: nope}\n  - include_tasks: {file: x.yml, apply: {tags: [a]}}\n',
      'roles/r/tasks.yml': '[]\n',
    }));
    hasError(errors, 'plan.yml', 3, 11, 'meta: expected flush_handlers');
    hasError(errors, 'plan.yml', 4, 18, "import_role tasks_from: 'nope.yml' not found");
    hasError(errors, 'plan.yml', 5, 20, 'apply: is not supported');
  });
});

describe('a task file imported twice in one run', () => {
  it('is parsed once, and each import still gets tasks of its own, with its own keywords and the file\'s positions', () => {
    const plan = planOf({
      'plan.yml': 'hosts: all\ntasks:\n  - import_tasks: common.yml\n    when: {first: true}\n  - import_tasks: common.yml\n    tags: [second]\n',
      'common.yml': '# shared\n- name: shared step\n  command: "true"\n',
    })();
    const [a, b] = plan.plays[0]!.tasks.map((t) => (t.structure?.kind === 'block' ? t.structure.block[0]! : t));
    assert.notEqual(a, b);
    assert.deepEqual([a!.name, b!.name], ['shared step', 'shared step']);
    assert.deepEqual(a!.when, { first: true });
    assert.equal(b!.when, undefined);
    assert.deepEqual([a!.tags, b!.tags], [[], ['second']]);
    assert.deepEqual([a!.pos.line, a!.pos.col, b!.pos.line, b!.pos.col], [2, 3, 2, 3]);
    assert.notEqual(a!.args, b!.args);
  });

  it('that is broken is reported at its own line, once (a failed parse is not kept: the second import reads it again)', () => {
    const errors = inputErrors(planOf({
      'plan.yml': 'hosts: all\ntasks:\n  - import_tasks: bad.yml\n  - import_tasks: bad.yml\n',
      'bad.yml': '- name: x\n  command: [unclosed\n',
    }));
    assert.equal(errors.length, 1, errors.map((e) => e.describe()).join('\n'));
    hasError(errors, 'bad.yml', 3, 1, 'YAML syntax error');
  });
});
