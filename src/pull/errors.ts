// What can stop `fleetplan pull` before the plan runs, each with the exit code it ends with (the same
// table as apply's, docs/usage.md "Exit codes"): the bundle's source unreachable is 3, a bundle refused
// (digest or signature not matching, an unsafe archive, a bad URL) is 4 — nothing was applied either way.
import { ExitCode, FleetplanError } from '../core/errors.js';

export class PullError extends FleetplanError {
  constructor(
    message: string,
    readonly exitCode: number,
    opts: { cause?: unknown } = {},
  ) {
    super(message, opts);
  }
}

/** The source (HTTPS server, git remote) could not be reached or would not serve the bundle. */
export const unreachable = (message: string, cause?: unknown) => new PullError(message, ExitCode.unreachable, { cause });

/** The bundle, its digest or its signature is refused: nothing is unpacked, nothing applied. */
export const refused = (message: string) => new PullError(message, ExitCode.invalidInput);

/** This machine cannot do the pull (another one holds the lock, a directory is unsafe): nothing applied. */
export const localFailure = (message: string, cause?: unknown) => new PullError(message, ExitCode.hostFailed, { cause });
