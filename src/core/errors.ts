// A small error hierarchy: each kind maps to one exit code and carries where it came from.

/** A position in an input file, 1-based. */
export interface SourcePos {
  file: string;
  line?: number;
  col?: number;
}

export function formatPos(pos: SourcePos | undefined): string {
  if (!pos) return '';
  if (pos.line === undefined) return pos.file;
  return `${pos.file}:${pos.line}${pos.col !== undefined ? `:${pos.col}` : ''}`;
}

/** Base class: every fleetplan error says where (host, task, file) and what. */
export class FleetplanError extends Error {
  readonly pos?: SourcePos;
  readonly host?: string;
  readonly task?: string;
  constructor(message: string, opts: { pos?: SourcePos; host?: string; task?: string; cause?: unknown } = {}) {
    super(message, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.name = new.target.name;
    this.pos = opts.pos;
    this.host = opts.host;
    this.task = opts.task;
  }

  /** "file:line:col: message" or "host web1, task 'x': message". */
  describe(): string {
    const where: string[] = [];
    if (this.pos) where.push(formatPos(this.pos));
    if (this.host) where.push(`host ${this.host}`);
    if (this.task) where.push(`task '${this.task}'`);
    return where.length ? `${where.join(', ')}: ${this.message}` : this.message;
  }
}

/** Malformed plan, inventory, role, template or variables. Detected before any host is contacted. */
export class InputError extends FleetplanError {}

/** Several input errors found in one validation pass; reported together. */
export class InputErrors extends FleetplanError {
  readonly errors: InputError[];
  constructor(errors: InputError[]) {
    super(errors.map((e) => e.describe()).join('\n'));
    this.errors = errors;
  }
  override describe(): string {
    return this.message;
  }
}

/** Could not reach or authenticate to a host, or the connection dropped. */
export class ConnectError extends FleetplanError {}

/** A fact could not be gathered or parsed. */
export class FactError extends FleetplanError {}

/** An operation failed on the host (or could not be planned). */
export class OperationError extends FleetplanError {}

/** Documented exit codes (docs/usage.md "Exit codes"). */
export const ExitCode = {
  ok: 0,
  /** The command line is wrong (unknown option, bad number, missing argument): nothing was loaded. */
  usage: 2,
  /** One or more hosts failed a task. */
  hostFailed: 2,
  /** One or more hosts were unreachable (and none failed a task). */
  unreachable: 3,
  /** Invalid input: nothing was contacted. */
  invalidInput: 4,
  /** --check --detailed-exitcode: the run succeeded and changes are pending. */
  changesPending: 5,
  /** A bug or an unexpected condition in fleetplan itself. */
  internal: 70,
  /** Stopped by SIGINT (Ctrl-C): 128 + 2, as a shell reports it. */
  interrupted: 130,
  /** Stopped by SIGTERM: 128 + 15. */
  terminated: 143,
} as const;
