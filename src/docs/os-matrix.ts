// The backend part of docs/os-matrix.md, generated from the code itself: the selection tables of
// src/backends/select.ts, each backend's declared `supports`, the facts detection run on captured
// facts-script output, and the exact commands obtained by planning the real operations against a
// sample state. Hand-written prose stays outside the generated region, so the tables cannot drift.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { SecretRegistry } from '../core/secret.js';
import type { AccountsBackend, InitBackend, PackageBackend } from '../backends/backends.js';
import {
  accountsBackends,
  accountsRules,
  initBackends,
  initRules,
  packageBackends,
  packageRules,
  selectBackends,
  type SelectionRule,
} from '../backends/select.js';
import type { Facts } from '../facts/facts.js';
import { FAMILY_OF_ID, parseFacts } from '../facts/gather.js';
import { packageRoot } from '../core/paths.js';
import type { OpContext } from '../ops/operation.js';
import { operations } from '../ops/registry.js';
import { PRELUDE } from '../state/prelude.js';
import { StateView } from '../state/query.js';
import { sysopsSection } from './os-matrix-sysops.js';

export const BEGIN_MARKER = '<!-- BEGIN GENERATED: npm run docs (src/docs/os-matrix.ts); edit the code, not this region -->';
export const END_MARKER = '<!-- END GENERATED -->';

/** Captured facts-script output of real OSes (also the facts unit test's fixtures). */
export const FACTS_FIXTURES = path.join(packageRoot(), 'test', 'unit', 'fixtures', 'facts');

const code = (s: string) => `\`${s.replace(/\|/g, '\\|')}\``;
const row = (cells: string[]) => `| ${cells.join(' | ')} |`;
const table = (head: string[], rows: string[][]) => [row(head), row(head.map(() => '---')), ...rows.map(row)].join('\n');
const yes = (b: boolean) => (b ? '✓' : '—');

function ruleText(rule: SelectionRule): string {
  return Object.entries(rule.when)
    .map(([fact, value]) => `${code(`facts.${fact}`)} = ${code(value)}`)
    .join(' and ');
}

function chosenWhen(rules: readonly SelectionRule[], name: string): string {
  const hits = rules.filter((r) => r.backend === name);
  return hits.length ? hits.map(ruleText).join(', or ') : `never from facts: only with ${code(`use: ${name}`)}`;
}

type Answer = (key: string) => unknown;

/** The commands the real operation plans for `args` when its state queries are answered by `answer`. */
function plannedCommands(opName: string, args: Record<string, unknown>, backends: OpContext['backends'], answer: Answer): string {
  const op = operations.get(opName)!;
  const ctx: OpContext = {
    host: 'example',
    facts: parseFacts('system=Linux\n'),
    vars: {},
    backends,
    controllerPath: (_kind, src) => src,
    renderTemplate: () => '',
    noLog: false,
    // Documentation examples hold no secrets: an empty registry of their own.
    secrets: new SecretRegistry(),
  };
  try {
    const resolved = op.resolve(op.schema.parse(args), ctx);
    const view = new StateView();
    for (const q of op.queries(resolved, ctx)) view.set(q.key, answer(q.key));
    const planned = op.plan(resolved, view, ctx);
    const runs = planned.changes.map((c) => (c.kind === 'run' ? c.command : `(write ${c.write.path})`));
    const followUps = [...new Set(planned.changes.flatMap((c) => (c.kind === 'run' && c.followUp ? [c.followUp.command] : [])))];
    const after = followUps.map((f) => `once after the play: ${code(f)}`);
    return runs.length ? [...runs.map(code), ...after].join('<br>') : `nothing (${planned.reason ?? 'up to date'})`;
  } catch (err) {
    return `refused: ${(err as Error).message}`;
  }
}

const taskText = (opName: string, args: Record<string, unknown>) =>
  code(`${opName}: {${Object.entries(args).map(([k, v]) => `${k}: ${Array.isArray(v) ? `[${v.join(', ')}]` : String(v)}`).join(', ')}}`);

function details(summary: string, script: string): string {
  return ['<details><summary>' + summary + '</summary>', '', '```sh', script.trim(), '```', '', '</details>'].join('\n');
}

