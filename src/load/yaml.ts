// YAML input with positions. Everything the loader reads goes through here so that every later error
// can name file:line:column. The `yaml` package does the parsing (Document API + LineCounter); this
// file only adds positions, strictness (duplicate keys, unknown tags are errors) and the `!secret` tag.
import path from 'node:path';
import {
  Alias, Document, LineCounter, isAlias, isMap, isPair, isScalar, isSeq, parseDocument,
  type Node, type Pair, type ParsedNode, type Scalar, type ScalarTag, type YAMLMap, type YAMLSeq,
} from 'yaml';
import { InputError, InputErrors, type SourcePos } from '../core/errors.js';
import { MAX_YAML_DEPTH, readInputText } from '../core/input-limits.js';
import { displayPath } from '../core/paths.js';
import { Secret, type SecretRegistry } from '../core/secret.js';
import { yamlLimitProblem } from './yaml-limits.js';
import { isVaultText, markSecretLeaves, openVaultFile, vaultTag } from '../vault/load.js';

export { isMap, isScalar, isSeq, isAlias };
export type { Node, YAMLMap, YAMLSeq, Scalar };

/** `password: !secret hunter2` → a Secret that renders as the value but is redacted in reports. */
const secretTag = (secrets: SecretRegistry): ScalarTag => ({
  tag: '!secret',
  identify: (v) => v instanceof Secret,
  resolve: (str) => new Secret(str, secrets),
  stringify: () => '[redacted]',
});

/**
 * `password: !secret_env RELAY_PASSWORD` (a Secret) and `host: !env RELAY_HOST`: a controller
 * environment variable, read when the file loads, so an unset one is an input error at its position.
 */
const envTag = (tag: string, secrets: SecretRegistry | undefined): ScalarTag => ({
  tag,
  identify: () => false,
  resolve(name: string, onError: (message: string) => void) {
    const value = process.env[name];
    if (value === undefined) {
      onError(`${tag}: environment variable ${name} is not set`);
      return '';
    }
    return secrets ? new Secret(value, secrets) : value;
  },
});

/** The parse options of one run: its tags create Secrets of that run's registry. */
const optionsByRegistry = new WeakMap<SecretRegistry, object>();
function parseOptions(secrets: SecretRegistry): object {
  let o = optionsByRegistry.get(secrets);
  if (!o) {
    o = {
      customTags: [secretTag(secrets), envTag('!env', undefined), envTag('!secret_env', secrets), vaultTag(secrets)] as ScalarTag[],
      uniqueKeys: true,
      prettyErrors: false,
      // `<<: *defaults` is common in Ansible var files.
      merge: true,
    };
    optionsByRegistry.set(secrets, o);
  }
  return o;
}

export interface MapEntry {
  key: string;
  keyNode: Node;
  /** null for `key:` with no value. */
  value: Node | null;
  pair: Pair;
}

/** Did YamlSource.read fail because the file could not be opened or read (missing, a directory, no access)? */
export function isUnreadableFile(err: unknown): boolean {
  // The error of the file system is kept as the cause: the message is for people.
  return err instanceof InputError && err.cause instanceof Error && typeof (err.cause as NodeJS.ErrnoException).code === 'string';
}

/** One parsed YAML file and its positions. */
export class YamlSource {
  readonly abs: string;
  /** The name used in messages (relative to the working directory when inside it). */
  readonly file: string;
  readonly doc: Document.Parsed;
  readonly lc: LineCounter;

  private constructor(abs: string, doc: Document.Parsed, lc: LineCounter) {
    this.abs = abs;
    this.file = displayPath(abs);
    this.doc = doc;
    this.lc = lc;
  }

