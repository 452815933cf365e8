// docs/coming-from-ansible.md's flag-by-flag table stays in step with the flags commander defines
// (read from each command's --help, which commander writes from the definitions): every flag in the
// fleetplan column exists on each command the row names; every fleetplan flag spelled as one of
// Ansible's is in the table, beside that Ansible flag; and the Ansible column names only flags
// ansible-playbook or ansible really have.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { runProcess } from '../run-process.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const main = path.join(root, 'dist/fleetplan.js');

/** The flags of ansible-playbook and ansible (ansible-core 2.16 `--help`), short and long. */
const ANSIBLE_FLAGS = new Set(
  (
    '-i --inventory --inventory-file -l --limit -f --forks -e --extra-vars -C --check -D --diff -t --tags --skip-tags ' +
    '-u --user --private-key --key-file -k --ask-pass --connection-password-file -b --become -K --ask-become-pass ' +
    '--become-password-file --become-user --become-method -c --connection -T --timeout --task-timeout ' +
    '--vault-password-file --vault-id -J --ask-vault-pass --ask-vault-password --list-hosts --list-tasks --list-tags ' +
    '--syntax-check --start-at-task --step -v --verbose --force-handlers --flush-cache -M --module-path -m --module-name ' +
    '-a --args -B --background -P --poll -o --one-line --tree --playbook-dir --ssh-common-args --ssh-extra-args ' +
    '--scp-extra-args --sftp-extra-args --version -h --help'
  ).split(' '),
);

const COMMANDS = ['apply', 'validate', 'run', 'facts', 'dns', 'vars', 'vault', 'init', 'schema', 'completion'];

/** Each command's flags, as commander prints them in --help ("  -C, --check  …"). */
async function commanderFlags(): Promise<Map<string, Set<string>>> {
  const out = new Map<string, Set<string>>();
  for (const cmd of ['', ...COMMANDS]) {
    const r = await runProcess(process.execPath, [main, ...(cmd ? [cmd] : []), '--help'], { timeoutMs: 30_000 });
    assert.equal(r.code, 0, `${cmd} --help: ${r.stderr}`);
    const flags = new Set<string>();
    for (const line of r.stdout.split('\n')) {
      const m = /^ {2}((?:-\w, )?--[\w-]+)/.exec(line);
      if (m) for (const f of m[1]!.split(', ')) flags.add(f);
    }
    out.set(cmd || 'fleetplan', flags);
  }
  return out;
}

interface Row {
  ansible: string[];
  fleetplan: string[];
  on: string[];
  text: string;
}

/** The rows of the table under "## Command-line flags" whose header starts "| ansible-playbook / ansible |". */
function tableRows(): Row[] {
  const doc = readFileSync(path.join(root, 'docs/coming-from-ansible.md'), 'utf8');
  const section = doc.split(/^## /m).find((s) => s.startsWith('Command-line flags'));
  assert.ok(section, 'docs/coming-from-ansible.md has a "Command-line flags" section');
  const lines = section.split('\n');
  const start = lines.findIndex((l) => l.startsWith('| ansible-playbook / ansible | fleetplan | on |'));
  assert.ok(start >= 0, 'the flag table is there');
  const rows: Row[] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    const cells = line.slice(1, -1).split('|').map((c) => c.trim());
    const flags = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].flatMap((m) => m[1]!.split(', '));
    rows.push({ ansible: flags(cells[0]!), fleetplan: flags(cells[1]!), on: cells[2]!.split(',').map((c) => c.trim()).filter(Boolean), text: line });
  }
  return rows;
}

test('the flag table: fleetplan flags exist where it says, every Ansible-named flag is in it, Ansible flags are real', async () => {
  const defined = await commanderFlags();
  const rows = tableRows();
  assert.ok(rows.length >= 30, `${rows.length} rows`);
  const problems: string[] = [];
  for (const row of rows) {
    for (const a of row.ansible) if (!ANSIBLE_FLAGS.has(a)) problems.push(`not a flag of ansible-playbook or ansible: ${a} (${row.text})`);
    for (const cmd of row.on) {
      const flags = defined.get(cmd);
      if (!flags) problems.push(`no command '${cmd}' (${row.text})`);
      else for (const f of row.fleetplan) if (!flags.has(f)) problems.push(`fleetplan ${cmd} has no ${f} (${row.text})`);
    }
    if (row.on.length === 0) for (const f of row.fleetplan) if (!defined.get('fleetplan')!.has(f)) problems.push(`fleetplan has no ${f} (${row.text})`);
  }
  for (const [cmd, flags] of defined) {
    for (const f of flags) {
      if (!ANSIBLE_FLAGS.has(f) || f === '--help' || f === '-h') continue;
      // Spelled as Ansible's: the table says what it is in fleetplan, and where Ansible's flag of that name went
      // (the same row, or two: fleetplan's --timeout is Ansible's --task-timeout, Ansible's --timeout is --connect-timeout).
      const row = rows.find((r) => r.fleetplan.includes(f));
      if (!row) problems.push(`${cmd} defines ${f}, spelled as Ansible's, missing from the fleetplan column`);
      else if (cmd !== 'fleetplan' && !row.on.includes(cmd)) problems.push(`${cmd} defines ${f}, not listed in its row's "on" column (${row.text})`);
      if (!rows.some((r) => r.ansible.includes(f))) problems.push(`${cmd} defines ${f}: the table does not say what Ansible's ${f} is in fleetplan`);
    }
  }
  assert.deepEqual(problems, []);
});