function factsSection(): string[] {
  const fixtures = readdirSync(FACTS_FIXTURES).filter((f) => f.endsWith('.json')).sort();
  const rows = fixtures.map((f) => {
    const facts: Facts = parseFacts((JSON.parse(readFileSync(path.join(FACTS_FIXTURES, f), 'utf8')) as { output: string }).output);
    const b = selectBackends(facts);
    return [
      code(f.replace(/\.json$/, '')),
      facts.os_family,
      `${facts.distribution} ${facts.distribution_version}`,
      String(facts.distribution_major),
      facts.init,
      facts.pkg_mgr,
      code(b.package.name),
      code(b.init.name),
      code(b.accounts.name),
    ];
  });
  const byFamily = new Map<string, string[]>();
  for (const [id, family] of Object.entries(FAMILY_OF_ID)) byFamily.set(family, [...(byFamily.get(family) ?? []), id]);
  return [
    '### Facts and backends per OS',
    '',
    'What the facts script reports on each OS (captured output in `test/unit/fixtures/facts/`, the facts',
    "unit test's fixtures) and the backends the selection tables give that host:",
    '',
    table(['captured OS', 'os_family', 'distribution', 'major', 'init', 'pkg_mgr', 'package', 'service', 'accounts'], rows),
    '',
    '`os_family` from the os-release `ID` (or the first `ID_LIKE` entry that is known):',
    '',
    table(['os_family', 'os-release IDs'], [...byFamily].map(([family, ids]) => [family, ids.map(code).join(', ')])),
    '',
  ];
}

function selectionSection(): string[] {
  const rows: string[][] = [];
  for (const name of Object.keys(packageBackends)) rows.push(['package', code(name), chosenWhen(packageRules, name)]);
  for (const name of Object.keys(initBackends)) rows.push(['service (init)', code(name), chosenWhen(initRules, name)]);
  for (const name of Object.keys(accountsBackends)) rows.push(['accounts', code(name), chosenWhen(accountsRules, name)]);
  return [
    '### How a backend is chosen',
    '',
    'Per host, once, from its facts: the first rule whose facts all match wins (`src/backends/select.ts`).',
    `A \`package\` task's \`use:\` (${Object.keys(packageBackends).map(code).join(', ')}) and a \`service\` task's \`use:\``,
    `(${Object.keys(initBackends).map(code).join(', ')}) override the choice; a host no rule matches fails the first`,
    'task that needs the backend, with a message naming `use:`.',
    '',
    table(['kind', 'backend', 'chosen when'], rows),
    '',
  ];
}

function supportSection(): string[] {
  const states = ['present', 'absent', 'latest'] as const;
  const actions = ['start', 'stop', 'restart', 'reload', 'enable', 'disable'] as const;
  const accounts = ['users', 'groups', 'supplementary groups'] as const;
  return [
    '### What each backend supports',
    '',
    "Each backend declares what it can do (its `supports` list); an operation asking for anything else fails",
    'that task with the backend\'s name and list instead of running a command that would do less.',
    '',
    table(
      ['package backend', ...states.map((s) => `\`state: ${s}\``)],
      Object.entries(packageBackends).map(([n, b]) => [code(n), ...states.map((s) => yes(b.supports.includes(s)))]),
    ),
    '',
    table(
      ['init backend', ...actions],
      Object.entries(initBackends).map(([n, b]) => [code(n), ...actions.map((a) => yes(b.supports.includes(a)))]),
    ),
    '',
    table(
      ['accounts backend', ...accounts],
      Object.entries(accountsBackends).map(([n, b]) => [code(n), ...accounts.map((c) => yes(b.supports.includes(c)))]),
    ),
    '',
  ];
}

const samplePackage = (name: string) => (name === 'ports' ? 'mail/postfix' : 'postfix');

function packageCommands(): string[] {
  const out = ['#### Package backends', ''];
  for (const [name, backend] of Object.entries(packageBackends)) {
    const pkgName = samplePackage(name);
    const backends = { package: backend, init: initBackends.systemd!, accounts: accountsBackends['shadow-utils']! };
    const args = (extra: Record<string, unknown>) => ({ name: pkgName, ...(name === 'ports' ? { use: 'ports' } : {}), ...extra });
    const state = (s: { installed: string | null; candidate?: string | null }): Answer => () => ({ [pkgName]: s });
    const cases: Array<[Record<string, unknown>, string, Answer]> = [
      [args({}), 'not installed', state({ installed: null })],
      [args({ state: 'absent' }), 'installed', state({ installed: '1.0' })],
      [args({ state: 'latest' }), '1.0 installed, 2.0 available', state({ installed: '1.0', candidate: '2.0' })],
    ];
    out.push(
      `**\`${name}\`** (${backend.name})`,
      '',
      table(['task', 'host state', 'runs'], cases.map(([a, st, answer]) => [taskText('package', a), st, plannedCommands('package', a, backends, answer)])),
      '',
      details(`how ${name} reads package state${backend.supports.includes('latest') ? ' (the available version is asked only for <code>state: latest</code>)' : ''}`, (backend.supports.includes('latest')
        ? backend.query([pkgName], { candidate: true })
        : backend.query([pkgName])).script),
      '',
    );
  }
  return out;
}

