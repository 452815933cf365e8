// What verify found per host, and of the run: the types the report and the command line share. Kept
// apart from run.ts so that loading them costs nothing: run.ts brings the SMTP server and mailauth,
// which the command line loads only when verify runs (src/cli/verify.ts).
import type { HostVerify } from './host.js';

/** A host verify could not reach, or could not verify at all (no domain, SSH refused to listen). */
export interface HostUnverified {
  host: string;
  unreachable: boolean;
  error: string;
}

export type HostOutcome = HostVerify | HostUnverified;

export const isUnverified = (o: HostOutcome): o is HostUnverified => 'error' in o;

export interface VerifySummary {
  hosts: HostOutcome[];
  ms: number;
}
