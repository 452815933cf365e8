// Turns a task's changes into ONE shell script: atomic file writes (new file in a fresh root-only
// directory beside the target, final owner and mode before the first byte, validate, rename; never
// through a symbolic link, see writeScript), commands stopping at the first failure, and — in the
// same exec — a fresh read of the state later tasks need, so planning never uses stale state.
import { framedSnippet, marker, newNonce, readFrame } from '../core/framing.js';
import { evalWord, shQuote } from '../core/quote.js';
import type { Change, WriteSpec } from '../ops/operation.js';
import { batchScript, parseFrames, planBatch, type BatchFrame, type BatchPlan } from '../state/batch.js';
import { SHA_FUNCTION } from '../state/prelude.js';
import type { StateQuery } from '../state/query.js';
import { NO_FOLLOW } from '../state/no-follow.js';
import { enterScript, NOT_ENTERED, placeOf } from '../ops/safe-path.js';
import { backdateScript } from './backdate.js';

/** Quotes content for `printf '%s'` (a builtin: no argument size limit) or, for bytes sh cannot hold, octal escapes. */
function printfContent(content: Buffer): string {
  const text = content.toString('utf8');
  if (!content.includes(0) && Buffer.from(text, 'utf8').equals(content)) return `printf '%s' ${shQuote(text)}`;
  let fmt = '';
  for (const byte of content) fmt += `\\${byte.toString(8).padStart(3, '0')}`;
  return `printf '${fmt}'`;
}

/**
 * The write, from inside the target's directory entered with `cd -P` and checked (ops/safe-path.ts): the
 * new file is made in a fresh root-only directory there (`mktemp -d`, exclusive), so no user can swap it
 * for a link before its owner, mode and bytes are set; the backup is a hard link to the old file (`ln`
 * never overwrites nor follows an existing name); the rename (`mv -T`/`-h`) replaces the name itself,
 * never moving into a directory a link planted at the name leads to.
 */
export function writeScript(w: WriteSpec): string {
  const place = w.place ?? placeOf(w.path, { exists: true });
  const n = shQuote(`../${place.name}`);
  const owner = w.owner || w.group ? `chown -h -- ${shQuote(`${w.owner ?? ''}${w.group ? `:${w.group}` : ''}`)} new` : '';
  // `%s` names the temp file: the script's variable, expanded when the quoted command is evaluated.
  const validate = w.validate ? evalWord(w.validate.split('%s').join('"$_fp_t"')) : '';
  // Every step checks its own status: `set -e` is not honoured inside `||` lists, so it cannot be relied on.
  const step = (cmd: string) => `${cmd} || _fp_abort`;
  const inside = `${place.dir.physical.endsWith('/') ? place.dir.physical : `${place.dir.physical}/`}`;
  const swapped = `${w.path}: the temporary directory was swapped; nothing written`;
  const lines = [
    enterScript(place.dir, w.path),
    `_fp_p=$(mktemp -d .fleetplan.XXXXXX) || exit 1`,
    `cd -P -- "$_fp_p" && [ -O . ] && [ "$PWD" = ${shQuote(inside)}"$_fp_p" ] || { echo ${shQuote(swapped)} >&2; exit 1; }`,
    // A validate command gets a path no user can redirect: relative when a user may write on the way.
    `_fp_t=${place.userWritable ? './new' : '"$PWD/new"'}`,
    `_fp_abort() { rc=$?; cd .. && rm -rf -- "$_fp_p"; exit $(( rc ? rc : 1 )); }`,
    step(': > new'),
    owner && step(owner),
    w.mode ? step(`chmod -- ${w.mode} new`) : '',
    ...(w.source ? receiveScript(w, step) : [step(`${printfContent(w.content)} > new`)]),
    `sync new 2>/dev/null || true`,
    validate ? `${validate} </dev/null || { echo ${shQuote(`validation failed: ${w.validate}`)} >&2; _fp_abort; }` : '',
    w.backup ? step(`ln -P -- ${n} ${n}.$(date +%Y%m%d%H%M%S)~`) : '',
    w.backdate ? backdateScript(w.backdate) : '',
    step(`_fp_mv new ${n}`),
    `cd .. && rmdir -- "$_fp_p"`,
  ];
  return lines.filter(Boolean).join('\n');
}

/**
 * A streamed write's bytes (engine/streamed-write.ts): the exec's stdin into the new file, then its
 * size and SHA-256 checked before anything is renamed — a connection lost midway, or a controller file
 * changed since it was hashed, leaves the old file in place.
 */
function receiveScript(w: WriteSpec, step: (cmd: string) => string): string[] {
  const { size, sha256 } = w.source!;
  const short = (what: string) => shQuote(`${w.path}: ${what}; nothing written`);
  return [
    step('cat > new'),
    `_fp_n=$(wc -c < new | tr -d ' ') || _fp_abort`,
    `[ "$_fp_n" = ${size} ] || { echo ${shQuote(`${w.path}: received `)}"$_fp_n"${shQuote(` of ${size} bytes; nothing written`)} >&2; _fp_abort; }`,
    SHA_FUNCTION,
    `_fp_h=$(_fp_sha new) || _fp_abort`,
    `[ "\${_fp_h%% *}" = ${sha256} ] || { echo ${short(`the bytes received are not those planned (sha256 ${sha256}): the controller file changed since it was read?`)} >&2; _fp_abort; }`,
  ];
}

/**
 * Each change in its own shell; the first that fails stops the rest with its status. Commands run as one
 * quoted word under `eval` (evalWord), so one with a syntax error fails alone instead of breaking the framing of the exec.
 */
