// What `fleetplan verify` prints: one line per host with every check (console), or one JSON document
// (--json); and the exit code, by apply's rules (docs/usage.md "Exit codes").
import pc from 'picocolors';
import { ExitCode } from '../core/errors.js';
import { visible } from '../report/visible.js';
import type { HostVerify } from './host.js';
import { isUnverified, type HostOutcome, type VerifySummary } from './outcome.js';
import type { SmtpdCertificate } from './smtpd-cert.js';

export interface VerifyCounts {
  hosts: number;
  passed: number;
  failed: number;
  unreachable: number;
}

export function counts(s: VerifySummary): VerifyCounts {
  const unreachable = s.hosts.filter((h) => isUnverified(h) && h.unreachable).length;
  const passed = s.hosts.filter((h) => !isUnverified(h) && h.problems.length === 0).length;
  return { hosts: s.hosts.length, passed, failed: s.hosts.length - passed - unreachable, unreachable };
}

export function verifyExitCode(s: VerifySummary): number {
  const c = counts(s);
  if (c.failed) return ExitCode.hostFailed;
  if (c.unreachable) return ExitCode.unreachable;
  return ExitCode.ok;
}

function smtpdCertificateText(c: SmtpdCertificate): string {
  if (!c.ok) return `smtpd certificate NOT OK for ${c.name}`;
  return `smtpd certificate OK (${c.subject ?? c.name}, issuer ${c.issuer ?? 'unnamed'}, ${c.daysLeft} days left)`;
}

function checks(h: HostVerify): string[] {
  if (h.mode === 'smarthost') {
    const handed = h.delivered ? `handed to the smarthost in ${h.seconds} s` : 'NOT handed to the smarthost';
    return [handed, 'TLS, SASL, DKIM, SPF, DMARC not observed (--smarthost-to)', h.queue.empty ? 'queue empty' : 'queue NOT empty'];
  }
  const a = h.auth;
  const dkim = a ? `DKIM ${a.dkim.result}${a.dkim.selector ? ` (s=${a.dkim.selector}, d=${a.dkim.domain})` : ''}` : undefined;
  return [
    h.delivered ? `delivered in ${h.seconds} s` : 'NOT delivered',
    h.tls ? `${h.tls.version ?? 'no TLS'}, certificate ${h.tls.certificate}` : undefined,
    h.smtpdCertificate ? smtpdCertificateText(h.smtpdCertificate) : undefined,
    h.delivered ? `SASL ${h.sasl ?? 'none'}` : undefined,
    dkim,
    a ? `SPF ${a.spf.result}` : undefined,
    a ? `DMARC ${a.dmarc.result}` : undefined,
    h.queue.empty ? 'queue empty' : 'queue NOT empty',
  ].filter((x): x is string => x !== undefined);
}

/** One console line per host: its verdict, every check, and what failed. */
export function hostLine(o: HostOutcome, color = false): string {
  const c = pc.createColors(color);
  const name = o.host.padEnd(16);
  if (isUnverified(o)) return visible(`${name}${o.unreachable ? c.yellow('UNREACHABLE') : c.red('FAIL')}  ${o.error}`);
  const verdict = o.problems.length ? c.red('FAIL') : c.green('ok  ');
  const why = o.problems.length ? ` — ${o.problems.join('; ')}` : '';
  return visible(`${name}${verdict}  ${checks(o).join(' · ')}${why}`);
}

export function summaryLine(s: VerifySummary): string {
  const c = counts(s);
  return `verify: ${c.hosts} host(s): ${c.passed} passed, ${c.failed} failed, ${c.unreachable} unreachable (${(s.ms / 1000).toFixed(1)} s)`;
}

/** The --json document: hosts keyed by name, in the order the plan targets them. */
export function verifyJson(s: VerifySummary): object {
  const hosts = Object.fromEntries(
    s.hosts.map((o) => {
      if (isUnverified(o)) return [o.host, { passed: false, unreachable: o.unreachable, error: o.error }];
      const { host: _host, ...rest } = o;
      return [o.host, { passed: o.problems.length === 0, unreachable: false, ...rest }];
    }),
  );
  return { hosts, summary: { ...counts(s), ms: s.ms } };
}