  /**
   * Read and parse `file`; syntax errors, duplicate keys and unknown tags throw InputError(s).
   * `secrets`: the run's registry, which `!secret`, `!secret_env`, `!vault` and vault files register into.
   */
  static read(file: string, secrets: SecretRegistry): YamlSource {
    const abs = path.resolve(file);
    let text: string;
    try {
      text = readInputText(abs, { file: displayPath(abs) });
    } catch (err) {
      if (err instanceof InputError) throw err;
      throw new InputError(`cannot read file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {
        pos: { file: displayPath(abs) },
        cause: err,
      });
    }
    // A whole file encrypted with `fleetplan vault` or ansible-vault: decrypted in memory, every string in it a Secret.
    if (isVaultText(text)) {
      const src = YamlSource.parse(openVaultFile(text, displayPath(abs), secrets), abs, secrets);
      markSecretLeaves(src.doc, secrets);
      return src;
    }
    return YamlSource.parse(text, abs, secrets);
  }

  static parse(text: string, file: string, secrets: SecretRegistry): YamlSource {
    const lc = new LineCounter();
    const doc = parseDocument(text, { ...parseOptions(secrets), lineCounter: lc });
    const src = new YamlSource(path.resolve(file), doc, lc);
    // Too deep for the parser's own recursion: blame the first level past the limit, not the point
    // where the stack ran out.
    if (doc.errors.some((e) => e.code === 'RESOURCE_EXHAUSTION')) {
      const deep = yamlLimitProblem(doc);
      if (deep) throw src.error(deep.node, deep.message);
    }
    const { duplicates: dups, merges } = keyProblems(src);
    const errors = [...doc.errors, ...doc.warnings].filter((e) => !(e.code === 'DUPLICATE_KEY' && dups.length)).map((e) => {
      return new InputError(yamlMessage(e.code, e.message), { pos: src.posAt(e.pos[0]) });
    });
    errors.push(...dups);
    errors.sort((a, b) => (a.pos!.line ?? 0) - (b.pos!.line ?? 0) || (a.pos!.col ?? 0) - (b.pos!.col ?? 0));
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new InputErrors(errors);
    // Only a document proven small and acyclic (aliases expanded) is walked by anything else.
    const limit = yamlLimitProblem(doc);
    if (limit) throw src.error(limit.node, limit.message);
    if (merges.length === 1) throw merges[0];
    if (merges.length > 1) throw new InputErrors(merges);
    return src;
  }

  /** The document's top node (null for an empty file). */
  get root(): Node | null {
    return (this.doc.contents as Node | null) ?? null;
  }

  posAt(offset: number): SourcePos {
    const { line, col } = this.lc.linePos(offset);
    return { file: this.file, line, col };
  }

  /** Position of a node; for a missing node, `fallback` (usually the key or the parent). */
  pos(node: Node | null | undefined, fallback?: Node | SourcePos | null): SourcePos {
    const range = (node as ParsedNode | null | undefined)?.range;
    if (range) return this.posAt(range[0]);
    if (fallback && 'file' in fallback) return fallback as SourcePos;
    if (fallback) return this.pos(fallback as Node);
    return { file: this.file };
  }

  /** An InputError at `node`. */
  error(node: Node | null | undefined, message: string, fallback?: Node | null): InputError {
    return new InputError(message, { pos: this.pos(node, fallback) });
  }

  /** Follow aliases to the node they stand for. */
  deref(node: Node | null | undefined): Node | null {
    let n = node ?? null;
    for (let i = 0; n && isAlias(n) && i < 100; i++) n = ((n as Alias).resolve(this.doc) as Node | undefined) ?? null;
    return n;
  }

  /** The plain JS value of a node (Secrets stay Secret). */
  value(node: Node | null | undefined): unknown {
    if (!node) return null;
    // parse() has bounded the expanded document (yaml-limits.ts), so the package's own alias-count
    // heuristic, which would refuse an inventory of 1000 hosts that each merge `<<: *defaults`, is off.
    return node.toJS(this.doc, { maxAliasCount: -1 });
  }

  /** The entries of a mapping node, in order, with `<<` merges expanded (merged keys first). */
  entries(node: Node | null | undefined): MapEntry[] {
    const map = this.deref(node);
    if (!map || !isMap(map)) return [];
    const out: MapEntry[] = [];
    const own: MapEntry[] = [];
    for (const pair of map.items) {
      if (!isPair(pair)) continue;
      const keyNode = pair.key as Node;
      const keyVal = isScalar(keyNode) ? keyNode.value : this.value(keyNode);
      if (isScalar(keyNode) && (keyNode.source === '<<' || keyVal === '<<')) {
        const v = this.deref(pair.value as Node);
        const sources = v && isSeq(v) ? v.items.map((i) => this.deref(i as Node)) : [v];
        for (const s of sources) out.push(...this.entries(s));
        continue;
      }
      own.push({ key: String(keyVal), keyNode, value: this.deref(pair.value as Node | null), pair });
    }
    // Own keys override merged ones.
    const ownKeys = new Set(own.map((e) => e.key));
    return [...out.filter((e) => !ownKeys.has(e.key)), ...own];
  }

  /** The node at a path of mapping keys and list indexes, or undefined. */
  nodeAt(node: Node | null | undefined, pathParts: readonly PropertyKey[]): Node | undefined {
    let cur = this.deref(node);
    for (const part of pathParts) {
      if (!cur) return undefined;
      if (isMap(cur)) {
        const e = this.entries(cur).find((x) => x.key === String(part));
        if (!e) return undefined;
        cur = e.value ?? e.keyNode;
      } else if (isSeq(cur)) {
        cur = this.deref(cur.items[Number(part)] as Node | undefined);
      } else {
        return undefined;
      }
    }
    return cur ?? undefined;
  }

  /** Position of the key at the end of a path of mapping keys (`['tasks', 0, 'file']`), if present. */
  keyPos(pathParts: readonly PropertyKey[]): SourcePos | undefined {
    const parent = this.nodeAt(this.root, pathParts.slice(0, -1));
    const e = this.entries(parent).find((x) => x.key === String(pathParts.at(-1)));
    return e ? this.pos(e.keyNode) : undefined;
  }

  /** Position of the value at a path (the key's position for `key:` with no value), if present. */
  valuePos(pathParts: readonly PropertyKey[]): SourcePos | undefined {
    const n = this.nodeAt(this.root, pathParts);
    return n ? this.pos(n) : undefined;
  }

  /** The deepest existing node along a path (the position to blame for a missing or nested value). */
  closestNode(node: Node | null | undefined, pathParts: readonly PropertyKey[]): Node | null {
    let best = this.deref(node);
    for (let i = 1; i <= pathParts.length; i++) {
      const n = this.nodeAt(node, pathParts.slice(0, i));
      if (!n) break;
      best = n;
    }
    return best;
  }
}

/**
 * What is wrong with the keys of the document's mappings, in one walk: duplicates (the yaml package
 * reports one at the end of the previous entry; these are at the key itself), and merges of what is
 * no mapping (badMerge). A plain recursion in document order, as the package's visit() goes, without
 * the frozen path array visit() makes at every node (≈ 5 times the cost on a plan's files).
 */
function keyProblems(src: YamlSource): { duplicates: InputError[]; merges: InputError[] } {
  const duplicates: InputError[] = [];
  const merges: InputError[] = [];
  const inMap = (map: YAMLMap) => {
    const seen = new Map<string, Node>();
    for (const pair of map.items) {
      const key = pair.key as Node | null;
      if (!key || !isScalar(key)) continue;
      const merge = badMerge(src, key, pair.value as Node | null);
      if (merge) merges.push(merge);
      const name = String(key.value);
      const first = seen.get(name);
      if (first) duplicates.push(src.error(key, `YAML: duplicate key '${name}' (first at line ${src.pos(first).line})`));
      else seen.set(name, key);
    }
  };
  // Aliases are not followed (visit() does not either): each node is walked where it is written.
  const walk = (node: unknown): void => {
    if (isPair(node)) {
      walk(node.key);
      walk(node.value);
    } else if (isMap(node)) {
      inMap(node);
      for (const pair of node.items) walk(pair);
    } else if (isSeq(node)) {
      for (const item of node.items) walk(item);
    }
  };
  walk(src.doc.contents);
  return { duplicates, merges };
}

/**
 * `<<: 5`: a merge key whose value is not a mapping, an alias of one, or a list of those. The yaml
 * package finds this only when it converts the mapping to JavaScript, and throws a plain Error then;
 * the loader reads mappings entry by entry too (entries(), which skips such a merge), so it is an
 * input error here, at the value, judged as the package judges it (merge.js: one alias step a source).
 */
function badMerge(src: YamlSource, key: Scalar, value: Node | null): InputError | undefined {
  if (typeof key.value !== 'symbol' || key.value.description !== '<<') return undefined;
  const resolve = (n: unknown) => (isAlias(n) ? (n.resolve(src.doc) as unknown) : n);
  const target = resolve(value);
  const sources = isSeq(target) ? target.items : [target];
  if (sources.every((s) => isMap(resolve(s)))) return undefined;
  return src.error(value, 'YAML: a merge (<<) takes a mapping, an alias of one, or a list of those', key);
}

/** The kind of a node in words, for "expected a mapping, got list". */
export function nodeKind(node: Node | null | undefined): string {
  if (!node) return 'nothing';
  if (isMap(node)) return 'mapping';
  if (isSeq(node)) return 'list';
  if (isScalar(node)) {
    const v = node.value;
    if (v === null) return 'null';
    if (v instanceof Secret) return 'secret string';
    if (typeof v === 'string') return `string ${JSON.stringify(v)}`;
    return `${typeof v} ${String(v)}`;
  }
  return 'alias';
}

function yamlMessage(code: string, message: string): string {
  const short = message.replace(/ at line \d+, column \d+[\s\S]*$/, '').trim();
  if (code === 'DUPLICATE_KEY') return `YAML: duplicate key (${short})`;
  // The parser's own recursion ran out of stack: nesting far beyond what the limit allows.
  if (code === 'RESOURCE_EXHAUSTION') return `YAML: lists and mappings nested more than ${MAX_YAML_DEPTH} levels deep`;
  if (code === 'TAG_RESOLVE_FAILED' && (/environment variable/.test(short) || short.startsWith('!vault: '))) return short;
  const tag = /!(secret_env|secret|env|vault)\b/.exec(short)?.[0];
  if (code === 'TAG_RESOLVE_FAILED' && tag) return `YAML: ${tag} applies to a scalar value only`;
  if (code === 'TAG_RESOLVE_FAILED') return `YAML: ${short} (supported custom tags: !secret, !env, !secret_env, !vault)`;
  return `YAML syntax error: ${short}`;
}
