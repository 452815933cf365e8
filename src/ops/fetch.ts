// fetch: a host file copied to the controller (Ansible's fetch), as `<dest>/<host>/<path>` or, with flat,
// to dest itself. The state read hashes the host file and ships its content only when it differs from
// the controller copy (read on the controller while resolving), so a re-run changes nothing. The real
// run prints the file (hex, from the opened file, never through a link) and writes it on the controller
// after checking its SHA-256 (controller-write.ts); a dry run shows the controller copy's diff.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import { lazySchema } from './lazy-schema.js';
import { shQuote } from '../core/quote.js';
import { fileQuery, fileResource, type FileState } from '../state/file-state.js';
import { readControllerFile, writeControllerFile } from './controller-write.js';
import { diffOf, sha256 } from './file-content.js';
import { Unresolved, type Operation, type PlanResult } from './operation.js';
import { absolutePath } from './path-schema.js';
import { checkPath } from './safe-path.js';

/** The largest file fetched: it travels as hex in the change's output. */
export const FETCH_MAX = 64 * 1024 * 1024;

const schema = lazySchema(() =>
  z
    .object({
      src: absolutePath.describe('File on the host (a regular file; a symbolic link there is refused)'),
      dest: z
        .string()
        .min(1)
        .refine((p) => !p.includes('\0'), { message: 'a path must not contain a NUL byte' })
        .describe("Directory on the controller (relative: to fleetplan's working directory); the file goes to <dest>/<host>/<src>, or with flat to dest itself (dest ending in / : dest/<basename of src>). Written with mode 0600"),
      flat: z.boolean().default(false).describe('dest is the file itself, without the host name and src path appended'),
      fail_on_missing: z.boolean().default(true).describe('A missing src fails the task (false: nothing fetched, ok)'),
      validate_checksum: z.boolean().default(true).describe('Check the SHA-256 of what arrived against the file on the host after the transfer'),
    })
    .strict()
    .describe(
      'Dry run: reads the host file and the controller copy and shows the diff of the controller copy (nothing is written on the controller); no change when the copy matches.',
    ),
);

type Args = z.infer<ReturnType<typeof schema>>;
type Resolved = { args: Args; root: string; rel: string[]; local?: Buffer; query: ReturnType<typeof fileQuery> };

/** Where the copy goes: the directory the operator named, then the names fleetplan adds below it. */
function destOf(a: Args, host: string): { root: string; rel: string[] } {
  const src = path.posix.normalize(a.src);
  if (a.flat) {
    const file = a.dest.endsWith('/') ? path.join(a.dest, path.posix.basename(src)) : a.dest;
    return { root: path.dirname(path.resolve(file)), rel: [path.basename(file)] };
  }
  if (host.includes('/') || host === '.' || host === '..') throw new Error(`fetch: the host name ${JSON.stringify(host)} cannot be a directory name`);
  return { root: path.resolve(a.dest), rel: [host, ...src.split('/').filter(Boolean)] };
}

const SHA_MARK = 'fleetplan-fetch-sha256';

function fetchScript(a: Args): string {
  const p = shQuote(a.src);
  const swapped = shQuote(`${a.src} is no longer the regular file read (a symbolic link swapped in?); nothing fetched`);
  return [
    `{ if [ -f ${p} ] && ! [ -L ${p} ] && _fp_same ${p}; then od -An -v -tx1; else printf '%s\\n' ${swapped} >&2; exit 1; fi; } < ${p} || exit 1`,
    a.validate_checksum ? `echo ${SHA_MARK}; if ! [ -L ${p} ]; then if command -v sha256sum >/dev/null 2>&1; then sha256sum -- ${p}; else sha256 -r -- ${p}; fi; fi` : '',
  ]
    .filter(Boolean)
    .join('\n');
}

/** The bytes the change printed, checked against the host's hash when asked. */
export function parseFetched(stdout: string, validate: boolean): Buffer | string {
  const at = stdout.indexOf(SHA_MARK);
  const bytes = Buffer.from((at < 0 ? stdout : stdout.slice(0, at)).replace(/\s+/g, ''), 'hex');
  if (!validate) return bytes;
  const sum = /\b[0-9a-f]{64}\b/.exec(at < 0 ? '' : stdout.slice(at))?.[0];
  if (sum !== sha256(bytes)) return `the file changed during the transfer or arrived damaged (SHA-256 ${sha256(bytes)}, on the host ${sum ?? 'unknown'}); nothing written`;
  return bytes;
}

export const fetch: Operation<Args, Resolved> = {
  name: 'fetch',
  summary: 'A host file copied to the controller (<dest>/<host>/<path>), only when the controller copy differs',
  get schema() {
    return schema();
  },
  resolve(args, ctx) {
    const { root, rel } = destOf(args, ctx.host);
    const local = readControllerFile(path.join(root, ...rel));
    const wantSha = local && createHash('sha256').update(local).digest('hex');
    return { args, root, rel, local, query: fileQuery(args.src, { wantSha, withContent: true }) };
  },
  queries: (r) => [r.query],
  plan(r, state, ctx): PlanResult {
    const a = r.args;
    const st: FileState = state.get(r.query);
    if (!st.exists && !st.link) {
      if (a.fail_on_missing) throw new Unresolved(`${a.src} does not exist`, 'fail_on_missing: false fetches nothing then');
      return { changes: [], reason: `${a.src} does not exist; nothing fetched` };
    }
    checkPath(a.src, st, false);
    if (st.type !== 'file') throw new Error(`${a.src} is a ${st.type}, not a regular file; fetch copies files`);
    if ((st.size ?? 0) > FETCH_MAX) throw new Error(`${a.src} has ${st.size} bytes; fetch copies at most ${FETCH_MAX} bytes`);
    const target = path.join(r.root, ...r.rel);
    const predicts = [{ resource: fileResource(a.src), value: st }];
    if (r.local && st.sha256 === sha256(r.local)) return { changes: [], reason: `${target} matches ${a.src}`, effects: { predicts } };
    const old: FileState = r.local ? { exists: true, type: 'file', content: r.local, size: r.local.length } : { exists: false };
    // The host content came with the read when it is small enough to show (else the diff says too large).
    const diff = st.content ? diffOf(target, old, st.content, [`from ${ctx.host}:${a.src}`], ctx) : { path: target, before: null, after: null, masked: 'too large' as const };
    return { changes: [{ kind: 'run', description: `fetch ${a.src} to ${target}`, command: fetchScript(a), diff }], effects: { predicts } };
  },
  /** Ansible's fetch result: where the copy is on the controller, and which host file it is. */
  registerFields: (r) => ({ dest: path.join(r.root, ...r.rel), file: r.args.src }),
  interpret(r, outcome) {
    if (outcome.exitCode !== 0) return { changed: false, failed: `fetch ${r.args.src}: ${outcome.stderr.trim().split('\n').slice(-3).join('\n') || `exit ${outcome.exitCode}`}` };
    const bytes = parseFetched(outcome.stdout, r.args.validate_checksum);
    if (typeof bytes === 'string') return { changed: false, failed: `fetch ${r.args.src}: ${bytes}` };
    try {
      writeControllerFile(r.root, r.rel, bytes);
    } catch (err) {
      return { changed: false, failed: `fetch ${r.args.src}: writing the controller copy failed: ${(err as Error).message}` };
    }
    return { changed: true };
  },
};
