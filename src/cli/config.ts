// Settings from the environment and the configuration files, applied to every command that has the
// matching option (a hook before each action), and `fleetplan config`, which prints each effective
// setting and where it came from. Precedence: flag > FLEETPLAN_* > fleetplan.yml > user config > default.
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { ExitCode, InputError, InputErrors } from '../core/errors.js';
import { displayPath } from '../core/paths.js';
import { visible } from '../report/visible.js';
import { findProjectFile, readConfigFile, userFile, type ConfigFile } from './config-files.js';
import { runSecrets } from './run-secrets.js';
import { describeOrigin, envName, fromEnv, resolvePaths, SETTINGS, type Origin, type SettingDef, type SettingValue } from './settings.js';

export interface Effective {
  def: SettingDef;
  value: SettingValue | undefined;
  origin: Origin;
}

export interface ResolvedSettings {
  settings: Map<string, Effective>;
  /** The files looked at, in precedence order, with what became of each. */
  files: { file: string; role: 'project' | 'user'; state: 'read' | 'not found' | string }[];
}

let last: ResolvedSettings | undefined;

function readFiles(cwd: string): { read: ConfigFile[]; files: ResolvedSettings['files'] } {
  const read: ConfigFile[] = [];
  const files: ResolvedSettings['files'] = [];
  const project = findProjectFile(cwd);
  for (const [role, file] of [['project', project], ['user', userFile()]] as const) {
    if (file === undefined || !existsSync(file)) {
      files.push({ file: file ?? `fleetplan.yml (in ${displayPath(cwd)} or above)`, role, state: 'not found' });
      continue;
    }
    const cfg = readConfigFile(file, runSecrets);
    files.push({ file: cfg.file, role, state: cfg.ignored ? `ignored: ${cfg.ignored}` : 'read' });
    if (cfg.ignored) process.stderr.write(`warning: ${cfg.file} not read: ${cfg.ignored}\n`);
    read.push(cfg);
  }
  return { read, files };
}

function fromEnvironment(def: SettingDef, cwd: string): Effective | undefined {
  const name = envName(def.key);
  const text = process.env[name];
  if (text === undefined || text === '') return undefined;
  const { value, problem } = fromEnv(def, text);
  if (problem) throw new InputError(`environment variable ${name}=${JSON.stringify(text)}: ${problem}`);
  return { def, value: resolvePaths(def, value!, cwd), origin: { kind: 'env', name } };
}

/** Every setting's effective value and origin; `flagged` holds those given on the command line. Throws InputError(s). */
export function resolveSettings(flagged: Map<string, SettingValue> = new Map(), cwd = process.cwd()): ResolvedSettings {
  const { read, files } = readFiles(cwd);
  const settings = new Map<string, Effective>();
  const errors: InputError[] = [];
  for (const def of SETTINGS) {
    if (flagged.has(def.key)) {
      settings.set(def.key, { def, value: flagged.get(def.key), origin: { kind: 'flag' } });
      continue;
    }
    try {
      const env = fromEnvironment(def, cwd);
      const inFile = read.map((c) => c.settings.get(def.key)).find((s) => s !== undefined);
      settings.set(
        def.key,
        env ??
          (inFile
            ? { def, value: inFile.value, origin: { kind: 'file', file: inFile.file, line: inFile.line, col: inFile.col } }
            : { def, value: def.fallback(), origin: { kind: 'default' } }),
      );
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      errors.push(err);
    }
  }
  if (errors.length) throw errors.length === 1 ? errors[0]! : new InputErrors(errors);
  return (last = { settings, files });
}

/** The settings of this command (resolved by the hook), or resolved now. */
export function currentSettings(): ResolvedSettings {
  return last ?? resolveSettings();
}

/** A bad configuration is bad input: each error with its file:line:col, exit 4, nothing contacted. */
export function exitOnInputError<T>(body: () => T): T {
  try {
    return body();
  } catch (err) {
    if (!(err instanceof InputError) && !(err instanceof InputErrors)) throw err;
    const errors = err instanceof InputErrors ? err.errors : [err];
    for (const e of errors) process.stderr.write(`error: ${visible(runSecrets.redact(e.describe()))}\n`);
    process.stderr.write('fleetplan: invalid input (configuration); no host was contacted\n');
    process.exit(ExitCode.invalidInput);
  }
}

/** Sets, on the command about to run, each option not given as a flag from the environment or a config file. */
function applyTo(cmd: Command): void {
  const present = SETTINGS.filter((d) => d.option && cmd.options.some((o) => o.attributeName() === d.option));
  if (!present.length) return;
  const flagged = new Map<string, SettingValue>();
  // roles_path adds to --roles-path rather than yielding to it, as FLEETPLAN_ROLES_PATH always did.
  for (const d of present) if (d.key !== 'roles_path' && cmd.getOptionValueSource(d.option!) === 'cli') flagged.set(d.key, cmd.getOptionValue(d.option!));
  const { settings } = exitOnInputError(() => resolveSettings(flagged));
  for (const d of present) {
    const s = settings.get(d.key)!;
    if (s.origin.kind === 'flag' || s.origin.kind === 'default') continue;
    if (d.key === 'roles_path') {
      // FLEETPLAN_ROLES_PATH is read where roles are looked up (common.ts rolesPath).
      if (s.origin.kind === 'file') cmd.setOptionValueWithSource(d.option!, [...((cmd.getOptionValue(d.option!) as string[] | undefined) ?? []), ...(s.value as string[])], 'config');
      continue;
    }
    cmd.setOptionValueWithSource(d.option!, s.value, s.origin.kind === 'env' ? 'env' : 'config');
  }
}

function show(value: SettingValue | undefined): string {
  if (value === undefined) return '(unset)';
  return Array.isArray(value) ? (value.length ? value.join(':') : '(none)') : String(value);
}

export function registerConfig(program: Command): void {
  program.hook('preAction', (_root, cmd) => applyTo(cmd));
  program
    .command('config')
    .description('print the effective settings and where each came from (flag, FLEETPLAN_* variable, fleetplan.yml, user config, default)')
    .option('--json', 'one JSON document: every setting with its value and origin, and the files read', false)
    .action((opts: { json: boolean }) => {
      const r = exitOnInputError(() => resolveSettings());
      if (opts.json) {
        const settings = Object.fromEntries([...r.settings].map(([k, s]) => [k, { value: s.value ?? null, from: describeOrigin(s.origin), env: envName(k) }]));
        process.stdout.write(`${JSON.stringify({ settings, files: r.files }, null, 2)}\n`);
        return;
      }
      const rows = [...r.settings].map(([k, s]) => [k, show(s.value), describeOrigin(s.origin)]);
      const w0 = Math.max(...rows.map((x) => x[0]!.length));
      const w1 = Math.min(48, Math.max(...rows.map((x) => x[1]!.length)));
      const lines = rows.map(([k, v, o]) => `${k!.padEnd(w0)}  ${v!.padEnd(w1)}  ${o}`);
      lines.push('', ...r.files.map((f) => `${f.role} config: ${f.file} (${f.state})`));
      process.stdout.write(`${visible(lines.join('\n'))}\n`);
    });
}
