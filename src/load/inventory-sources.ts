// What the `-i` arguments name: files, or directories of inventory files as Ansible reads them (every
// file in the directory and its subdirectories in name order, except hidden files, group_vars/,
// host_vars/, vars_plugins/ and Ansible's ignored extensions — `.ini` among them, as in Ansible). The
// group_vars/ and host_vars/ that apply are beside each file argument, and inside each directory
// argument (not beside the files found in it).
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** Ansible's INVENTORY_IGNORE_EXTS default. */
const IGNORED_EXTENSIONS = ['.pyc', '.pyo', '.swp', '.bak', '~', '.rpm', '.md', '.txt', '.rst', '.orig', '.ini', '.cfg', '.retry'];
const IGNORED_NAMES = ['group_vars', 'host_vars', 'vars_plugins'];

export interface InventorySources {
  /** The files to read, in order. */
  files: string[];
  /** The directories whose group_vars/ and host_vars/ apply, in order. */
  varsDirs: string[];
}

/** Absolute paths in; a path that does not exist stays a file (reading it reports it). */
export function inventorySources(args: readonly string[]): InventorySources {
  const files: string[] = [];
  const varsDirs: string[] = [];
  for (const abs of args) {
    if (isDirectory(abs)) {
      files.push(...filesIn(abs));
      varsDirs.push(abs);
    } else {
      files.push(abs);
      varsDirs.push(path.dirname(abs));
    }
  }
  return { files, varsDirs: [...new Set(varsDirs)] };
}

function filesIn(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.') || IGNORED_NAMES.includes(name) || IGNORED_EXTENSIONS.some((ext) => name.endsWith(ext))) continue;
    const full = path.join(dir, name);
    if (isDirectory(full)) out.push(...filesIn(full));
    else out.push(full);
  }
  return out;
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
