// A change an operation plans: a command to run or a file to write, with what the report shows of it.
// On the ground floor because backends (follow-ups), the engine (executor, redaction) and the reports
// all speak of changes without needing operations.

export interface FileDiff {
  path: string;
  /** Current content (null: the file does not exist). `binary`/`tooLarge` mark content not shown. */
  before: string | null;
  after: string | null;
  /** Extra lines about attributes: "mode 0644 → 0600", "owner root → postfix". */
  attrs?: string[];
  /** Content is a secret, binary or too large to show: the renderer shows only that it changed. */
  masked?: 'secret' | 'binary' | 'too large' | 'large file';
  /** For binary and large files: the content's SHA-256 on the host (absent: no file) and planned. Never for secrets. */
  sha256?: { before?: string; after: string };
}

/** Where a change acts: the directory (as named and as physically read) and the entry's name in it (ops/safe-path.ts). */
export interface Place {
  dir: { logical: string; physical: string };
  name: string;
  /** A user other than root may write a directory on the way. */
  userWritable: boolean;
}

/**
 * Content too large to travel in a change script (copy of a large file): read from this controller
 * file in chunks and sent over the stdin of an exec of its own (engine/streamed-write.ts).
 */
export interface StreamedSource {
  /** The controller-side file. */
  file: string;
  size: number;
  /** What the host must have received: checked there before the rename. */
  sha256: string;
  /** It holds a private key block (found while hashing): shown as a secret. */
  privateKey: boolean;
  /** It holds a registered secret value (found while hashing): shown as a secret. */
  secretValue?: boolean;
  /** Keyed hash of the content, when the verifier gave a key (ops/content-digest.ts): `--json` shows it for a secret file. */
  hmac_sha256?: string;
}

/** A file to write atomically (temp file in the same directory, final owner/mode first, then rename). */
export interface WriteSpec {
  path: string;
  /** Where the write acts (the link target when followed), as the state read found it (ops/safe-path.ts). */
  place?: Place;
  /** The bytes (empty when `source` is set). */
  content: Buffer;
  /** The bytes come from this controller file, streamed (never in a script, never whole in memory). */
  source?: StreamedSource;
  owner?: string;
  group?: string;
  /** Octal string such as "0640". */
  mode?: string;
  /** Keep the old file as <path>.<timestamp>~ before replacing it. */
  backup?: boolean;
  /** A command run against the temp file (`%s` = temp path) before the rename; failing keeps the old file. */
  validate?: string;
  /** Seconds the new file's mtime is set before the host's clock, just before the rename (engine/backdate.ts). */
  backdate?: number;
}

/**
 * A command a change needs run once more after the play's tasks and handlers — once per host and
 * play however many changes ask for it (systemd's daemon-reload after `enable --no-reload`).
 */
export interface FollowUp {
  command: string;
  description: string;
}

/**
 * What a file holds after a change, as promised by the plan — `--json`'s `files`, which lets anyone
 * check that the run wrote exactly what the dry run showed (docs/usage.md).
 */
export interface PlannedFile {
  path: string;
  /** SHA-256 of the content; absent for secret content (see contentDigest). */
  sha256?: string;
  /** Keyed hash of secret content, only when the verifier gave a key (see contentDigest). */
  hmac_sha256?: string;
  /** Octal, as "0644". */
  mode: string;
  /** Absent: whoever creates the file on the host (the become user, the directory's group on BSD). */
  owner?: string;
  group?: string;
}

export type Change =
  /**
   * `diff`: a run that changes a file elsewhere than on the host (fetch's controller copy), or content
   * that is no file of its own to write (a user's crontab through crontab(1)), shows it.
   */
  | { kind: 'run'; description: string; command: string; followUp?: FollowUp; file?: PlannedFile; diff?: FileDiff }
  | { kind: 'write'; description: string; write: WriteSpec; diff?: FileDiff; file?: PlannedFile };
