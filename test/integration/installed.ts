// fleetplan as an operator installs it, for tests: `npm pack` of this checkout (dist/ is built
// before the tests run, so the pack skips the prepare script), installed with `npm install -g` into a
// private prefix — never the machine's own — from npm's cache when it holds every dependency.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runProcess, type ProcessResult } from '../run-process.js';
import { repoRoot } from './cli.js';

const npmCache = process.env.npm_config_cache ?? path.join(os.homedir(), '.npm');

export const packageVersion = (JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;

/** The environment that sends `npm install -g` into `prefix` and finds what it installed first on the PATH. */
export function prefixEnv(prefix: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', npm_config_prefix: prefix, PATH: `${path.join(prefix, 'bin')}:${process.env.PATH}` };
  // npm test's own settings (npm_config_*, the lifecycle's) must not reach the npm under test.
  for (const k of Object.keys(env)) if (k.startsWith('npm_') && k !== 'npm_config_prefix') delete env[k];
  // The machine's npm cache, whatever HOME a test gives the commands: installs come from it when it
  // holds every dependency (after `npm ci`, it does), not from the registry.
  env.npm_config_cache = npmCache;
  env.npm_config_prefer_offline = 'true';
  return { ...env, ...extra };
}

async function checked(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<ProcessResult> {
  const r = await runProcess(cmd, args, { timeoutMs: 180_000, ...opts });
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.code}\n${r.output}`);
  return r;
}

/** `npm pack` into `dir`; returns the tarball's path. */
export async function pack(dir: string): Promise<string> {
  const r = await checked('npm', ['pack', '--ignore-scripts', '--pack-destination', dir, repoRoot], { cwd: dir, env: prefixEnv(path.join(dir, 'unused-prefix')) });
  return path.join(dir, r.stdout.trim().split('\n').at(-1)!);
}

/** `npm install -g <tarball>` into `prefix`; returns the installed `fleetplan`. */
export async function installGlobal(tarball: string, prefix: string): Promise<string> {
  await checked('npm', ['install', '-g', '--prefer-offline', '--no-audit', '--no-fund', tarball], { cwd: path.dirname(tarball), env: prefixEnv(prefix) });
  return path.join(prefix, 'bin', 'fleetplan');
}
