// The one planner for "this path should hold these bytes with these attributes", shared by file,
// copy, template and line: compares hashes and attributes, builds the atomic write and its diff, and
// predicts the resulting state for later tasks in check mode.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { SecretRegistry } from '../core/secret.js';
import { DIFF_CONTENT_LIMIT, fileResource, normalizeMode, type FileState } from '../state/file-state.js';
import { commandString } from './path-schema.js';
import { ownerName } from './name-schema.js';
import { contentDigest } from './content-digest.js';
import type { Change, FileDiff, OpContext, PlanResult, PlannedFile, StreamedSource, WriteSpec } from './operation.js';
import type { StateView } from '../state/query.js';
import { attrScript, checkPath, placeOf, refuseMissingParent } from './safe-path.js';

export const modeSchema = z
  .string()
  .regex(/^0?[0-7]{3,4}$/, 'an octal mode as a quoted string, such as "0644"')
  .describe('Octal permission bits as a string, e.g. "0640"');

/** Ansible's `follow`: a symbolic link at the path is acted on through (its target), when root owns it. */
export const followArg = {
  follow: z
    .boolean()
    .optional()
    .describe(
      'Act on the target when the path is a symbolic link (only a link owned by root, in directories only root may write). Without it, a link at the path fails the task, naming the link, its target and owner.',
    ),
};

/** The most `backdate` takes: a program's wait for a fresh file is a few seconds (Postfix's: 2). */
export const BACKDATE_MAX = 60;

/**
 * `backdate`: programs that re-read a file modified in the last seconds until it settles (Postfix, for
 * main.cf: every postconf, postfix or postmulti waits up to 2 s) read a backdated file at once. The
 * write is atomic (a rename), so the half-written file they guard against cannot occur.
 */
const BACKDATE_RANGE = `a whole number of seconds from 0 to ${BACKDATE_MAX}`;
const backdateSchema = z
  .number()
  .int()
  .min(0, BACKDATE_RANGE)
  .max(BACKDATE_MAX, BACKDATE_RANGE)
  .optional()
  .describe(
    `When the task writes the file's content: its modification time is set this many seconds (0-${BACKDATE_MAX}) before the host's clock, just before it replaces the old file, so a program that waits for a freshly modified file to settle (Postfix re-reads main.cf for up to 2 s; 2 is enough) reads it at once. Not compared by later runs (no change when only the time differs); skipped where the host's touch can set no time.`,
  );

/** Arguments every file-writing operation accepts. */
export const fileAttrs = {
  owner: ownerName.optional().describe('Owner user name'),
  group: ownerName.optional().describe('Owner group name'),
  mode: modeSchema.optional(),
  backup: z.boolean().optional().describe('Keep the replaced file as <path>.<timestamp>~'),
  validate: commandString
    .optional()
    .describe('Command run on the new content before it replaces the file; %s is the temporary file. A failure keeps the old file.'),
  backdate: backdateSchema,
  ...followArg,
};

