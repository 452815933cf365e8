// Which files of a role directory hold what: fleetplan's layout (tasks.yml, handlers.yml, defaults.yml,
// meta.yml, vars/<Stem>.yml) or Ansible's (tasks/main.yml, handlers/main.yml, defaults/main.yml,
// meta/main.yml, vars/main.yml and vars/<Stem>.yml). Either works; a role holding both spellings of
// one file is an error naming both, since either could be the one its author edits.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { displayPath } from '../../core/paths.js';
import type { Issues } from '../issues.js';

export type RolePart = 'tasks' | 'handlers' | 'defaults' | 'meta';

export interface RoleFile {
  /** Absolute path. */
  file: string;
  /** As named in messages: "tasks.yml", "tasks/main.yml". */
  label: string;
}

export interface RoleLayout {
  parts: Partial<Record<RolePart, RoleFile>>;
  /** vars/<Stem>.yml by stem; Ansible's vars/main.yml is the stem `default` (always applied). */
  vars: Array<{ stem: string } & RoleFile>;
  /** The role is written in Ansible's layout (a role there may have no tasks, only dependencies or vars). */
  ansible: boolean;
}

const PARTS: RolePart[] = ['tasks', 'handlers', 'defaults', 'meta'];
const isFile = (p: string) => existsSync(p) && statSync(p).isFile();

/** The first of `names` that exists in `dir`. */
function first(dir: string, names: string[]): RoleFile | undefined {
  const label = names.find((n) => isFile(path.join(dir, n)));
  return label ? { file: path.join(dir, label), label } : undefined;
}

/** The role's files, or undefined when a file is there in both layouts (reported). */
export function roleLayout(dir: string, issues: Issues): RoleLayout | undefined {
  const layout: RoleLayout = { parts: {}, vars: [], ansible: false };
  let clash = false;
  const both = (a: RoleFile, b: RoleFile) => {
    issues.add({ file: displayPath(a.file) }, `role '${path.basename(dir)}' has both ${a.label} and ${b.label} (${displayPath(b.file)}): keep one of them`);
    clash = true;
  };
  for (const part of PARTS) {
    const own = first(dir, [`${part}.yml`]);
    const ansible = first(dir, [`${part}/main.yml`, `${part}/main.yaml`]);
    if (own && ansible) both(own, ansible);
    layout.parts[part] = own ?? ansible;
    if (ansible) layout.ansible = true;
  }
  const varsDir = path.join(dir, 'vars');
  if (existsSync(varsDir) && statSync(varsDir).isDirectory()) {
    for (const f of readdirSync(varsDir).sort()) {
      const m = /^(.+)\.ya?ml$/.exec(f);
      if (!m) continue;
      const stem = m[1] === 'main' ? 'default' : m[1]!;
      const entry = { stem, file: path.join(varsDir, f), label: `vars/${f}` };
      const same = layout.vars.find((v) => v.stem === stem);
      if (same) both(same, entry);
      else layout.vars.push(entry);
      if (m[1] === 'main') layout.ansible = true;
    }
  }
  return clash ? undefined : layout;
}
