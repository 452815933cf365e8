// Sends one RFC 2136 update signed with TSIG through BIND's `nsupdate` (Debian: bind9-dnsutils). No
// npm library signs TSIG (dns-packet, dns2 and native-dns encode messages but none has the TSIG
// record or its MAC), and the project writes no DNS wire format or crypto by hand. The whole script,
// key included, goes on nsupdate's stdin: the secret is in no argument list and no file.
import { spawn } from 'node:child_process';
import type { SecretRegistry } from '../core/secret.js';
import type { UpdateTarget } from './dns-update.js';
import { DnsServerError } from './published.js';

const TIMEOUT_S = 10;

/** nsupdate's words for a failed update, and what they mean to the operator. */
const CAUSES: [RegExp, string, boolean][] = [
  [/NOTAUTH\((BADSIG|BADKEY|BADTIME)\)/, 'the server rejected the TSIG key (NOTAUTH/$1): check key_name, key_algorithm and key_secret', false],
  [/update failed: NOTAUTH\b/, 'the server is not authoritative for the zone (NOTAUTH): zone not found there', false],
  [/update failed: NOTZONE\b/, 'a record is outside the zone (NOTZONE)', false],
  [/update failed: REFUSED\b/, 'the server refused the update (REFUSED): the key may not update this zone', false],
  [/update failed: (NXRRSET|YXRRSET)\b/, 'the records changed since they were read ($1): run the publish again', false],
  [/update failed: SERVFAIL\b/, 'the server failed (SERVFAIL)', false],
  [/Communication with \S+ failed: ([^\n]+)/, 'the server did not answer ($1)', true],
  [/(?:couldn't get address|timed out)[^\n]*/, 'the server did not answer ($&)', true],
];

/** Runs one update; resolves when the server applied it, else throws a DnsServerError saying why. */
export function nsupdate(t: UpdateTarget, address: string, commands: string[], secrets: SecretRegistry): Promise<void> {
  const where = `DNS server ${t.server}#${t.port}, zone ${t.zone}`;
  const script = [`server ${address} ${t.port}`, `zone ${t.zone}.`, `key ${t.keyAlgorithm}:${t.keyName} ${String(t.keySecret)}`, ...commands, 'send', ''].join('\n');
  return new Promise((resolve, reject) => {
    // -v: TCP, so a closed port fails at once and a large update is never truncated.
    const child = spawn('nsupdate', ['-v', '-t', String(TIMEOUT_S)], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    child.stdin.on('error', () => undefined); // nsupdate gone early: its exit says why
    child.on('error', (err: NodeJS.ErrnoException) =>
      reject(new DnsServerError(err.code === 'ENOENT' ? `${where}: nsupdate not found: install it (Debian/Ubuntu: bind9-dnsutils; RHEL: bind-utils; FreeBSD: bind-tools)` : `${where}: nsupdate: ${err.message}`, false)),
    );
    child.on('close', (code) => {
      if (code === 0) return resolve();
      const text = secrets.redact(output);
      const hit = CAUSES.map(([re, msg, unreachable]) => ({ m: re.exec(text), msg, unreachable })).find((c) => c.m);
      const cause = hit ? hit.msg.replace(/\$(\d|&)/g, (_, i) => (i === '&' ? hit.m![0] : hit.m![Number(i)] ?? '')) : `nsupdate exited ${code}: ${text.trim().split('\n').slice(-3).join('; ')}`;
      reject(new DnsServerError(`${where}: ${cause}`, hit?.unreachable ?? false));
    });
    child.stdin.end(script);
  });
}
