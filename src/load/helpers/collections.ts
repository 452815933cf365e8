// Helpers over lists and mappings: sorting, de-duplicating, merging, converting between mappings and
// lists of key/value items, and picking one attribute of every item (Ansible's sort, unique, combine, remove_keys,
// dict2items, items2dict, map(attribute=...)). Items keep their own values (a secret item stays one).
import { isPlainObject, reveal, revealDeep } from '../../core/secret.js';
import { fail, kindOf, list, mapping, text, type HelperDef, type HelperOptions } from './helper.js';

const opt = (options: HelperOptions, name: string): unknown => options.hash?.[name];

/** An item's attribute by dotted path (`name`, `address.v4`); missing is an error naming the helper. */
function attribute(helper: string, item: unknown, path: string): unknown {
  let cur: unknown = item;
  for (const part of path.split('.')) {
    const v = reveal(cur);
    if ((!isPlainObject(v) && !Array.isArray(v)) || !Object.hasOwn(v, part)) return fail(helper, `an item (${kindOf(item)}) has no attribute '${path}'`);
    cur = (v as Record<string, unknown>)[part];
  }
  return cur;
}

/** Sort key comparison: numbers numerically, strings by text (case-insensitive unless asked). */
function compare(helper: string, caseSensitive: boolean) {
  return (a: unknown, b: unknown): number => {
    const x = reveal(a);
    const y = reveal(b);
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    if (typeof x !== 'string' || typeof y !== 'string') return fail(helper, `cannot order ${kindOf(x)} and ${kindOf(y)} (items must all be numbers or all strings)`);
    const [p, q] = caseSensitive ? [x, y] : [x.toLowerCase(), y.toLowerCase()];
    return p < q ? -1 : p > q ? 1 : 0;
  };
}

type ListMerge = 'replace' | 'keep' | 'append' | 'prepend';

/** Ansible's combine: later mappings win; `recursive` merges nested mappings; lists per `listMerge`. */
function combine(a: Record<string, unknown>, b: Record<string, unknown>, recursive: boolean, listMerge: ListMerge): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const old = reveal(out[k]);
    const now = reveal(v);
    if (recursive && isPlainObject(old) && isPlainObject(now)) out[k] = combine(old, now, recursive, listMerge);
    else if (Array.isArray(old) && Array.isArray(now) && listMerge !== 'replace') {
      out[k] = listMerge === 'keep' ? old : listMerge === 'append' ? [...old, ...now] : [...now, ...old];
    } else out[k] = v;
  }
  return out;
}

export const collectionHelpers: HelperDef[] = [
  {
    name: 'sort',
    args: 'list [attribute="name"] [reverse=true] [case_sensitive=true]',
    ansible: ['list | sort', "list | sort(attribute='name')"],
    does: 'The list sorted: numbers by value, strings case-insensitively (as Jinja); by an attribute of each item with `attribute=`.',
    example: '{{join (sort domains) " "}}',
    fn: ([l], options) => {
      const attr = opt(options, 'attribute');
      const key = (x: unknown) => (attr === undefined ? x : attribute('sort', x, text('sort', attr, 'attribute')));
      const cmp = compare('sort', opt(options, 'case_sensitive') === true);
      const out = [...list('sort', l)].sort((a, b) => cmp(key(a), key(b)));
      return opt(options, 'reverse') === true ? out.reverse() : out;
    },
  },
  {
    name: 'unique',
    args: 'list',
    ansible: ['list | unique'],
    does: 'The list without repeated items (the first of each kept, in order).',
    example: '{{join (unique relays) ","}}',
    fn: ([l]) => {
      const seen = new Set<string>();
      return list('unique', l).filter((x) => {
        const k = JSON.stringify(revealDeep(x));
        return seen.has(k) ? false : (seen.add(k), true);
      });
    },
  },
  {
    name: 'combine',
    args: 'mapping mapping... [recursive=true] [list_merge="replace|keep|append|prepend"]',
    ansible: ['a | combine(b, recursive=true, list_merge=...)'],
    does: 'One mapping: the keys of all, later ones winning. `recursive=true` merges nested mappings instead of replacing them; `list_merge` says what two lists under one key become (default: the later replaces).',
    example: '{{#each (combine defaults overrides recursive=true)}}{{@key}} = {{this}}\n{{/each}}',
    fn: (args, options) => {
      const lm = opt(options, 'list_merge') ?? 'replace';
      if (!['replace', 'keep', 'append', 'prepend'].includes(String(lm))) fail('combine', `list_merge must be replace, keep, append or prepend, got ${JSON.stringify(lm)}`);
      if (args.length === 0) fail('combine', 'give at least one mapping');
      return args.reduce<Record<string, unknown>>((acc, m, i) => combine(acc, mapping('combine', m, `argument ${i + 1}`), opt(options, 'recursive') === true, lm as ListMerge), {});
    },
  },
  {
    name: 'remove_keys',
    args: 'mapping keys',
    ansible: ["x | ansible.utils.remove_keys(target=['k'])"],
    does: 'The mapping without the given keys (a list of names, or one name; names it lacks are ignored).',
    example: '{{#each (remove_keys params (split kept_params))}}{{@key}} = {{this}}\n{{/each}}',
    fn: ([m, keys]) => {
      const drop = new Set((Array.isArray(keys) ? keys : [keys]).map((k) => text('remove_keys', k, 'a key')));
      return Object.fromEntries(Object.entries(mapping('remove_keys', m)).filter(([k]) => !drop.has(k)));
    },
  },
  {
    name: 'dict2items',
    args: 'mapping [key_name="key"] [value_name="value"]',
    ansible: ['x | dict2items'],
    does: 'A list of `{key, value}` items, one per key of the mapping, in its order.',
    example: '{{#each (dict2items users)}}{{key}}: {{value.uid}}\n{{/each}}',
    fn: ([m], options) => {
      const k = text('dict2items', opt(options, 'key_name') ?? 'key', 'key_name');
      const v = text('dict2items', opt(options, 'value_name') ?? 'value', 'value_name');
      return Object.entries(mapping('dict2items', m)).map(([key, value]) => ({ [k]: key, [v]: value }));
    },
  },
  {
    name: 'items2dict',
    args: 'list [key_name="key"] [value_name="value"]',
    ansible: ['x | items2dict'],
    does: 'A mapping from a list of `{key, value}` items (the inverse of dict2items).',
    example: '{{to_json (items2dict pairs)}}',
    fn: ([l], options) => {
      const k = text('items2dict', opt(options, 'key_name') ?? 'key', 'key_name');
      const v = text('items2dict', opt(options, 'value_name') ?? 'value', 'value_name');
      const out: Record<string, unknown> = {};
      for (const item of list('items2dict', l)) out[text('items2dict', attribute('items2dict', item, k), `an item's '${k}'`)] = attribute('items2dict', item, v);
      return out;
    },
  },
  {
    name: 'map_attr',
    args: 'list attribute',
    ansible: ["list | map(attribute='name')"],
    does: 'The given attribute (a dotted path) of every item of the list; an item without it is an error.',
    example: '{{join (map_attr relays "address") ", "}}',
    fn: ([l, attr]) => list('map_attr', l).map((x) => attribute('map_attr', x, text('map_attr', attr, 'attribute'))),
  },
];
