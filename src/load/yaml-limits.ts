// Bounds on what a parsed YAML document expands to. Aliases make a small file describe an enormous
// tree (`a1: [*a0, *a0, …]` nine times is a billion values; `<<: [*m, *m]` doubles per line) or a
// cyclic one (`a: &a [*a]`), and every later walk — toJS, the loader's merge handling, validation —
// would pay for it or never end. One walk in document order measures the document as if every
// alias were expanded, each node once: an alias can only name an anchor seen before it, so its target
// is either finished (its size is known) or still open (an ancestor: the alias is recursive).
import { isAlias, isMap, isPair, isSeq, type Document, type Node } from 'yaml';
import { MAX_YAML_DEPTH, MAX_YAML_VALUES } from '../core/input-limits.js';

export interface YamlLimitProblem {
  node: Node;
  message: string;
}

interface Measure {
  /** Values in the subtree, aliases expanded. */
  size: number;
  /** Nesting levels of lists and mappings in it, aliases expanded (0 for a scalar). */
  height: number;
}

class LimitExceeded extends Error {
  constructor(readonly problem: YamlLimitProblem) {
    super(problem.message);
  }
}

/** The first limit the document breaks (recursive alias, depth, expanded size), or undefined. */
export function yamlLimitProblem(doc: Document.Parsed): YamlLimitProblem | undefined {
  const done = new Map<Node, Measure>();
  const open = new Set<Node>();
  const anchors = new Map<string, Node>();
  let total = 0;
  const fail = (node: Node, message: string): never => {
    throw new LimitExceeded({ node, message });
  };
  const count = (node: Node, n: number, why: () => string) => {
    total += n;
    if (total > MAX_YAML_VALUES) fail(node, why());
  };

  const measure = (node: Node | null | undefined, depth: number): Measure => {
    if (!node) return { size: 0, height: 0 };
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      if (!target) return { size: 1, height: 0 }; // the parser already reported an unknown anchor
      if (open.has(target)) fail(node, `YAML: alias *${node.source} is inside the node it refers to (a recursive alias)`);
      const m = done.get(target)!;
      if (depth + m.height > MAX_YAML_DEPTH) fail(node, `YAML: alias *${node.source} nests values more than ${MAX_YAML_DEPTH} levels deep`);
      count(node, m.size, () => `YAML: alias *${node.source} expands the file beyond ${MAX_YAML_VALUES} values (an alias bomb?)`);
      return m;
    }
    if (node.anchor) anchors.set(node.anchor, node);
    if (!isMap(node) && !isSeq(node)) {
      count(node, 1, () => `YAML: more than ${MAX_YAML_VALUES} values in one file`);
      done.set(node, { size: 1, height: 0 });
      return { size: 1, height: 0 };
    }
    if (depth + 1 > MAX_YAML_DEPTH) fail(node, `YAML: lists and mappings nested more than ${MAX_YAML_DEPTH} levels deep`);
    open.add(node);
    count(node, 1, () => `YAML: more than ${MAX_YAML_VALUES} values in one file`);
    let size = 1;
    let height = 0;
    const add = (child: unknown) => {
      const m = measure(child as Node | null, depth + 1);
      size += m.size;
      height = Math.max(height, m.height);
    };
    for (const item of node.items) {
      if (isPair(item)) {
        add(item.key);
        add(item.value);
      } else {
        add(item);
      }
    }
    open.delete(node);
    const m = { size, height: height + 1 };
    done.set(node, m);
    return m;
  };

  try {
    measure(doc.contents as Node | null, 0);
    return undefined;
  } catch (err) {
    if (err instanceof LimitExceeded) return err.problem;
    throw err;
  }
}