export function changeScript(changes: readonly Change[]): string {
  const steps = changes.map((c) => (c.kind === 'write' ? `(\n${writeScript(c.write)}\n) || exit $?` : `${evalWord(c.command)} || exit $?`));
  // The helper that says why a directory cannot be entered, only where a change enters one (safe-path.ts).
  const enters = changes.some((c) => c.kind === 'write' || c.command.includes('_fp_nodir '));
  return [NO_FOLLOW, enters ? NOT_ENTERED : '', ...steps].filter(Boolean).join('\n');
}

export interface ExecPlan {
  script: string;
  nonce: string;
  refresh: BatchPlan;
}

/**
 * The whole exec: the changes in a subshell with their output framed (core/framing.ts, the frame the
 * state batch uses too), then the refresh batch. The exit status of the changes is carried in the
 * frame, so the refresh always runs.
 */
export function execScript(changes: readonly Change[], refresh: readonly StateQuery[]): ExecPlan {
  const nonce = newNonce();
  const batch = planBatch(refresh);
  const script = [...framedSnippet(nonce, CHANGE_FRAME, changeScript(changes)), batchScript(batch.run, nonce)].join('\n');
  return { script, nonce, refresh: batch };
}

/** The label of the changes' frame; the refresh batch numbers its frames, so it cannot clash. */
const CHANGE_FRAME = 'change';

export function parseExec(stdout: Buffer, plan: ExecPlan): { change: BatchFrame; refresh: BatchFrame[] } {
  const read = readFrame(stdout, plan.nonce, CHANGE_FRAME);
  if (typeof read === 'string') throw new Error('the change script output is truncated (connection lost?)');
  return { change: read.frame, refresh: parseFrames(stdout.subarray(read.next), plan.nonce, plan.refresh.run.length) };
}

/** The exec of a batch of tasks' changes (batch-apply.ts): each task's changes in a frame of their own, stderr marked per task. */
export interface BatchExecPlan {
  script: string;
  nonce: string;
  tasks: number;
  refresh: BatchPlan;
}

/** The status of the frames so far: a task's frame runs only when every frame before it succeeded. */
const BATCH_STATUS = '_fp_b';

/** What starts a task's part of the exec's stderr (and, after them, the refresh batch's). */
function stderrMark(nonce: string, label: string): string {
  return `${marker(nonce)} stderr ${label}`;
}

/**
 * One exec for several tasks' changes, in order: task k's changes run only when task k-1's exited 0,
 * as sequential execs would (a failed change stops the ones after it); then the refresh batch.
 */
export function batchExecScript(changeSets: readonly (readonly Change[])[], refresh: readonly StateQuery[]): BatchExecPlan {
  const nonce = newNonce();
  const batch = planBatch(refresh);
  const lines = [`${BATCH_STATUS}=0`];
  changeSets.forEach((changes, k) => {
    const frame = [`printf '\\n%s\\n' '${stderrMark(nonce, String(k))}' >&2`, ...framedSnippet(nonce, `${CHANGE_FRAME}-${k}`, changeScript(changes), BATCH_STATUS)];
    lines.push(`if [ "$${BATCH_STATUS}" -eq 0 ]; then`, ...frame, 'fi');
  });
  lines.push(`printf '\\n%s\\n' '${stderrMark(nonce, 'refresh')}' >&2`, batchScript(batch.run, nonce));
  return { script: lines.join('\n'), nonce, tasks: changeSets.length, refresh: batch };
}

/** One task's part of a batch exec: its changes' status and output, and what it printed on stderr. */
export interface BatchPart {
  exitCode: number;
  out: Buffer;
  stderr: string;
}

/**
 * The parts of a batch exec, in order, up to the first that did not succeed (the later ones did not run);
 * `truncated` names the task whose output ends early (connection lost). The refresh frames, when complete.
 */
export function parseBatchExec(stdout: Buffer, stderr: string, plan: BatchExecPlan): { parts: BatchPart[]; truncated?: number; refresh?: BatchFrame[] } {
  const errs = splitStderr(stderr, plan.nonce);
  const parts: BatchPart[] = [];
  let at = 0;
  for (let k = 0; k < plan.tasks; k++) {
    const read = readFrame(stdout, plan.nonce, `${CHANGE_FRAME}-${k}`, at);
    if (read === 'missing') break;
    if (read === 'truncated') return { parts, truncated: k };
    parts.push({ exitCode: read.frame.exitCode, out: read.frame.out, stderr: errs.get(String(k)) ?? '' });
    at = read.next;
    if (read.frame.exitCode !== 0) break;
  }
  try {
    return { parts, refresh: parseFrames(stdout.subarray(at), plan.nonce, plan.refresh.run.length) };
  } catch {
    // The changes are known; what the refresh should have read stays stale and is read when needed.
    return { parts };
  }
}

/** stderr cut at the marks each part printed first (a nonce nobody can guess: nothing forges a mark). */
function splitStderr(stderr: string, nonce: string): Map<string, string> {
  const parts = new Map<string, string>();
  const re = new RegExp(`\\n?${marker(nonce)} stderr (\\S+)\\n`, 'g');
  let label: string | undefined;
  let from = 0;
  for (const m of stderr.matchAll(re)) {
    if (label !== undefined) parts.set(label, stderr.slice(from, m.index));
    label = m[1];
    from = m.index! + m[0].length;
  }
  if (label !== undefined) parts.set(label, stderr.slice(from));
  return parts;
}
