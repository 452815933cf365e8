// Finding and reading the configuration files: the project's fleetplan.yml (the working directory or
// the nearest directory above it that has one), then the user's config.yml. A file another user could
// have written is ignored with a warning, as Ansible ignores an ansible.cfg in a world-writable
// directory: it could point roles_path or vault_password_file anywhere, and plans run as root.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { InputError, InputErrors } from '../core/errors.js';
import type { SecretRegistry } from '../core/secret.js';
import { didYouMean } from '../load/issues.js';
import { YamlSource, isMap } from '../load/yaml.js';
import { configHome, resolvePaths, SETTINGS, settingProblem, type SettingValue } from './settings.js';

export const PROJECT_FILE = 'fleetplan.yml';

export interface FileSetting {
  value: SettingValue;
  file: string;
  line?: number;
  col?: number;
}

export interface ConfigFile {
  /** As named in messages. */
  file: string;
  /** 'ignored: …' when the file exists but was not read. */
  ignored?: string;
  settings: Map<string, FileSetting>;
}

/** fleetplan.yml in `dir` or the nearest directory above it. */
export function findProjectFile(dir: string): string | undefined {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    const f = path.join(d, PROJECT_FILE);
    if (existsSync(f)) return f;
    if (path.dirname(d) === d) return undefined;
  }
}

export function userFile(): string {
  return path.join(configHome(), 'fleetplan', 'config.yml');
}

/** Why a file may have been written by someone else, or undefined. */
function foreignWritable(file: string): string | undefined {
  const me = process.getuid?.();
  for (const p of [file, path.dirname(file)]) {
    const st = statSync(p);
    if (me !== undefined && st.uid !== me && st.uid !== 0) return `${p} belongs to another user`;
    // A sticky world-writable directory (/tmp) still lets anyone create the file first.
    if (st.mode & 0o002) return `${p} is writable by every user`;
  }
  return undefined;
}

/** Read one config file; errors (syntax, unknown key, wrong type) name file:line:col. */
export function readConfigFile(file: string, secrets: SecretRegistry): ConfigFile {
  const foreign = foreignWritable(file);
  if (foreign) return { file, ignored: foreign, settings: new Map() };
  const src = YamlSource.read(file, secrets);
  const settings = new Map<string, FileSetting>();
  const root = src.deref(src.root);
  if (root === null) return { file: src.file, settings };
  if (!isMap(root)) throw src.error(root, 'a fleetplan configuration file is a mapping of settings (inventory:, forks:, …)');
  const errors: InputError[] = [];
  const keys = SETTINGS.map((d) => d.key);
  for (const e of src.entries(root)) {
    const def = SETTINGS.find((d) => d.key === e.key);
    if (!def) {
      errors.push(src.error(e.keyNode, `unknown setting '${e.key}'${didYouMean(e.key, keys)}; settings: ${keys.join(', ')}`));
      continue;
    }
    const value = src.value(e.value);
    const problem = settingProblem(def, value);
    if (problem) {
      errors.push(src.error(e.value, `${e.key}: ${problem}`, e.keyNode));
      continue;
    }
    const pos = src.pos(e.value, e.keyNode);
    settings.set(def.key, { value: resolvePaths(def, value as SettingValue, path.dirname(src.abs)), file: src.file, line: pos.line, col: pos.col });
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new InputErrors(errors);
  return { file: src.file, settings };
}
