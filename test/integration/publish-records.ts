// Publishes TXT records to a test BIND9 (test/fleet/dns-server.ts) by a TSIG-signed dynamic update
// with Debian's nsupdate, as an operator's DNS provider would hold them — so checks that resolve
// DKIM, SPF and DMARC go through a real DNS server. The key reaches nsupdate in a key file (0600),
// never on its command line.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DnsServer } from '../fleet/dns-server.js';
import { runProcess } from '../run-process.js';

/** Each name's TXT records are replaced by the given value (split into ≤255-byte strings). */
export async function publishTxt(dns: DnsServer, zone: string, records: Record<string, string>): Promise<void> {
  const keyFile = path.join(dns.dir, 'nsupdate.key');
  writeFileSync(keyFile, `key "${dns.tsig.name}" {\n  algorithm ${dns.tsig.algorithm};\n  secret "${dns.tsig.secret}";\n};\n`, { mode: 0o600 });
  const lines = [`server ${dns.address} ${dns.port}`, `zone ${zone}`];
  for (const [name, value] of Object.entries(records)) {
    const strings = (value.match(/.{1,255}/g) ?? ['']).map((s) => `"${s.replace(/(["\\])/g, '\\$1')}"`).join(' ');
    lines.push(`update delete ${name}. TXT`, `update add ${name}. 60 TXT ${strings}`);
  }
  lines.push('send', '');
  const r = await runProcess('nsupdate', ['-k', keyFile], { input: lines.join('\n'), timeoutMs: 20_000 });
  if (r.code !== 0) throw new Error(`nsupdate failed (${r.code}): ${r.stderr}${r.stdout}`);
}
