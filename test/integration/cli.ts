// Runs the real fleetplan command line as an operator would, for integration tests.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProcess } from '../run-process.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The repository root (tests run from dist/test/integration). */
export const repoRoot = path.resolve(here, '../../..');
const main = path.join(repoRoot, 'dist/fleetplan.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  json?: any;
}

export async function fleetplan(args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
  const r = await runProcess(process.execPath, [main, ...args], {
    cwd: repoRoot,
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
    timeoutMs: opts.timeoutMs ?? 180_000,
  });
  let json: any;
  if (args.includes('--json')) {
    try {
      json = JSON.parse(r.stdout);
    } catch {
      /* left undefined: the test asserts on it */
    }
  }
  return { code: r.code, stdout: r.stdout, stderr: r.stderr, json };
}

/** Names of tasks with a given status on one host of a --json document. */
export function tasksWith(json: any, host: string, status: string): string[] {
  return (json.hosts[host]?.tasks ?? []).filter((t: any) => t.status === status).map((t: any) => (t.handler ? `handler:${t.name}` : t.name));
}

/**
 * The dry-run contract: every task check said would change (definitely) changed, and every task
 * that changed was predicted — definitely or as "depends on <earlier task>".
 */
export function assertPredicted(check: any, applied: any, host: string): void {
  const tasks = (json: any) => (json.hosts[host]?.tasks ?? []) as any[];
  const key = (t: any) => (t.handler ? `handler:${t.name}` : t.name);
  const changed = new Set(tasks(applied).filter((t) => t.status === 'changed').map(key));
  const definite = tasks(check).filter((t) => t.status === 'changed' && !t.depends_on).map(key);
  const uncertain = new Set(tasks(check).filter((t) => t.status === 'changed' && t.depends_on).map(key));
  const missed = definite.filter((k) => !changed.has(k));
  const unpredicted = [...changed].filter((k) => !definite.includes(k) && !uncertain.has(k));
  if (missed.length || unpredicted.length) {
    throw new Error(`${host}: dry run disagrees with the real run: predicted but unchanged ${JSON.stringify(missed)}, changed but not predicted ${JSON.stringify(unpredicted)}`);
  }
}
