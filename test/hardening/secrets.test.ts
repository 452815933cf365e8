// Red-team corpus, classes 4 and 5 of issue 15: a secret must never show, however a template
// transformed it, and a password given as a plain variable must never show when its role declares it
// secret. The real command line runs plans over `--connection local` (files in a temp dir) in every
// output mode — console (--check --diff --verbose), --json, --report (HTML) and a real apply — and each
// case asserts that none of them holds its secret or the helper's transform of it (in raw, JSON- and
// HTML-escaped form), while the files the run wrote hold the real values (so the mask is not a
// template that never saw the secret). A fast-check property drives random secrets through every
// helper and combination in-process; a fleet case runs the bundled relay plan on a real host with the
// password given plainly three ways while sampling the host's process list.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { runProcess } from '../run-process.js';
import { down, up, type Fleet } from '../fleet/fleet.js';
import { skipOrFail, unsupportedReason } from '../fleet/prereqs.js';
import { writeRelayInventory } from '../integration/relay-inventory.js';
import { shQuote } from '../../src/core/quote.js';
import { InputError } from '../../src/core/errors.js';
import { redactEvent } from '../../src/engine/redact.js';
import { Secret, SecretRegistry } from '../../src/core/secret.js';
import { renderArgs } from '../../src/load/template.js';
import { resolveVars } from '../../src/load/resolve-vars.js';
import { createHash } from 'node:crypto';
import { encrypt as cryptHash } from 'unixcrypt';

/** The secret registry of this file's runs (each command run has one). */
const testSecrets = new SecretRegistry();

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const main = path.join(root, 'dist/fleetplan.js');

const upper = (s: string) => s.toUpperCase();
const lower = (s: string) => s.toLowerCase();
const indent = (s: string, n: number) => s.split('\n').map((l, i) => (i > 0 && l !== '' ? ' '.repeat(n) + l : l)).join('\n');
const htmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

