// Ansible-style host patterns: `all` / `*`, group and host names, globs (`web*`), `~regex`,
// subscripts (`g[0]`, `g[0:2]`), unions (`a:b`, `a,b`), intersections (`:&g`) and exclusions
// (`:!g`). As Ansible, all unions are taken first, then intersections, then exclusions; the result
// keeps inventory order.
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

/**
 * Ansible's subscripts: `group[0]`, `group[-1]`, `group[1:]`, `group[:2]`, `group[0:2]` — the hosts of
 * the term before the brackets, in inventory order, by position; a range includes both ends
 * (ansible-core's `_apply_subscript`). A bracket holding anything else (`relay[12a]`, `relay[1-2]`) is
 * a glob character class; a regex term (`~…`) is never subscripted.
 */
const SUBSCRIPT = /^(.+)\[(?:(-?\d+)|(-?\d+)?:(-?\d*))\]$/;

interface TermMatch {
  hosts: Set<string>;
}

/** The hosts one term names. A term that names nothing is an operator's mistake: an error, with the closest names. */
function matchTerm(inventory: Inventory, term: string, what: string): TermMatch {
  const sub = term.startsWith('~') ? null : SUBSCRIPT.exec(term);
  if (sub) return subscripted(inventory, term, sub, what);
  if (term === 'all' || term === '*') return { hosts: new Set(inventory.hosts.keys()) };
  let re: RegExp | undefined;
  if (term.startsWith('~')) {
    try {
      re = new RegExp(term.slice(1));
    } catch (err) {
      throw new InputError(`${what}: invalid regular expression '${term}': ${(err as Error).message}`);
    }
  } else if (/[*?[]/.test(term)) re = globToRegExp(term);
  const hosts = new Set<string>();
  if (!re) {
    if (inventory.groups.has(term)) for (const h of groupHosts(inventory, term)) hosts.add(h);
    else if (inventory.hosts.has(term)) hosts.add(term);
  } else {
    for (const g of inventory.groups.keys()) if (re.test(g)) for (const h of groupHosts(inventory, g)) hosts.add(h);
    for (const h of inventory.hosts.keys()) if (re.test(h)) hosts.add(h);
  }
  if (hosts.size === 0) {
    const known = [...inventory.groups.keys(), ...inventory.hosts.keys()];
    if (!re) throw new InputError(`${what} '${term}' matches no host or group${didYouMean(term, known)}`);
    const kind = term.startsWith('~') ? 'regular expression' : 'glob';
    throw new InputError(`${what} '${term}' selects no host: no host or group name matches this ${kind}${didYouMean(term.replace(/[~*?[\]^$\\]/g, ''), known)}`);
  }
  return { hosts };
}

function subscripted(inventory: Inventory, term: string, m: RegExpExecArray, what: string): TermMatch {
  let base: TermMatch;
  try {
    base = matchTerm(inventory, m[1]!, what);
  } catch (err) {
    // `relay[12]` meant as a character class: say how Ansible reads it, and how to write the class.
    if (!(err instanceof InputError) || m[2] === undefined || !/^\d\d+$/.test(m[2])) throw err;
    const cls = `${m[1]}[${m[2][0]}-${m[2].slice(-1)}]`;
    throw new InputError(`${err.message}; as in Ansible, [${m[2]}] is a position (the ${m[2]}th host of '${m[1]}'): for a character class write ${cls} or ~regex`);
  }
  const ordered = [...inventory.hosts.keys()].filter((h) => base.hosts.has(h));
  const at = (s: string) => {
    const n = Number(s);
    return n < 0 ? ordered.length + n : n;
  };
  const [from, to] = m[2] !== undefined ? [at(m[2]), at(m[2])] : [at(m[3] || '0'), m[4] ? at(m[4]) : ordered.length - 1];
  const picked = ordered.slice(Math.max(0, from), to + 1);
  if (from >= ordered.length || from < 0 || picked.length === 0) {
    throw new InputError(`${what} '${term}' selects no host: '${m[1]}' has ${ordered.length} host(s), positions 0 to ${ordered.length - 1} (or -1 to -${ordered.length} from the end); a range includes both ends`);
  }
  return { hosts: new Set(picked) };
}

/** Terms are separated by commas and colons, except inside brackets and in a `~regex` term (which takes commas only). */
function split(pattern: string): string[] {
  const out: string[] = [];
  for (const part of pattern.split(',')) {
    if (part.trim().startsWith('~')) {
      out.push(part);
      continue;
    }
    let depth = 0;
    let cur = '';
    for (const ch of part) {
      if (ch === '[') depth++;
      else if (ch === ']') depth = Math.max(0, depth - 1);
      if (ch === ':' && depth === 0) {
        out.push(cur);
        cur = '';
      } else cur += ch;
    }
    out.push(cur);
  }
  return out.map((t) => t.trim()).filter((t) => t !== '');
}

/**
 * The hosts a pattern selects, in inventory order, narrowed by `limit` (another pattern, `--limit`).
 * No silent no-op: a term that matches nothing (a name, a glob, a regex, a subscript out of range) and
 * a pattern that, all terms taken, selects no host are errors naming the closest names.
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
      let m: TermMatch;
      try {
        m = matchTerm(inventory, term, what);
      } catch (err) {
        if (err instanceof InputError && !err.pos && pos) throw new InputError(err.message, { pos });
        throw err;
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
    const picked = new Set([...base].filter((h) => intersect.every((s) => s.has(h)) && !exclude.has(h)));
    if (picked.size === 0 && inventory.hosts.size > 0) throw new InputError(`${what} '${pat}' selects no host (each term matches some, but the intersections and exclusions leave none)`, { pos });
    return picked;
  };
  const selected = pick(pattern, 'pattern', opts.pos);
  const limited = limit !== undefined && limit !== '' ? pick(limit, '--limit', undefined) : undefined;
  return [...inventory.hosts.keys()].filter((h) => selected.has(h) && (!limited || limited.has(h)));
}