export function sha256(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

function isText(buf: Buffer): boolean {
  return !buf.includes(0) && Buffer.from(buf.toString('utf8'), 'utf8').equals(buf);
}

/** Changed attributes as "mode 0644 → 0600" lines; empty when all match. */
export function attrChanges(
  want: { owner?: string; group?: string; mode?: string },
  st: FileState,
): string[] {
  const lines: string[] = [];
  if (want.owner && want.owner !== st.owner) lines.push(`owner ${st.owner} → ${want.owner}`);
  if (want.group && want.group !== st.group) lines.push(`group ${st.group} → ${want.group}`);
  if (want.mode && normalizeMode(want.mode) !== st.mode) lines.push(`mode ${st.mode} → ${normalizeMode(want.mode)}`);
  return lines;
}

/** chown/chmod for an existing path, only for what differs, never through a symbolic link (safe-path.ts). */
export function attrCommand(path: string, want: { owner?: string; group?: string; mode?: string }, st: FileState): string {
  const owner = want.owner && want.owner !== st.owner ? want.owner : '';
  const group = want.group && want.group !== st.group ? want.group : '';
  const mode = want.mode && normalizeMode(want.mode) !== st.mode ? normalizeMode(want.mode) : '';
  if (!owner && !group && !mode) return '';
  return attrScript(path, placeOf(path, st), st.type, `${owner}${group ? `:${group}` : ''}`, mode);
}

/** PEM and OpenSSH private keys (and PGP secret key blocks): secret whether or not the plan said so. */
export const PRIVATE_KEY = /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/;

/**
 * Does the wanted content hold a secret value (then its old content may hold the old secret too), or
 * either side a private key (a key copied from files/ is a secret nobody tagged)?
 */
function holdsSecret(secrets: SecretRegistry, content: Buffer, old?: Buffer): boolean {
  const text = content.toString('utf8');
  for (const secret of secrets.values()) if (text.includes(secret)) return true;
  return PRIVATE_KEY.test(text) || (old !== undefined && PRIVATE_KEY.test(old.toString('latin1')));
}

export function diffOf(path: string, st: FileState, content: Buffer, attrs: string[], ctx: OpContext): FileDiff {
  const diff: FileDiff = { path, before: null, after: null, attrs };
  // A secret-bearing file (a password map) shows no content at all: redacting the new value would
  // still print the old one from the host's current file.
  if (ctx.noLog || holdsSecret(ctx.secrets, content, st.content)) return { ...diff, masked: 'secret' };
  if (!isText(content) || (st.content && !isText(st.content))) return { ...diff, masked: 'binary', sha256: { before: st.sha256, after: sha256(content) } };
  if (st.exists && !st.content && (st.size ?? 0) > DIFF_CONTENT_LIMIT) return { ...diff, masked: 'too large' };
  return { ...diff, before: st.exists ? (st.content ?? Buffer.alloc(0)).toString('utf8') : null, after: content.toString('utf8') };
}

/** What a streamed file's diff shows: that it changes, and its hashes (none for a secret). */
function streamedDiff(path: string, st: FileState, source: StreamedSource, attrs: string[], secret: boolean): FileDiff {
  const diff: FileDiff = { path, before: null, after: null, attrs };
  return secret ? { ...diff, masked: 'secret' } : { ...diff, masked: 'large file', sha256: { before: st.sha256, after: source.sha256 } };
}

/** contentDigest for a streamed file: its SHA-256, or for a secret its keyed hash (computed while hashing) when a key was given. */
function streamedDigest(source: StreamedSource, secret: boolean): { sha256?: string; hmac_sha256?: string } {
  if (!secret) return { sha256: source.sha256 };
  return source.hmac_sha256 ? { hmac_sha256: source.hmac_sha256 } : {};
}

/** The wanted content: bytes, or a large controller file streamed at apply time (streamed-source.ts). */
type Body = Buffer | StreamedSource;

/**
 * `view`: the play's state, where an earlier task of a dry run or batch may have made the missing parent
 * directory; undefined where the task makes the parent itself, in a change before the write (pkg_repository).
 */
export function planFileContent(want: Omit<WriteSpec, 'content'> & { content: Body; follow?: boolean }, st: FileState, ctx: OpContext, view: StateView | undefined): PlanResult {
  checkPath(want.path, st, want.follow);
  if (st.exists && st.type !== 'file') {
    throw new Error(`${want.path} exists and is a ${st.type}, not a regular file`);
  }
  const body = want.content;
  const bytes = Buffer.isBuffer(body) ? body : undefined;
  const wantSha = bytes ? sha256(bytes) : (body as StreamedSource).sha256;
  const attrs = st.exists ? attrChanges(want, st) : [];
  const mode = normalizeMode(want.mode ?? st.mode ?? '0644');
  const after: FileState = {
    exists: true,
    type: 'file',
    mode,
    owner: want.owner ?? st.owner ?? 'root',
    group: want.group ?? st.group ?? 'root',
    size: bytes ? bytes.length : (body as StreamedSource).size,
    sha256: wantSha,
    content: bytes,
  };
  const predicts = [{ resource: fileResource(want.path), value: after }];
  const streamed = Buffer.isBuffer(body) ? undefined : body;
  const secret = ctx.noLog || (streamed ? streamed.privateKey || streamed.secretValue === true : holdsSecret(ctx.secrets, body as Buffer));
  const file: PlannedFile = {
    path: want.path,
    ...(streamed ? streamedDigest(streamed, secret) : contentDigest(body as Buffer, secret)),
    mode,
    owner: want.owner ?? (st.exists ? st.owner : undefined),
    group: want.group ?? (st.exists ? st.group : undefined),
  };

  if (st.exists && st.sha256 === wantSha) {
    if (attrs.length === 0) return { changes: [], reason: `${want.path} is up to date`, effects: { predicts } };
    const change: Change = { kind: 'run', description: `${want.path}: ${attrs.join(', ')}`, command: attrCommand(want.path, want, st), file };
    return { changes: [change], effects: { predicts } };
  }
  const shownAttrs = st.exists ? attrs : [`mode ${mode}`];
  const change: Change = {
    kind: 'write',
    description: st.exists ? `update ${want.path}` : `create ${want.path}`,
    write: {
      path: want.path,
      place: placeOf(want.path, st),
      content: bytes ?? Buffer.alloc(0),
      ...(bytes ? {} : { source: body as StreamedSource }),
      owner: want.owner ?? st.owner,
      group: want.group ?? st.group,
      mode,
      backup: want.backup && st.exists,
      validate: want.validate,
      ...(want.backdate ? { backdate: want.backdate } : {}),
    },
    diff: bytes ? diffOf(want.path, st, bytes, shownAttrs, ctx) : streamedDiff(want.path, st, body as StreamedSource, shownAttrs, secret),
    file,
  };
  const planned: PlanResult = { changes: [change], effects: { predicts, creates: st.exists ? undefined : [fileResource(want.path)] } };
  return view ? refuseMissingParent(want.path, st, view, planned) : planned;
}
