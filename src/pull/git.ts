// A git source for `fleetplan pull` (-U git+https://…, git+ssh://…, git+file://…): the repository is
// fetched into <dir>/git with git itself — only the one ref asked for (--checkout, else the remote's
// HEAD), shallow unless --full — and checked out detached, the tree cleaned of anything else. The
// commit id is the bundle's digest (what --only-if-changed compares); --verify-commit has
// `git verify-commit` check its signature (GnuPG, or SSH with --allowed-signers) and refuses it otherwise.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { localFailure, refused, unreachable } from './errors.js';

export interface GitOptions {
  checkout?: string;
  full: boolean;
  verifyCommit: boolean;
  allowedSigners?: string;
  caFile?: string;
}

const TRANSPORTS = ['https:', 'ssh:', 'file:'];

/** The remote's URL without the `git+` prefix that says it is a git source; undefined for a tarball URL. */
export function gitRemote(url: string): string | undefined {
  if (!url.startsWith('git+')) return undefined;
  const remote = url.slice(4);
  let parsed: URL;
  try {
    parsed = new URL(remote);
  } catch {
    throw refused(`-U ${url} is not a URL`);
  }
  if (!TRANSPORTS.includes(parsed.protocol)) throw refused(`-U ${url}: git sources are git+https:, git+ssh: or git+file: URLs`);
  if (parsed.password) throw refused(`-U ${url}: a password in the URL would be in the run record; use a credential helper or an SSH key`);
  return remote;
}

function git(cwd: string, args: string[], opts: GitOptions): Promise<{ code: number; stdout: string; stderr: string }> {
  const config = [
    ...(opts.caFile ? ['-c', `http.sslCAInfo=${path.resolve(opts.caFile)}`] : []),
    ...(opts.allowedSigners ? ['-c', `gpg.ssh.allowedSignersFile=${path.resolve(opts.allowedSigners)}`] : []),
  ];
  return new Promise((resolve, reject) => {
    execFile('git', ['-C', cwd, ...config, ...args], { env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' }, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') return reject(localFailure('git is not installed on this host (a git source needs it)'));
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

const lastLines = (s: string) => s.trim().split('\n').slice(-3).join(' / ');

/** Fetches and checks out the ref into `dir`; returns the commit id. */
export async function gitCheckout(remote: string, dir: string, opts: GitOptions): Promise<string> {
  if (!existsSync(path.join(dir, '.git'))) {
    const init = await git(path.dirname(dir), ['init', '--quiet', '--', dir], opts);
    if (init.code !== 0) throw localFailure(`git init ${dir}: ${lastLines(init.stderr)}`);
  }
  const ref = opts.checkout ?? 'HEAD';
  if (ref.startsWith('-')) throw refused(`--checkout ${ref}: not a ref`);
  const fetched = await git(dir, ['fetch', '--quiet', '--no-tags', ...(opts.full ? [] : ['--depth', '1']), '--', remote, ref], opts);
  if (fetched.code !== 0) throw unreachable(`git fetch ${remote} ${ref}: ${lastLines(fetched.stderr)}`);
  for (const args of [['checkout', '--quiet', '--force', '--detach', 'FETCH_HEAD'], ['clean', '-ffdxq']]) {
    const r = await git(dir, args, opts);
    if (r.code !== 0) throw localFailure(`git ${args[0]} in ${dir}: ${lastLines(r.stderr)}`);
  }
  const head = await git(dir, ['rev-parse', 'HEAD'], opts);
  const commit = head.stdout.trim();
  if (opts.verifyCommit) {
    const v = await git(dir, ['verify-commit', commit], opts);
    if (v.code !== 0) throw refused(`commit ${commit} of ${remote}: its signature does not verify (git verify-commit: ${lastLines(v.stderr) || 'no signature'}): refused, nothing applied`);
  }
  return commit;
}