function serviceCommands(): string[] {
  const out = ['#### Init backends', ''];
  for (const [name, backend] of Object.entries(initBackends) as Array<[string, InitBackend]>) {
    const backends = { package: packageBackends.apt!, init: backend, accounts: accountsBackends['shadow-utils']! };
    const state = (svc: string, running: boolean, enabled: boolean): Answer => () => ({ [svc]: { exists: true, running, enabled } });
    const cases: Array<[Record<string, unknown>, string, Answer]> = [
      [{ name: 'postfix', state: 'started' }, 'stopped', state('postfix', false, false)],
      [{ name: 'postfix', state: 'stopped' }, 'running', state('postfix', true, true)],
      [{ name: 'postfix', state: 'restarted' }, 'running', state('postfix', true, true)],
      [{ name: 'postfix', state: 'restarted' }, 'stopped', state('postfix', false, true)],
      [{ name: 'postfix', state: 'reloaded' }, 'running', state('postfix', true, true)],
      [{ name: 'postfix', enabled: true }, 'disabled', state('postfix', true, false)],
      [{ name: 'postfix', enabled: false }, 'enabled', state('postfix', true, true)],
      [{ name: 'sendmail', state: 'stopped', enabled: false }, 'running, enabled', state('sendmail', true, true)],
      [{ name: 'sendmail', state: 'stopped', enabled: false, ignore_missing: true }, 'not installed', () => ({ sendmail: { exists: false, running: false, enabled: false } })],
    ];
    out.push(
      `**\`${name}\`** (${backend.name})`,
      '',
      table(['task', 'host state', 'runs'], cases.map(([a, st, answer]) => [taskText('service', a), st, plannedCommands('service', a, backends, answer)])),
      '',
      details(`how ${name} reads service state`, backend.query(['postfix']).script),
      '',
    );
  }
  return out;
}

function accountCommands(): string[] {
  const out = ['#### Accounts backends', ''];
  for (const [name, backend] of Object.entries(accountsBackends) as Array<[string, AccountsBackend]>) {
    const backends = { package: packageBackends.apt!, init: initBackends.systemd!, accounts: backend };
    const accountsState = (users: Record<string, string[]>, groups: string[]): Answer => (key) => {
      const [kind, who] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
      if (kind === 'user') return users[who] ? { exists: true, uid: 100, primaryGroup: users[who]![0], groups: users[who] } : { exists: false, groups: [] };
      return groups.includes(who) ? { exists: true, gid: 100 } : { exists: false };
    };
    const cases: Array<[string, Record<string, unknown>, string, Answer]> = [
      ['group', { name: 'milter' }, 'no group milter', accountsState({}, [])],
      ['group', { name: 'milter', system: true }, 'no group milter', accountsState({}, [])],
      ['group', { name: 'milter', state: 'absent' }, 'group milter exists', accountsState({}, ['milter'])],
      ['user', { name: 'relay' }, 'no user relay', accountsState({}, [])],
      ['user', { name: 'relay', system: true }, 'no user relay', accountsState({}, [])],
      ['user', { name: 'relay', home: '/var/relay', shell: '/bin/sh' }, 'no user relay', accountsState({}, [])],
      ['user', { name: 'postfix', groups: ['milter'] }, 'postfix in postfix, mail', accountsState({ postfix: ['postfix', 'mail'] }, ['milter', 'mail'])],
      ['user', { name: 'postfix', groups: ['milter'], append: false }, 'postfix in postfix, mail', accountsState({ postfix: ['postfix', 'mail'] }, ['milter', 'mail'])],
      ['user', { name: 'relay', state: 'absent' }, 'user relay exists', accountsState({ relay: ['relay'] }, ['relay'])],
    ];
    out.push(
      `**\`${name}\`**`,
      '',
      table(['task', 'host state', 'runs'], cases.map(([op, a, st, answer]) => [taskText(op, a), st, plannedCommands(op, a, backends, answer)])),
      '',
    );
  }
  out.push('Both read accounts the same way, with `id` and `getent group`, which Linux and FreeBSD share (`src/state/account-state.ts`).', '');
  return out;
}

/** The generated region, markers included. */
export function renderOsMatrix(): string {
  return [
    BEGIN_MARKER,
    '',
    ...factsSection(),
    ...selectionSection(),
    ...supportSection(),
    '### Exact commands',
    '',
    'Obtained by planning the real `package`, `service`, `user` and `group` operations against the host',
    'state shown (each batched state read runs after this prelude of helpers shared by every OS:',
    "`stat` and `sha256` in their GNU or BSD form).",
    '',
    details('the state-read prelude', PRELUDE),
    '',
    ...packageCommands(),
    ...serviceCommands(),
    ...accountCommands(),
    ...sysopsSection({ code, table }),
    END_MARKER,
  ].join('\n');
}

/** `doc` with its generated region replaced by `generated`; throws when the markers are missing. */
export function spliceGenerated(doc: string, generated: string): string {
  const start = doc.indexOf(BEGIN_MARKER);
  const end = doc.indexOf(END_MARKER);
  if (start < 0 || end < start) throw new Error(`docs/os-matrix.md: the markers ${BEGIN_MARKER} … ${END_MARKER} are missing`);
  return doc.slice(0, start) + generated + doc.slice(end + END_MARKER.length);
}

export const OS_MATRIX_DOC = path.join(packageRoot(), 'docs', 'os-matrix.md');
