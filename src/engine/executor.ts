// Turns a task's changes into ONE shell script: atomic file writes (temp file in the same directory,
// final owner and mode before the first byte, validate, rename), commands stopping at the first
// failure, and — in
// the same exec — a fresh read of the state later tasks need, so planning never uses stale state.
import { randomBytes } from 'node:crypto';
import { evalWord, shQuote } from '../core/quote.js';
import type { Change, WriteSpec } from '../ops/operation.js';
import { batchScript, parseFrames, planBatch, type BatchFrame, type BatchPlan } from '../state/batch.js';
import type { StateQuery } from '../state/query.js';

/** Quotes content for `printf '%s'` (a builtin: no argument size limit) or, for bytes sh cannot hold, octal escapes. */
function printfContent(content: Buffer): string {
  const text = content.toString('utf8');
  if (!content.includes(0) && Buffer.from(text, 'utf8').equals(content)) return `printf '%s' ${shQuote(text)}`;
  let fmt = '';
  for (const byte of content) fmt += `\\${byte.toString(8).padStart(3, '0')}`;
  return `printf '${fmt}'`;
}

export function writeScript(w: WriteSpec): string {
  const p = shQuote(w.path);
  const owner = w.owner || w.group ? `chown ${shQuote(`${w.owner ?? ''}${w.group ? `:${w.group}` : ''}`)} "$_fp_t"` : '';
  // `%s` names the temp file: the script's variable, expanded when the quoted command is evaluated.
  const validate = w.validate ? evalWord(w.validate.split('%s').join('"$_fp_t"')) : '';
  // Every step checks its own status: `set -e` is not honoured inside `||` lists, so it cannot be relied on.
  const step = (cmd: string) => `${cmd} || _fp_abort`;
  const lines = [
    `_fp_t=$(mktemp ${shQuote(dirnameOf(w.path))}/.fleetplan.XXXXXX) || exit 1`,
    `_fp_abort() { rc=$?; rm -f "$_fp_t"; exit $(( rc ? rc : 1 )); }`,
    owner && step(owner),
    w.mode ? step(`chmod ${w.mode} "$_fp_t"`) : '',
    step(`${printfContent(w.content)} > "$_fp_t"`),
    `sync "$_fp_t" 2>/dev/null || true`,
    validate ? `${validate} </dev/null || { echo ${shQuote(`validation failed: ${w.validate}`)} >&2; _fp_abort; }` : '',
    w.backup ? step(`cp -p ${p} ${p}.$(date +%Y%m%d%H%M%S)~`) : '',
    step(`mv -f "$_fp_t" ${p}`),
  ];
  return lines.filter(Boolean).join('\n');
}

function dirnameOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

/**
 * Each change in its own shell; the first that fails stops the rest with its status. Commands run as one
 * quoted word under `eval` (evalWord), so one with a syntax error fails alone instead of breaking the framing of the exec.
 */
export function changeScript(changes: readonly Change[]): string {
  return changes
    .map((c) => (c.kind === 'write' ? `(\n${writeScript(c.write)}\n) || exit $?` : `${evalWord(c.command)} || exit $?`))
    .join('\n');
}

export interface ExecPlan {
  script: string;
  nonce: string;
  refresh: BatchPlan;
}

/**
 * The whole exec: the changes in a subshell with their output framed, then the refresh batch.
 * The exit status of the changes is carried in the frame, so the refresh always runs.
 */
export function execScript(changes: readonly Change[], refresh: readonly StateQuery[]): ExecPlan {
  const nonce = randomBytes(9).toString('hex');
  const batch = planBatch(refresh);
  const script = [
    `printf '@@${nonce} change-begin\\n'`,
    `(\n${changeScript(changes)}\n) </dev/null`,
    `printf '\\n@@${nonce} change-end %d\\n' "$?"`,
    batchScript(batch.run, nonce),
  ].join('\n');
  return { script, nonce, refresh: batch };
}

export function parseExec(stdout: Buffer, plan: ExecPlan): { change: BatchFrame; refresh: BatchFrame[] } {
  const begin = Buffer.from(`@@${plan.nonce} change-begin\n`);
  const end = Buffer.from(`\n@@${plan.nonce} change-end `);
  const b = stdout.indexOf(begin);
  const e = stdout.indexOf(end, b);
  if (b < 0 || e < 0) throw new Error('the change script output is truncated (connection lost?)');
  const nl = stdout.indexOf(0x0a, e + end.length);
  const change = { out: stdout.subarray(b + begin.length, e), exitCode: Number(stdout.subarray(e + end.length, nl).toString()) };
  return { change, refresh: parseFrames(stdout.subarray(nl + 1), plan.nonce, plan.refresh.run.length) };
}
