// The records of one domain fleetplan owns, what is wanted under them, and the RFC 2136 update that
// makes the published ones the wanted ones.
//
// Ownership (what a publish may change or remove, and nothing else):
// - at the domain itself, only the TXT records that are SPF (`v=spf1 ...`): other TXT records there
//   (site verifications, ...) are never touched;
// - the whole TXT set at `_dmarc.<domain>`;
// - the whole TXT set at `<selector>._domainkey.<domain>` for each selector fleetplan publishes, and
//   for each it published before: those are listed in fleetplan's own record, TXT at
//   `_fleetplan.<domain>` ("v=fleetplan1; dkim=<selector> ..."), so a selector no host signs with any
//   more is removed, while keys published by anyone else under other selectors stay.
import { quoteTxt, txtStrings } from './records.js';
import type { TxtRecord, ZoneReader } from './published.js';
import { isDnsName } from './dns-update.js';

export interface WantedDomain {
  domain: string;
  /** The SPF value, when a play gives the domain's policy. */
  spf?: string;
  dmarc?: string;
  /** selector → the DKIM TXT value. */
  dkim: Map<string, string>;
}

/** One owned name: what it holds now and what the update removes and adds. */
export interface NameChange {
  name: string;
  /** Every TXT record at the name as read (the update's prerequisite: still exactly these). */
  have: TxtRecord[];
  remove: TxtRecord[];
  add: string[];
}

export const OWNER_LABEL = '_fleetplan';
const isSpf = (value: string) => /^v=spf1(\s|$)/i.test(value);
const joined = (r: TxtRecord) => r.join('');
const SELECTOR = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/i;

/** The selectors fleetplan's own record lists (only names it may write: anything else is ignored). */
export function ownedSelectors(records: TxtRecord[]): string[] {
  const value = records.map(joined).find((v) => v.startsWith('v=fleetplan1'));
  const m = value && /(?:^|;)\s*dkim=([^;]*)/.exec(value);
  return m ? m[1]!.split(/\s+/).filter((s) => SELECTOR.test(s)) : [];
}

export function ownerValue(selectors: string[]): string {
  return `v=fleetplan1; dkim=${[...selectors].sort().join(' ')}`;
}

/** The change at one name: keep what is wanted, remove the rest of what `owned` says is fleetplan's. */
function change(name: string, have: TxtRecord[], wanted: string[], owned: (v: string) => boolean): NameChange {
  const mine = have.filter((r) => owned(joined(r)));
  return {
    name,
    have,
    remove: mine.filter((r, i) => !wanted.includes(joined(r)) || mine.findIndex((o) => joined(o) === joined(r)) !== i),
    add: wanted.filter((w) => !mine.some((r) => joined(r) === w)),
  };
}

/** Reads the owned names of `w.domain` and returns the changes (names with nothing to change left out). */
export async function domainChanges(w: WantedDomain, read: ZoneReader): Promise<NameChange[]> {
  const d = w.domain.replace(/\.$/, '');
  if (!isDnsName(d)) throw new Error(`the mail domain ${JSON.stringify(d)} is not a DNS name`);
  const ownerName = `${OWNER_LABEL}.${d}.`;
  const ownerHave = await read.txt(ownerName);
  const before = ownedSelectors(ownerHave);
  const selectors = [...new Set([...w.dkim.keys(), ...before])].sort();
  for (const s of w.dkim.keys()) if (!SELECTOR.test(s) || !isDnsName(`${s}._domainkey.${d}`)) throw new Error(`DKIM selector ${JSON.stringify(s)} of ${d} is not a DNS label`);
  const changes: NameChange[] = [];
  if (w.spf !== undefined) changes.push(change(`${d}.`, await read.txt(`${d}.`), [w.spf], isSpf));
  if (w.dmarc !== undefined) changes.push(change(`_dmarc.${d}.`, await read.txt(`_dmarc.${d}.`), [w.dmarc], () => true));
  for (const s of selectors) {
    const name = `${s}._domainkey.${d}.`;
    const value = w.dkim.get(s);
    changes.push(change(name, await read.txt(name), value === undefined ? [] : [value], () => true));
  }
  const wantedOwner = w.dkim.size ? [ownerValue([...w.dkim.keys()])] : [];
  changes.push(change(ownerName, ownerHave, wantedOwner, (v) => v.startsWith('v=fleetplan1')));
  return changes.filter((c) => c.remove.length || c.add.length);
}

const rdata = (strings: string[]) => strings.map((s) => quoteTxt(Buffer.from(s, 'utf8'))).join(' ');
const rdataOf = (value: string) => txtStrings(value).map(quoteTxt).join(' ');

/**
 * The nsupdate commands of one update (after `server`, `zone` and `key`): each changed name must still
 * hold exactly what was read (prerequisites, RFC 2136 2.4.2/2.4.3), so a concurrent change makes the
 * server refuse the whole update instead of fleetplan overwriting what it did not see.
 */
export function updateCommands(changes: NameChange[], ttl: number): string[] {
  const out: string[] = [];
  for (const c of changes) {
    if (c.have.length === 0) out.push(`prereq nxrrset ${c.name} TXT`);
    for (const r of c.have) out.push(`prereq yxrrset ${c.name} TXT ${rdata(r)}`);
  }
  for (const c of changes) {
    for (const r of c.remove) out.push(`update delete ${c.name} TXT ${rdata(r)}`);
    for (const v of c.add) out.push(`update add ${c.name} ${ttl} IN TXT ${rdataOf(v)}`);
  }
  return out;
}

/** The diff lines a person reads: `-` a record removed, `+` one added. */
export function diffLines(changes: NameChange[], ttl: number): string[] {
  return changes.flatMap((c) => [
    ...c.remove.map((r) => `- ${c.name} IN TXT ${rdata(r)}`),
    ...c.add.map((v) => `+ ${c.name} ${ttl} IN TXT ${rdataOf(v)}`),
  ]);
}