/** Every form a leaked string could take in some output: raw, inside JSON, inside HTML, line by line. */
function leakForms(values: string[]): string[] {
  const out = new Set<string>();
  for (const v of values) {
    for (const f of [v, JSON.stringify(v).slice(1, -1), htmlEscape(v), v.replace(/'/g, "'\\''")]) out.add(f);
    for (const line of v.split('\n')) if (line.length >= 6) out.add(line);
  }
  return [...out];
}

// One secret per case, so a leak names its case. Each has a quote, a regex metacharacter or a
// newline somewhere, as real passwords do.
const S = {
  upper: 'up-Secret.p4ss',
  lower: 'LOW-SECRET*PASS',
  quote: "qu'ote-Secret$1",
  env: "env-Secret'x(1)",
  label: 'label-Secret+9z',
  list1: 'list-Secret-one',
  list2: 'list-Secret-two',
  when: 'when-Secret-77',
  whenDerived: 'wder-Secret-12',
  log: 'log-Secret?8a',
  concat: 'concat-Secret^4<&>"',
  indent: 'FirstLine-sEcret\nSecondLine-sEcret',
  join: 'join-Secret|6',
  derived: 'derived-Secret[5]',
  each1: 'each-Secret-aa',
  each2: 'each-Secret-bb',
  dflt: 'default-Secret{2}',
  err: 'err-Secret-9q',
  env_tpl: 'secretenv-Value-3k',
  tpl: 'tpl-File-Secret~7',
  guard: 'guard-Secret=5w',
} as const;
const ENV_NAME = 'FLEETPLAN_HARDENING_SECRET';
const PRIVATE_KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAAKeyBodyNeverTagged0123456789\n-----END OPENSSH PRIVATE KEY-----\n';

/** What a case forbids in every output, and what the host must hold afterwards. */
interface Case {
  name: string;
  forbidden: string[];
  /** Files (relative to the host dir) and their exact content after the apply. */
  files?: Record<string, string>;
  /** Extra runs only this case makes (error messages). */
  extra?: (ctx: Ctx) => Promise<Run[]>;
}

interface Run {
  args: string[];
  code: number;
  out: string;
}
interface Ctx {
  dir: string;
  cli: (args: string[], env?: NodeJS.ProcessEnv) => Promise<Run>;
}

const tq = (s: string) => JSON.stringify(s);

describe('secrets: taint through templates (real CLI, --connection local)', () => {
  let dir: string;
  const runs: Run[] = [];
  const reports: string[] = [];
  const at = (...p: string[]) => path.join(dir, ...p);
  const cli = async (args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> => {
    const r = await runProcess(process.execPath, [main, ...args], { cwd: dir, env: { ...process.env, NO_COLOR: '1', [ENV_NAME]: S.env_tpl, ...env } });
    return { args, code: r.code, out: r.output };
  };
  const ctx = (): Ctx => ({ dir, cli });
  const host = (f: string) => at('host', f);
  const write = (f: string, cmd: string) => `printf %s ${cmd} > ${shQuote(host(f))}`;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'fleetplan-hard-secrets-'));
    mkdirSync(at('host'));
    const inv = [
      'all:',
      '  hosts:',
      '    h1:',
      '  vars:',
      ...Object.entries(S)
        .filter(([k]) => !['list1', 'list2', 'each1', 'each2', 'env_tpl'].includes(k))
        .map(([k, v]) => `    s_${k}: !secret ${tq(v)}`),
      `    s_list: [!secret ${tq(S.list1)}, !secret ${tq(S.list2)}]`,
      `    s_each: [!secret ${tq(S.each1)}, !secret ${tq(S.each2)}]`,
      `    s_joinlist: [!secret ${tq(S.join)}, "plain-part"]`,
      '',
    ];
    writeFileSync(at('inventory.yml'), inv.join('\n'));
    // The plan as JSON (YAML's subset): no quoting puzzles in the templates.
    const tasks: object[] = [
      { name: 'upper', command: write('upper', '{{upper s_upper}}') },
      { name: 'lower', command: write('lower', '{{shquote (lower s_lower)}}') },
      { name: 'shquote', command: write('shquote', '{{shquote s_quote}}') },
      { name: 'env', command: { cmd: `printf %s "$PW" > ${shQuote(host('env'))}; printf %s "$PW2" > ${shQuote(host('env2'))}`, env: { PW: '{{s_env}}', PW2: '{{upper s_env}}' } } },
      { name: 'label', command: 'true', loop: ['{{s_label}}', 'plain-item'], loop_control: { label: '{{upper item}}' } },
      { name: 'label-default', command: 'true', loop: ['{{s_label}}'] },
      { name: 'list', command: 'true', loop: '{{s_list}}', loop_control: { label: '{{lower item}}' } },
      { name: 'list-default', command: 'true', loop: '{{s_list}}' },
      { name: 'log', file: { path: host('log'), content: '{{log s_log}}{{log (upper s_log)}}{{log "n:" (lower s_log) level="error"}}logged\n' } },
      { name: 'concat', command: write('concat', '{{shquote (upper (concat "u:" s_concat ":" "x"))}}') },
      { name: 'indent', command: write('indent', '{{shquote (indent s_indent 4)}}') },
      { name: 'indent-file', file: { path: host('indent.yml'), content: 'key: |\n  {{indent s_indent 2}}\n' } },
      { name: 'join', command: write('join', '{{shquote (upper (join s_joinlist "+"))}}') },
      { name: 'derived', command: write('derived', '{{upper d_derived}}') },
      { name: 'derived-when', command: 'true', when: { d_derived: { matches: '^derived-' } } },
      { name: 'each', command: write('each', '{{shquote (lower (concat "e" s_each))}}'), file: undefined },
      { name: 'each-block', file: { path: host('each'), content: '{{#each s_each}}{{upper this}};{{/each}}\n' } },
      { name: 'default', command: write('default', '{{upper (default null s_dflt)}}') },
      { name: 'secret_env', command: write('secret_env', '{{shquote (upper (secret_env "FLEETPLAN_HARDENING_SECRET"))}}') },
      { name: 'private key', copy: { src: 'id_test', dest: host('id_test'), mode: '0600' } },
      { name: 'private key replaced', file: { path: host('old_key'), content: 'no key here any more\n' } },
      { name: 'template file', template: { src: 'conf.hbs', dest: host('tpl.conf') } },
      { name: 'guard', command: { cmd: write('guard', '{{shquote (lower s_guard)}}'), unless: 'test {{shquote (upper s_guard)}} = never' } },
      { name: 'secret task', command: { cmd: 'test -n "$X"', env: { X: '{{item}}' } }, loop: ['plain-but-Hidden-01'], secret: true },
    ].map((t) => Object.fromEntries(Object.entries(t).filter(([, v]) => v !== undefined)));
    mkdirSync(at('templates'));
    mkdirSync(at('files'));
    writeFileSync(at('files', 'id_test'), PRIVATE_KEY);
    writeFileSync(host('old_key'), PRIVATE_KEY.replace('KeyBody', 'OldKeyBody'));
    writeFileSync(at('templates', 'conf.hbs'), 'user = relay\nkey = {{upper s_tpl}}\n{{indent (concat "a-" (lower s_tpl)) 2}}\n');
    writeFileSync(at('plan.json'), JSON.stringify({ name: 'taint', hosts: 'all', vars: { d_derived: '{{s_derived}}-suffix' }, tasks }, null, 1));
    const common = ['-i', 'inventory.yml', '--connection', 'local'];
    const plan = ['apply', 'plan.json', ...common];
    for (const args of [
      [...plan, '--check', '--diff', '--verbose'],
      [...plan, '--check', '--diff', '--json', '--verbose'],
      [...plan, '--diff', '--verbose', '--report', 'apply.html'],
      [...plan, '--diff', '--json', '--verbose', '--report', 'again.html'],
    ]) {
      const r = await cli(args);
      assert.equal(r.code, 0, `${args.join(' ')}:\n${r.out}`);
      runs.push(r);
    }
    for (const f of ['apply.html', 'again.html']) reports.push(readFileSync(at(f), 'utf8'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function assertNoLeak(c: Case, extra: Run[]): void {
    const forms = leakForms(c.forbidden);
    const outputs = [...runs.map((r) => ({ what: r.args.join(' '), text: r.out })), ...reports.map((t, i) => ({ what: `report ${i}`, text: t })), ...extra.map((r) => ({ what: r.args.join(' '), text: r.out }))];
    for (const o of outputs) for (const f of forms) assert.ok(!o.text.includes(f), `${c.name}: '${o.what}' shows ${JSON.stringify(f)}:\n${o.text.slice(0, 4000)}`);
    for (const [f, content] of Object.entries(c.files ?? {})) assert.equal(readFileSync(host(f), 'utf8'), content, `${c.name}: the host got the real value in ${f}`);
  }

  const cases: Case[] = [
    { name: '{{upper pw}} prints the upper-cased password', forbidden: [S.upper, upper(S.upper)], files: { upper: upper(S.upper) } },
    { name: '{{shquote (lower pw)}} prints the lower-cased, quoted password', forbidden: [S.lower, lower(S.lower), shQuote(lower(S.lower))], files: { lower: lower(S.lower) } },
    { name: "{{shquote pw}} prints the password as a quoted word ('\\'' inside)", forbidden: [S.quote, shQuote(S.quote)], files: { shquote: S.quote } },
    { name: 'a secret in env: (exported, shell-quoted) and an upper-cased one print in the command', forbidden: [S.env, upper(S.env), shQuote(S.env), shQuote(upper(S.env))], files: { env: S.env, env2: upper(S.env) } },
    { name: 'a loop over a secret shows it (or {{upper item}}) in the loop label', forbidden: [S.label, upper(S.label)] },
    { name: 'a loop over a list of secrets shows the items and {{lower item}} labels', forbidden: [S.list1, S.list2, lower(S.list1), lower(S.list2)] },
    { name: 'the log helper prints the secret and its transforms', forbidden: [S.log, upper(S.log), lower(S.log)], files: { log: 'logged\n' } },
    { name: '{{upper (concat "u:" pw)}} prints the joined, transformed secret', forbidden: [S.concat, upper(`u:${S.concat}:x`), upper(S.concat)], files: { concat: upper(`u:${S.concat}:x`) } },
    { name: '{{indent pw 4}} of a multi-line secret prints its lines (in a command and in a file diff)', forbidden: [S.indent, indent(S.indent, 4), indent(S.indent, 2)], files: { indent: indent(S.indent, 4), 'indent.yml': `key: |\n  ${indent(S.indent, 2)}\n` } },
    { name: '{{join list}} over a list holding a secret, upper-cased, prints it', forbidden: [S.join, upper(S.join), upper(`${S.join}+plain-part`)], files: { join: upper(`${S.join}+plain-part`) } },
    { name: 'a variable derived from a secret (x: "{{pw}}-suffix", {{upper x}}) prints it', forbidden: [S.derived, upper(S.derived), upper(`${S.derived}-suffix`), `${S.derived}-suffix`], files: { derived: upper(`${S.derived}-suffix`) } },
    { name: '{{#each secrets}}{{upper this}} and a helper over the list print the items', forbidden: [S.each1, S.each2, upper(S.each1), upper(S.each2), lower(`e${S.each1},${S.each2}`)], files: { each: `${upper(S.each1)};${upper(S.each2)};\n` } },
    { name: '{{upper (default null pw)}} prints the transformed secret', forbidden: [S.dflt, upper(S.dflt)], files: { default: upper(S.dflt) } },
    { name: '{{upper (secret_env NAME)}} prints the transformed environment secret', forbidden: [S.env_tpl, upper(S.env_tpl)], files: { secret_env: upper(S.env_tpl) } },
    { name: 'a template file rendering {{upper pw}} and {{indent (concat ... (lower pw))}} shows it in the --diff', forbidden: [S.tpl, upper(S.tpl), lower(S.tpl)], files: { 'tpl.conf': `user = relay\nkey = ${upper(S.tpl)}\na-${lower(S.tpl)}\n` } },
    { name: 'a command guard (unless:) with {{shquote (upper pw)}} shows it with the command', forbidden: [S.guard, upper(S.guard), lower(S.guard)], files: { guard: lower(S.guard) } },
    { name: 'a private key copied from files/ (never tagged secret), or one being replaced on the host, shows in the --diff', forbidden: ['b3BlbnNzaC1rZXktdjEAAAAAKeyBodyNeverTagged0123456789', 'b3BlbnNzaC1rZXktdjEAAAAAOldKeyBodyNeverTagged0123456789'], files: { id_test: PRIVATE_KEY, old_key: 'no key here any more\n' } },
    { name: 'secret: true on a task hides its loop labels and commands (plain values)', forbidden: ['plain-but-Hidden-01'] },
    {
      name: 'a when: comparison on a secret (and on a variable derived from one) prints it in the error',
      forbidden: [S.when, S.whenDerived, upper(S.whenDerived), `${upper(S.whenDerived)}-x`],
      extra: async ({ cli: run }) => {
        const out: Run[] = [];
        for (const [v, extraVars] of [['s_when', {}], ['d_when', { d_when: '{{upper s_whenDerived}}-x' }]] as const) {
          writeFileSync(path.join(dir, `when-${v}.json`), JSON.stringify({ hosts: 'all', vars: extraVars, tasks: [{ command: 'true', when: { [v]: { gt: 5 } } }] }));
          for (const json of [[], ['--json']]) {
            const r = await run(['apply', `when-${v}.json`, '-i', 'inventory.yml', '--connection', 'local', '--check', ...json]);
            assert.notEqual(r.code, 0, r.out);
            assert.match(r.out, new RegExp(`cannot compare '${v}'`), r.out);
            out.push(r);
          }
        }
        return out;
      },
    },
    {
      name: "a failing command's error (its command and stderr) shows a secret derived and transformed",
      forbidden: [S.err, `${S.err}!`, lower(`${S.err}!`), upper(S.err)],
      extra: async ({ cli: run }) => {
        const tasks = [
          { name: 'fails loudly', command: 'echo {{shquote (lower e_d)}} >&2; echo {{upper s_err}}; exit 3', ignore_errors: true },
        ];
        writeFileSync(path.join(dir, 'err.json'), JSON.stringify({ hosts: 'all', vars: { e_d: '{{s_err}}!' }, tasks }));
        const out: Run[] = [];
        for (const json of [[], ['--json']]) {
          const r = await run(['apply', 'err.json', '-i', 'inventory.yml', '--connection', 'local', '--diff', '--verbose', ...json]);
          assert.equal(r.code, 0, r.out);
          assert.match(r.out, /fails loudly/, r.out);
          assert.match(r.out, /exit(ed)?[ _a-z"]*:? ?3/, r.out);
          out.push(r);
        }
        return out;
      },
    },
  ];

  for (const c of cases) {
    it(`stops: ${c.name}`, async () => {
      const extra = c.extra ? await c.extra(ctx()) : [];
      assertNoLeak(c, extra);
    });
  }

  it('the outputs still name the tasks (the checks above read real output)', () => {
    for (const r of runs) assert.match(r.out, /concat/, r.args.join(' '));
    assert.match(reports[0]!, /derived/);
  });
});

describe('secrets: a role declares its secret variables (secret_vars), however they are given', () => {
  let dir: string;
  const PW = { e: "E-plain-Pw'd1", file: 'File-plain-Pw#2', inv: 'Inv-plain-Pw%3' };
  const at = (...p: string[]) => path.join(dir, ...p);
  const cli = async (args: string[]): Promise<Run> => {
    const r = await runProcess(process.execPath, [main, ...args], { cwd: dir, env: { ...process.env, NO_COLOR: '1' } });
    return { args, code: r.code, out: r.output };
  };

  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'fleetplan-hard-secretvars-'));
    mkdirSync(at('host'));
    mkdirSync(at('roles', 'relayish'), { recursive: true });
    writeFileSync(at('roles', 'relayish', 'meta.yml'), 'secret_vars: [relay_pw]\n');
    writeFileSync(at('roles', 'relayish', 'defaults.yml'), 'relay_line: "user:{{relay_pw}}"\n');
    writeFileSync(
      at('roles', 'relayish', 'tasks.yml'),
      [
        '- name: password map',
        `  file: { path: "${at('host', 'sasl_passwd')}", content: "relay {{relay_line}}\\n", mode: "0600" }`,
        '- name: transformed',
        `  command: "printf %s {{shquote (upper relay_pw)}} > ${at('host', 'upper')}"`,
        '',
      ].join('\n'),
    );
    writeFileSync(at('plan.yml'), 'hosts: all\nroles: [relayish]\n');
    writeFileSync(at('vars.yml'), `relay_pw: ${tq(PW.file)}\n`);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const ways: [string, string, string[], string][] = [
    ['-e k=v', PW.e, ['-e', `relay_pw=${PW.e}`], 'inventory.yml'],
    ['-e @file', PW.file, ['-e', '@vars.yml'], 'inventory.yml'],
    ['a plain inventory value', PW.inv, [], 'inv-plain.yml'],
  ];
  for (const [how, pw, extra, inv] of ways) {
    it(`stops: a plain password given by ${how} shows in --diff, --json, --report and the console`, async () => {
      writeFileSync(at('inventory.yml'), 'all:\n  hosts:\n    h1:\n');
      writeFileSync(at('inv-plain.yml'), `all:\n  hosts:\n    h1:\n  vars:\n    relay_pw: ${tq(PW.inv)}\n`);
      const base = ['apply', 'plan.yml', '-i', inv, '--connection', 'local', ...extra];
      const outs: { what: string; text: string }[] = [];
      for (const args of [[...base, '--check', '--diff', '--verbose'], [...base, '--check', '--diff', '--json', '--verbose'], [...base, '--diff', '--verbose', '--report', 'r.html']]) {
        const r = await cli(args);
        assert.equal(r.code, 0, r.out);
        outs.push({ what: args.join(' '), text: r.out });
      }
      const report = readFileSync(at('r.html'), 'utf8');
      outs.push({ what: 'report', text: report });
      assert.match(report, /password map/);
      for (const o of outs) for (const f of leakForms([pw, upper(pw)])) assert.ok(!o.text.includes(f), `${how}: '${o.what}' shows ${JSON.stringify(f)}:\n${o.text.slice(0, 3000)}`);
      assert.equal(readFileSync(at('host', 'sasl_passwd'), 'utf8'), `relay user:${pw}\n`);
      assert.equal(readFileSync(at('host', 'upper'), 'utf8'), upper(pw));
    });
  }

  it('stops: a -e password of a role no host reached (unreachable) shows in the --report command line', async () => {
    const pw = 'Unreached-plain-Pw&4';
    writeFileSync(at('unreachable.yml'), 'all:\n  hosts:\n    gone: { ssh_host: 127.0.0.1, ssh_port: 1 }\n');
    const r = await cli(['apply', 'plan.yml', '-i', 'unreachable.yml', '-e', `relay_pw=${pw}`, '--connect-timeout', '5', '--report', 'gone.html']);
    assert.notEqual(r.code, 0, r.out);
    const report = readFileSync(at('gone.html'), 'utf8');
    assert.match(report, /relay_pw=/, 'the report shows the command line');
    for (const f of leakForms([pw])) for (const text of [r.out, report]) assert.ok(!text.includes(f), `shows ${JSON.stringify(f)}:\n${text.slice(0, 3000)}`);
  });

  it('stops: a malformed secret_vars list is accepted silently (it is an error at its position)', async () => {
    mkdirSync(at('roles', 'badmeta'), { recursive: true });
    writeFileSync(at('roles', 'badmeta', 'meta.yml'), 'secret_vars: [ok_name, "not a name"]\n');
    writeFileSync(at('roles', 'badmeta', 'tasks.yml'), '- command: "true"\n');
    writeFileSync(at('bad.yml'), 'hosts: all\nroles: [badmeta]\n');
    writeFileSync(at('inventory.yml'), 'all:\n  hosts:\n    h1:\n');
    const r = await cli(['validate', 'bad.yml', '-i', 'inventory.yml']);
    assert.equal(r.code, 4, r.out);
    assert.match(r.out, /meta\.yml:1:\d+: secret_vars: expected a variable name/);
  });
});

describe('secrets: property — no helper or combination lets a random secret through', () => {
  // Helpers and combinations over one secret `pw` (and a list holding it); `t` is what each renders
  // the secret to, so the property checks the transform, not only the raw value.
  const templates: { tpl: string; t: (s: string) => string[] }[] = [
    { tpl: '{{pw}}', t: (s) => [s] },
    { tpl: 'a={{upper pw}}', t: (s) => [upper(s)] },
    { tpl: 'a={{lower pw}}', t: (s) => [lower(s)] },
    { tpl: 'echo {{shquote pw}}', t: (s) => [shQuote(s)] },
    { tpl: '{{concat "k:" pw "!"}}', t: (s) => [`k:${s}!`] },
    { tpl: '{{indent pw 3}}', t: (s) => [indent(s, 3)] },
    { tpl: '{{join list "/"}}', t: (s) => [`${s}/z`] },
    { tpl: '{{upper (join list "/")}}', t: (s) => [upper(`${s}/z`)] },
    { tpl: '{{shquote (upper (concat pw "x"))}}', t: (s) => [shQuote(upper(`${s}x`))] },
    { tpl: '{{default null pw}}', t: (s) => [s] },
    { tpl: '{{#each list}}[{{lower this}}]{{/each}}', t: (s) => [lower(s)] },
    { tpl: '{{#with pw}}{{upper this}}{{/with}}', t: (s) => [upper(s)] },
    { tpl: '{{lookup list 0}}', t: (s) => [s] },
    { tpl: '{{upper derived}}', t: (s) => [upper(`${s}-d`)] },
    { tpl: '{{indent (shquote derived) 2}}', t: (s) => [indent(shQuote(`${s}-d`), 2)] },
    { tpl: '{{log pw}}{{log (upper derived)}}x', t: (s) => [s, upper(s)] },
    // The Ansible-filter helpers (src/load/helpers/): their outputs from a secret are secrets too.
    { tpl: 'auth {{b64encode (concat "u:" pw)}}', t: (s) => [Buffer.from(`u:${s}`).toString('base64')] },
    { tpl: '{{hash pw "sha256"}}', t: (s) => [createHash('sha256').update(s).digest('hex')] },
    { tpl: '{{password_hash pw "sha512" "fleetsalt"}}', t: (s) => [cryptHash(s, '$6$fleetsalt')] },
    { tpl: '{{to_json (combine (items2dict (dict2items m)) m)}}', t: (s) => [JSON.stringify({ k: s })] },
    { tpl: '{{join (map_attr (dict2items m) "value") ","}}', t: (s) => [s] },
    { tpl: '{{join (sort (unique list)) "|"}}', t: (s) => [s] },
    { tpl: '{{regex_escape pw}}', t: (s) => [s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')] },
    { tpl: '{{replace (trim pw) "Q" "R"}}', t: (s) => [s.trim().split('Q').join('R')] },
    { tpl: '{{regex_replace pw "^Q" "P"}}', t: (s) => [`P${s.slice(1)}`] },
    { tpl: '{{ternary (length pw) derived "no"}}', t: (s) => [`${s}-d`] },
  ];
  // Secrets with quotes, newlines, regex metacharacters, unicode and escape sequences.
  const piece = fc.oneof(
    fc.string({ minLength: 1, maxLength: 6 }),
    fc.constantFrom("'", '"', '\n', '\\', '$(', '.*+?^${}()|[]', '\u001b[31m', 'ß', 'İ', '🔑', '\r\n', '%s', '\t', '`'),
  );
  const secretArb = fc
    .array(piece, { minLength: 3, maxLength: 8 })
    .map((p) => `Q${p.join('')}`)
    // Strings too short or too plain to tell from the output's own text would make a leak undecidable.
    .filter((s) => s.length >= 6 && /[A-Za-z0-9]/.test(s.slice(1)));

  it('stops: any helper output derived from a random secret reaching a diff, a JSON event or an error message', () => {
    const methods = ['log', 'info', 'warn', 'error', 'debug'] as const;
    const saved = methods.map((m) => console[m]);
    const logged: string[] = [];
    for (const m of methods) console[m] = (...a: unknown[]) => void logged.push(a.map(String).join(' '));
    try {
      fc.assert(
        fc.property(secretArb, (s) => {
          const base = { pw: new Secret(s, testSecrets), list: [new Secret(s, testSecrets), 'z'], derived: `{{pw}}-d`, m: { k: new Secret(s, testSecrets) } };
          const vars = resolveVars(base, testSecrets);
          const args: Record<string, string> = Object.fromEntries(templates.map((x, i) => [`a${i}`, x.tpl]));
          const rendered = renderArgs({ args, argPos: {}, pos: undefined as never }, vars, testSecrets) as Record<string, string>;
          const forbidden = templates.flatMap((x) => x.t(s)).filter((f) => f.length >= 4);
          const staticText = templates.map((x) => x.tpl).join('\n') + '[redacted]';
          const check = (what: string, text: string) => {
            for (const f of leakForms(forbidden)) {
              if (staticText.includes(f) || '[redacted]'.includes(f)) continue;
              if (text.includes(f)) throw new Error(`${what} shows ${JSON.stringify(f)} for secret ${JSON.stringify(s)}: ${JSON.stringify(text)}`);
            }
          };
          for (const [k, v] of Object.entries(rendered)) {
            const event = redactEvent({ type: 'task-start', host: 'h', task: `t ${v}`, detail: { command: v, diff: { path: '/x', before: '', after: `line\n${v}\n` } } } as never, testSecrets);
            check(`event ${k}`, JSON.stringify(event));
            check(`error ${k}`, testSecrets.redact(new InputError(`bad value ${JSON.stringify(v)} and ${v}`, { host: 'h', task: 't' }).describe()));
          }
          for (const l of logged.splice(0)) check('log', l);
        }),
        { numRuns: 150 },
      );
    } finally {
      methods.forEach((m, i) => (console[m] = saved[i]!));
    }
  });
});

// Class 5 on a real host: the bundled relay plan with relay_password given as a PLAIN variable (the
// role declares it in meta.yml secret_vars), three ways. Nothing fleetplan prints shows it, and the
// host's process list, sampled in a loop inside the host during every apply, never holds it (it
// travels in the script on stdin: file content, postmap reading the map file).
describe('secrets: a plain relay_password on a real host (bundled relay plan)', () => {
  const reason = unsupportedReason();
  const skip = reason ? skipOrFail(reason) : false;
  const PW = { e: "Plain-E-relay'Pw1", file: 'Plain-File-relay$Pw2', inv: 'Plain-Inv-relay*Pw3' };
  let out = '';
  let fleet: Fleet;
  let inventory: string;

  before(async () => {
    if (skip) return;
    out = mkdtempSync('/tmp/fleetplan-hard-secrets-fleet-');
    fleet = await up({ os: 'debian-systemd', count: 1, out: path.join(out, 'fleet') });
    inventory = writeRelayInventory(fleet, path.join(out, 'inventory.yml'), { relayPassword: 'unused', extraVars: { relay_password: JSON.stringify(PW.inv) } });
    writeFileSync(path.join(out, 'vars.yml'), `relay_password: ${tq(PW.file)}\n`);
  });
  after(async () => {
    if (!out) return;
    await down(path.join(out, 'fleet')).catch(() => undefined);
    rmSync(out, { recursive: true, force: true });
  });

  /** `ps -eo args` inside the host in a tight loop until stopped; returns the distinct lines seen. */
  function sampleProcesses(h: string): { stop: () => Promise<string> } {
    const loop = fleet.exec(h, 'rm -f /run/stop-ps /root/ps.log; while [ ! -e /run/stop-ps ]; do ps -eo args >> /root/ps.log; done', { timeoutMs: 900_000 });
    return {
      stop: async () => {
        await fleet.exec(h, 'touch /run/stop-ps');
        await loop;
        const r = await fleet.exec(h, 'sort -u /root/ps.log; rm -f /root/ps.log /run/stop-ps');
        return r.stdout;
      },
    };
  }

  it("stops: a command's secret (in its text and in env:) shows in the host's process list while it runs", { skip }, async () => {
    const h = fleet.hosts[0]!.name;
    const pw = "Ps-visible-Pw'5";
    const plan = path.join(out, 'ps.yml');
    writeFileSync(
      plan,
      [
        'hosts: all',
        'become: true',
        'vars:',
        `  pw: !secret ${tq(pw)}`,
        'tasks:',
        '  - name: long command holding a secret',
        '    command:',
        '      cmd: "test -n {{shquote pw}} && test -n \\"$PW\\" && sleep 3 && echo {{shquote (upper pw)}} > /root/ps-secret"',
        '      env: { PW: "{{pw}}", PW_UP: "{{upper pw}}" }',
        '',
      ].join('\n'),
    );
    const sampler = sampleProcesses(h);
    let r;
    try {
      r = await runProcess(process.execPath, [main, 'apply', plan, '-i', inventory, '--diff', '--verbose'], { cwd: out, env: { ...process.env, NO_COLOR: '1' }, timeoutMs: 120_000 });
    } finally {
      const seen = await sampler.stop();
      assert.match(seen, /^sleep 3$/m, 'the sampler saw the command running');
      for (const f of leakForms([pw, upper(pw)])) assert.ok(!seen.includes(f), `ps shows ${JSON.stringify(f)}:\n${seen}`);
    }
    assert.equal(r.code, 0, r.output);
    for (const f of leakForms([pw, upper(pw)])) assert.ok(!r.output.includes(f), `output shows ${JSON.stringify(f)}`);
    assert.equal((await fleet.exec(h, 'cat /root/ps-secret')).stdout, `${upper(pw)}\n`);
  });

  const ways: [string, string, string[]][] = [
    ['a plain inventory value', PW.inv, []],
    ['-e k=v', PW.e, ['-e', `relay_password=${PW.e}`]],
    ['-e @file', PW.file, ['-e', `@${'VARS'}`]],
  ];
  for (const [how, pw, extra] of ways) {
    it(`stops: relay_password given by ${how} shows in console, --diff, --json, --report or the host's ps`, { skip }, async () => {
      const h = fleet.hosts[0]!.name;
      const args = ['apply', path.join(root, 'plans', 'relay.yml'), '-i', inventory, ...extra.map((a) => a.replace('VARS', path.join(out, 'vars.yml')))];
      const run = async (a: string[]) => {
        const r = await runProcess(process.execPath, [main, ...a], { cwd: out, env: { ...process.env, NO_COLOR: '1' }, timeoutMs: 600_000 });
        return { what: a.slice(3).join(' '), code: r.code, text: r.output };
      };
      const outs = [await run([...args, '--check', '--diff', '--verbose']), await run([...args, '--check', '--diff', '--json', '--verbose'])];
      const sampler = sampleProcesses(h);
      const report = path.join(out, 'report.html');
      let applied;
      try {
        applied = await run([...args, '--diff', '--verbose', '--report', report]);
      } finally {
        outs.push({ what: 'ps -eo args during the apply', code: 0, text: await sampler.stop() });
      }
      outs.push(applied, { what: 'report', code: 0, text: readFileSync(report, 'utf8') });
      for (const o of outs) {
        assert.equal(o.code, 0, `${o.what}:\n${o.text.slice(-3000)}`);
        for (const f of leakForms([pw])) assert.ok(!o.text.includes(f), `${how}: '${o.what}' shows ${JSON.stringify(f)}:\n${o.text.slice(0, 3000)}`);
      }
      // The checks read real output: the sampler saw the run's shell, the diff named the password map,
      // and the host holds the password (the map was rebuilt with it).
      assert.match(outs[2]!.text, /\bsh -s\b/, 'the sampler saw the session shell');
      assert.match(outs[0]!.text, /sasl_passwd/);
      const map = await fleet.exec(h, "postmap -q '[127.0.0.1]:2525' hash:/etc/postfix/sasl_passwd || cat /etc/postfix/sasl_passwd");
      assert.match(map.stdout, new RegExp(`relayuser:${pw.replace(/[$*'^]/g, '\\$&')}`), `${how}: the host got the password`);
    });
  }
});
