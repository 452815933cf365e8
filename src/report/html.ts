// --report <file>: one self-contained HTML page of the run (src/report/html-page.ts), written once,
// atomically, when the run ends — failed and unreachable hosts included — or, if the run stops
// before its end, with what was recorded and why it stopped.
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { RunEvent } from '../engine/events.js';
import { FleetplanError, InputError, InputErrors } from '../core/errors.js';
import type { SecretRegistry } from '../core/secret.js';
import { shQuote } from '../core/quote.js';
import { writeAtomic } from '../core/write-atomic.js';
import { renderReport } from './html-page.js';
import type { Reporter } from './reporter.js';
import { RunRecorder } from './run-record.js';
import type { ValuesOf } from './group.js';
import { signalName } from '../engine/interrupt.js';

export interface HtmlReportOptions {
  file: string;
  /** The plan file as given on the command line. */
  plan: string;
  /** The words of the command line (redacted when the page is written, once every secret is known). */
  argv: string[];
  version: string;
  /** A dry run was asked for: the page says so even when the run never started (invalid input). */
  check?: boolean;
  /** The run's secret values (complete only at the end: the page is redacted when written). */
  secrets: SecretRegistry;
  /** A host's own values for the "Changes" section (default: its name and facts). */
  valuesOf?: ValuesOf;
}

/** The report could not be written (disk full, directory removed during the run). */
export class ReportError extends FleetplanError {}

/**
 * Fails before any host is contacted when the report could not be written at the end: its
 * directory missing or read-only, or the path a directory.
 */
export function checkReportPath(file: string): void {
  const dir = path.dirname(path.resolve(file));
  const where = { pos: { file } };
  if (!existsSync(dir)) throw new InputError(`--report: directory ${dir} does not exist`, where);
  if (existsSync(file) && statSync(file).isDirectory()) throw new InputError('--report: is a directory', where);
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new InputError(`--report: directory ${dir} is not writable`, where);
  }
}

function stopReason(err: unknown): string {
  if (err instanceof InputErrors) return `invalid input, no host was contacted:\n${err.errors.map((e) => e.describe()).join('\n')}`;
  if (err instanceof InputError) return `invalid input, no host was contacted:\n${err.describe()}`;
  if (err instanceof FleetplanError) return err.describe();
  return `internal error: ${err instanceof Error ? err.message : String(err)}`;
}

export class HtmlReporter implements Reporter {
  private readonly recorder = new RunRecorder();
  private written = false;
  private valuesOf?: ValuesOf;

  /** Checks the report's path first (an input error: no host contacted). */
  constructor(private readonly opts: HtmlReportOptions) {
    checkReportPath(opts.file);
    this.recorder.record.check = opts.check ?? false;
  }

  handle(e: RunEvent): void {
    this.recorder.handle(e);
    if (e.type === 'run-end') this.write(e.summary.interrupted && `interrupted by ${signalName(e.summary.interrupted)}: no new host or task was started after it`);
  }

  /** A host's own values for the "Changes" section, known once the inputs are loaded. */
  setValues(valuesOf: ValuesOf): void {
    this.valuesOf = valuesOf;
  }

  /**
   * The run stopped before its end (invalid input, internal error): write what is known, and why.
   * Returns the write's own failure instead of throwing it, so the error that stopped the run wins.
   */
  stopped(err: unknown): ReportError | undefined {
    if (this.written) return undefined;
    try {
      this.write(stopReason(err));
      return undefined;
    } catch (writeErr) {
      return writeErr as ReportError;
    }
  }

  private write(stopped?: string): void {
    this.written = true;
    const page = renderReport(this.recorder.record, {
      plan: this.opts.plan,
      // Redacted word by word, before quoting could split a secret.
      commandLine: this.opts.argv.map((w) => shQuote(this.opts.secrets.redact(w))).join(' '),
      version: this.opts.version,
      writtenAt: new Date(),
      stopped: stopped === undefined ? undefined : this.opts.secrets.redact(stopped),
      valuesOf: this.valuesOf ?? this.opts.valuesOf,
    });
    try {
      // For attaching to a ticket: readable by others, unlike a vault file.
      writeAtomic(this.opts.file, page, undefined, 0o644);
    } catch (err) {
      throw new ReportError(`cannot write the report: ${(err as Error).message}`, { pos: { file: this.opts.file }, cause: err });
    }
  }
}
