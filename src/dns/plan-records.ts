// What a host's plays say `fleetplan dns` must print: the DKIM keys to read from the host and each
// domain's SPF and DMARC policy. The variables come from the roles' declared outputs (meta.yml
// `dns_records:`, e.g. opendkim's dkim_keys and key directory, postfix_relay's relay host and DMARC
// policy), not from names known here; a field a role does not name is read from the variable of the
// field's own name, and with no role declaring relay fields, from the play's variables.
import type { DnsRecordField, Play, RoleRef, Vars } from '../load/model.js';
import { evaluateWhen } from '../load/when.js';
import type { SecretRegistry } from '../core/secret.js';
import { spfForHost, spfForRelay, SPF_ALL, type DomainPolicy } from './records.js';
import { InputError } from '../core/errors.js';
import { isDnsName } from './dns-update.js';

export interface DkimEntry {
  domain: string;
  selector: string;
  /** Key rotation (roles/opendkim): the key made and published before signing switches to it. */
  next_selector?: string;
  /** Key rotation: the key signing before; published until the host retires it (removes it from disk). */
  previous_selector?: string;
}

/** A DKIM key a play makes on the host: where its public half is. */
export interface WantedKey {
  entry: DkimEntry;
  txtPath: string;
  /**
   * Absent for the key that signs. `next`: published ahead of the switch (missing = not applied yet,
   * as for the signing key); `previous`: kept until retired — once gone from the host, its record is stale.
   */
  rotation?: 'next' | 'previous';
}

/** A play's `dns_update` variable (where `fleetplan dns --publish` sends a domain's records), unchecked. */
export interface PublishSetting {
  domain: string;
  value: unknown;
}

export interface HostRecords {
  keys: WantedKey[];
  /** The `dns_update` of each domain whose records the host's plays give (dns-update.ts checks it). */
  publish: PublishSetting[];
  /** Whether reading the keys needs become (a play making them runs with become). */
  become: boolean;
}

const RELAY_FIELDS: DnsRecordField[] = ['mail_domain', 'relay_host', 'spf_include', 'spf_all', 'spf_hosts_group', 'dmarc_policy', 'dmarc_rua'];

const str = (v: unknown) => (v === undefined || v === null ? '' : String(v));

/** A role's (or the play's) variables, read by record field. */
function fieldReader(scope: Vars, ref: RoleRef | undefined) {
  return (field: DnsRecordField): unknown => scope[ref?.role.dnsRecords?.[field] ?? field];
}

/**
 * The keys to read and, merged into `policies`, the domains' policies, for the plays a host runs.
 * `scope` is the host's variables (engine/host-scope.ts); `secrets` the run's registry.
 */
export function hostRecords(plays: readonly Play[], scope: (play: Play, ref?: RoleRef) => Vars, policies: Map<string, DomainPolicy>, secrets: SecretRegistry): HostRecords {
  const out: HostRecords = { keys: [], publish: [], become: false };
  for (const play of plays) {
    if (play.when !== undefined && !evaluateWhen(play.when, scope(play), secrets)) continue;
    // The first role declaring DKIM keys, and the first declaring relay fields (as `roles:` lists them).
    const dkimRef = play.roles.find((r) => r.role.dnsRecords?.dkim_keys !== undefined);
    const relayRef = play.roles.find((r) => RELAY_FIELDS.some((f) => r.role.dnsRecords?.[f] !== undefined));
    const relayScope = scope(play, relayRef);
    const relay = fieldReader(relayScope, relayRef);
    const dkim = dkimRef && fieldReader(scope(play, dkimRef), dkimRef);
    const entries = dkim && dkim('dkim_enabled') !== false ? ((dkim('dkim_keys') ?? []) as DkimEntry[]) : [];
    for (const entry of entries) out.keys.push(...rotationKeys(entry, str(dkim!('dkim_key_dir'))));
    if (entries.length) out.become ||= Boolean(play.become);
    for (const domain of new Set([str(relay('mail_domain')), ...entries.map((e) => e.domain)].filter(Boolean))) {
      const p = policies.get(domain) ?? { domain, spf: [], dmarc: '' };
      if (relay('relay_host')) p.spf.push(...spfForRelay(str(relay('relay_host')), str(relay('spf_include')) || undefined));
      p.spf.push(...hostsGroupTerms(relayScope, str(relay('spf_hosts_group'))));
      const all = spfAll(str(relay('spf_all')) || undefined, p.spfAll, domain);
      if (all !== undefined) p.spfAll = all;
      if (relayScope.dns_update !== undefined) out.publish.push({ domain, value: relayScope.dns_update });
      const rua = str(relay('dmarc_rua')) || `mailto:postmaster@${domain}`;
      p.dmarc = `v=DMARC1; p=${str(relay('dmarc_policy')) || 'none'}; rua=${rua}`;
      policies.set(domain, p);
    }
  }
  return out;
}

// A selector becomes a DNS name and a file name on the host: one DNS label, nothing else.
const SELECTOR = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/i;

/** The keys of one dkim_keys entry: the one signing, and the next and previous of a rotation when set. */
function rotationKeys(entry: DkimEntry, dir: string): WantedKey[] {
  const domain = str(entry.domain);
  if (!isDnsName(domain) || domain.endsWith('.')) throw new InputError(`dkim_keys: the domain ${JSON.stringify(domain)} is not a DNS name`);
  const keys: WantedKey[] = [];
  const add = (field: 'selector' | 'next_selector' | 'previous_selector', rotation?: WantedKey['rotation']) => {
    const selector = str(entry[field]);
    if ((selector === '' && field !== 'selector') || keys.some((k) => k.entry.selector === selector)) return;
    if (!SELECTOR.test(selector)) throw new InputError(`dkim_keys: ${field} ${JSON.stringify(selector)} of ${domain} is not a DNS label (letters, digits, '-', '_'; at most 63)`);
    keys.push({ entry: { domain, selector }, txtPath: `${dir}/${domain}/${selector}.txt`, ...(rotation && { rotation }) });
  };
  add('selector');
  add('next_selector', 'next');
  add('previous_selector', 'previous');
  return keys;
}

/** The all term a play sets for a domain: one the SPF grammar knows, the same on every host. */
function spfAll(value: string | undefined, before: string | undefined, domain: string): string | undefined {
  if (value === undefined) return before;
  if (!SPF_ALL.test(value)) throw new InputError(`spf_all: ${JSON.stringify(value)} is not an SPF all term (-all, ~all, ?all or +all)`);
  if (before !== undefined && before !== value) throw new InputError(`spf_all: the plays give ${domain} both ${before} and ${value}; one SPF record has one all term`);
  return value;
}

/** SPF terms for the hosts of `group`, each by its inventory address (ssh_host, else ansible_host, else its name). */
function hostsGroupTerms(scope: Vars, group: string): string[] {
  if (!group) return [];
  const hosts = (scope.groups as Record<string, string[]> | undefined)?.[group];
  if (!hosts) throw new InputError(`spf_hosts_group: the inventory has no group ${JSON.stringify(group)}`);
  const hostvars = scope.hostvars as Record<string, Vars>;
  return hosts.map((h) => {
    const v = hostvars[h]!;
    return spfForHost(str(v.ssh_host ?? v.ansible_host ?? h));
  });
}
