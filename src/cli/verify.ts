// `fleetplan verify <plan>`: proof that each relay of the plan still delivers — a probe through each
// host's Postfix to a sink standing in for its smarthost, judged as a receiver would (src/verify/).
// `apply --verify` runs the same after a successful apply (apply.ts).
import { readFileSync } from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import { dnsServerValid } from '../verify/dns-server-option.js';
import { hostLine, summaryLine, verifyExitCode, verifyJson } from '../verify/report.js';
import type { VerifySummary } from '../verify/outcome.js';
import { addInventoryOptions, addPlanOptions, connectOptions, guard, MAX_TIMEOUT_SECONDS, type PlanOpts, useColor, wholeNumber } from './common.js';
import { loadInputs, type Inputs } from './inputs.js';
import { runSecrets } from './run-secrets.js';

export interface VerifyFlags {
  probeTimeout: number;
  dnsServer?: string;
  smarthostTo?: string;
  /** --smtpd-ca: the CA bundle's PEM text (read when the option is parsed). */
  smtpdCa?: string;
}

interface VerifyOpts extends PlanOpts, VerifyFlags {
  json: boolean;
}

function dnsServer(value: string): string {
  if (!dnsServerValid(value)) throw new InvalidArgumentError('Expected an IP address with an optional port: 192.0.2.53, 192.0.2.53:5353 or [2001:db8::53]:53.');
  return value;
}

function recipient(value: string): string {
  if (!/^[^\s@<>"'\\]+@[A-Za-z0-9.-]+$/.test(value)) throw new InvalidArgumentError('Expected an e-mail address: user@example.net.');
  return value;
}

/** A CA bundle, read now: an unreadable file or one with no certificate is a usage error (exit 2). */
function caBundle(file: string): string {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InvalidArgumentError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new InvalidArgumentError(`${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  return pem;
}

/** The options verify and `apply --verify` share. */
export function addVerifyOptions(cmd: Command): Command {
  return cmd
    .option('--probe-timeout <seconds>', 'how long to wait for each probe to reach the sink', wholeNumber(1, MAX_TIMEOUT_SECONDS), 30)
    .option('--dns-server <addr[:port]>', "DNS server the DKIM, SPF and DMARC records are looked up at (default: the system's resolver)", dnsServer)
    .option('--smarthost-to <address>', "send the probe through each relay's real smarthost to this recipient, instead of to verify's sink (only the hand-over is observed)", recipient)
    .option('--smtpd-ca <file>', "also check each relay's own smtpd certificate (STARTTLS on its port 25): chain against this CA bundle (PEM), name against its myhostname, dates", caBundle);
}

/** Options that contradict each other are a usage error (exit 2) before anything is loaded. */
export function checkVerifyOptions(cmd: Command, opts: VerifyFlags): void {
  if (opts.smarthostTo !== undefined && opts.dnsServer !== undefined) cmd.error('error: --dns-server does nothing with --smarthost-to (no DKIM, SPF or DMARC is judged)');
}

/** Runs verify over loaded inputs and prints per host (stream `human`); the summary for JSON and exit code. */
export async function verifyLoaded(inputs: Inputs, opts: PlanOpts & VerifyFlags, human: NodeJS.WritableStream & { isTTY?: boolean }): Promise<VerifySummary> {
  const color = useColor(opts, human);
  // Loaded here, not at startup: the SMTP server and mailauth would cost every command (≈ 0.5 s).
  const { runVerify } = await import('../verify/run.js');
  const summary = await runVerify(
    inputs,
    { limit: opts.limit, forks: opts.forks, timeoutMs: opts.probeTimeout * 1000, dnsServer: opts.dnsServer, smarthostTo: opts.smarthostTo, smtpdCa: opts.smtpdCa, ...connectOptions(opts) },
    (o) => human.write(hostLine(o, color) + '\n'),
  );
  human.write(summaryLine(summary) + '\n');
  return summary;
}

export function registerVerify(program: Command): void {
  const verify = addVerifyOptions(
    addInventoryOptions(
      addPlanOptions(program
        .command('verify')
        .description("send a probe through each relay of the plan to a sink standing in for its smarthost; report delivery, TLS, SASL, DKIM, SPF, DMARC and the queue")
        .argument('<plan>', 'the relay plan (its hosts, and the domain and DKIM selectors its roles give each host)')
        .option('--json', 'print one JSON document with every host and check on stdout', false)),
    ),
  );
  verify.action((planFile: string, opts: VerifyOpts) => {
    checkVerifyOptions(verify, opts);
    return guard(async () => {
      const inputs = loadInputs(planFile, opts, runSecrets);
      const human = opts.json ? process.stderr : process.stdout;
      const summary = await verifyLoaded(inputs, opts, human);
      if (opts.json) process.stdout.write(JSON.stringify(verifyJson(summary), null, 2) + '\n');
      return verifyExitCode(summary);
    });
  });
}
