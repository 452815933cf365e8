// `group_vars/` and `host_vars/` directories, read as Ansible's host_group_vars plugin reads them: for
// a group or host `name`, the first of `name` (a file or a directory), `name.yml`, `name.yaml`,
// `name.json`; a directory contributes every file in it (subdirectories too, in name order; hidden
// files, `~` backups and other extensions skipped). Ansible silently reads only the first candidate
// when several exist; fleetplan refuses that instead (one of them would be ignored without a word).
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../core/errors.js';
import { displayPath } from '../core/paths.js';
import type { SecretRegistry } from '../core/secret.js';
import type { Vars, VarsDir } from './model.js';

export type { VarsDir };
import { Issues } from './issues.js';
import { YamlSource, isMap, nodeKind } from './yaml.js';

const EXTENSIONS = ['', '.yml', '.yaml', '.json'];

/** Read `<dir>/group_vars/<group>` and `<dir>/host_vars/<host>` for the given names; throws InputError(s). */
export function readVarsDir(
  dir: string, beside: VarsDir['beside'], names: { groups: Iterable<string>; hosts: Iterable<string> }, secrets: SecretRegistry,
): VarsDir {
  const issues = new Issues();
  const out: VarsDir = { dir, beside, groups: new Map(), hosts: new Map(), files: [] };
  const read = (kind: 'group_vars' | 'host_vars', name: string, into: Map<string, Vars>) => {
    const files = issues.try(() => varFiles(path.join(dir, kind), name)) ?? [];
    if (!files.length) return;
    out.files.push(...files);
    const vars: Vars = {};
    for (const f of files) Object.assign(vars, issues.try(() => readMapping(f, kind, secrets)) ?? {});
    into.set(name, vars);
  };
  if (isDir(path.join(dir, 'group_vars'))) for (const g of names.groups) read('group_vars', g, out.groups);
  if (isDir(path.join(dir, 'host_vars'))) for (const h of names.hosts) read('host_vars', h, out.hosts);
  issues.throwIfAny();
  return out;
}

function isDir(p: string): boolean {
  return existsSync(p) && statSync(p).isDirectory();
}

/** The files of `name` in `kindDir`, in the order they apply (later wins). */
function varFiles(kindDir: string, name: string): string[] {
  const found = EXTENSIONS.map((ext) => path.join(kindDir, name + ext)).filter((p) => existsSync(p));
  if (found.length > 1) {
    const names = found.map((f) => path.basename(f)).join(', ');
    throw new InputError(`${names} ${found.length === 2 ? "both" : "all"} exist: Ansible would read only ${path.basename(found[0]!)} and ignore the rest; keep one (or make ${name}/ a directory of files)`, {
      pos: { file: displayPath(found[0]!) },
    });
  }
  const [only] = found;
  if (!only) return [];
  return statSync(only).isDirectory() ? dirFiles(only) : [only];
}

function dirFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    if (entry.startsWith('.') || entry.endsWith('~')) continue;
    const full = path.join(dir, entry);
    const ext = path.extname(entry);
    if (statSync(full).isDirectory()) {
      if (!ext) out.push(...dirFiles(full));
    } else if (EXTENSIONS.includes(ext)) {
      out.push(full);
    }
  }
  return out;
}

function readMapping(file: string, kind: string, secrets: SecretRegistry): Vars {
  const src = YamlSource.read(file, secrets);
  const v = src.value(src.root);
  if (v === null || v === undefined) return {};
  if (!isMap(src.root)) throw new InputError(`${kind} file: expected a mapping of variables, got ${nodeKind(src.root)}`, { pos: src.pos(src.root) });
  return v as Vars;
}
