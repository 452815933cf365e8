// Ansible-style host patterns: `all` / `*`, group and host names, globs (`web*`), `~regex`,
// unions (`a:b`, `a,b`), intersections (`:&g`) and exclusions (`:!g`). As Ansible, all unions are
// taken first, then intersections, then exclusions; the result keeps inventory order.
import { InputError, type SourcePos } from '../core/errors.js';
import type { Inventory } from './model.js';
import { didYouMean } from './issues.js';

/** Every host of a group, including those of its descendants (cycles were rejected at load). */
export function groupHosts(inventory: Inventory, groupName: string, seen = new Set<string>()): string[] {
  if (groupName === 'all') return [...inventory.hosts.keys()];
  const g = inventory.groups.get(groupName);
  if (!g || seen.has(groupName)) return [];
  seen.add(groupName);
  const out = new Set(g.hosts);
  for (const c of g.children) for (const h of groupHosts(inventory, c, seen)) out.add(h);
  return [...out];
}

function globToRegExp(glob: string): RegExp {
  const re = glob.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`);
}

/** The hosts one term names; `literal` says whether an empty result is an operator's mistake. */
function matchTerm(inventory: Inventory, term: string): { hosts: Set<string>; literal: boolean } {
  if (term === 'all' || term === '*') return { hosts: new Set(inventory.hosts.keys()), literal: false };
  let re: RegExp | undefined;
  if (term.startsWith('~')) re = new RegExp(term.slice(1));
  else if (/[*?[]/.test(term)) re = globToRegExp(term);
  if (!re) {
    if (inventory.groups.has(term)) return { hosts: new Set(groupHosts(inventory, term)), literal: true };
    if (inventory.hosts.has(term)) return { hosts: new Set([term]), literal: true };
    return { hosts: new Set(), literal: true };
  }
  const hosts = new Set<string>();
  for (const g of inventory.groups.keys()) if (re.test(g)) for (const h of groupHosts(inventory, g)) hosts.add(h);
  for (const h of inventory.hosts.keys()) if (re.test(h)) hosts.add(h);
  return { hosts, literal: false };
}

function split(pattern: string): string[] {
  // Colons separate terms, except inside a `~regex` term, which therefore must use commas around it.
  return pattern
    .split(',')
    .flatMap((part) => (part.trim().startsWith('~') ? [part] : part.split(':')))
    .map((t) => t.trim())
    .filter((t) => t !== '');
}

/**
 * The hosts a pattern selects, in inventory order, narrowed by `limit` (another pattern, `--limit`).
 * A literal name that is neither a host nor a group is an error (a glob matching nothing is not).
 */
export function selectHosts(inventory: Inventory, pattern: string, limit?: string, opts: { pos?: SourcePos } = {}): string[] {
  const pick = (pat: string, what: string, pos: SourcePos | undefined): Set<string> => {
    const union = new Set<string>();
    const intersect: Set<string>[] = [];
    const exclude = new Set<string>();
    let anyUnion = false;
    for (const raw of split(pat)) {
      const op = raw[0] === '&' || raw[0] === '!' ? raw[0] : '';
      const term = op ? raw.slice(1).trim() : raw;
      let m: { hosts: Set<string>; literal: boolean };
      try {
        m = matchTerm(inventory, term);
      } catch (err) {
        throw new InputError(`${what} '${pat}': invalid regular expression '${term}': ${(err as Error).message}`, { pos });
      }
      if (m.literal && m.hosts.size === 0) {
        const known = [...inventory.groups.keys(), ...inventory.hosts.keys()];
        throw new InputError(`${what} '${term}' matches no host or group${didYouMean(term, known)}`, { pos });
      }
      if (op === '&') intersect.push(m.hosts);
      else if (op === '!') for (const h of m.hosts) exclude.add(h);
      else {
        anyUnion = true;
        for (const h of m.hosts) union.add(h);
      }
    }
    // A pattern of only exclusions/intersections starts from every host ("!db1").
    const base = anyUnion ? union : new Set(inventory.hosts.keys());
    return new Set([...base].filter((h) => intersect.every((s) => s.has(h)) && !exclude.has(h)));
  };
  const selected = pick(pattern, 'pattern', opts.pos);
  const limited = limit !== undefined && limit !== '' ? pick(limit, '--limit', undefined) : undefined;
  return [...inventory.hosts.keys()].filter((h) => selected.has(h) && (!limited || limited.has(h)));
}
