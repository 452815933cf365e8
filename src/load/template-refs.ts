// Which variables a Handlebars template reads from the root scope, found by walking its AST (for
// validating a plan without facts, and for pointing a render error at the right place).
//
// Mirrors Handlebars' strict mode: a mustache's own path must exist in full (`{{a.b}}` needs a and
// a.b), while a helper parameter may miss its last segment (`{{#if a.b}}`, `{{default x "y"}}` are fine
// with b or x undefined, but a must exist). References inside `#each`/`#with` refer to the iterated
// item, not to host variables, and are skipped unless they climb back out with `../`.

/** The subset of Handlebars AST nodes the walker reads. */
interface Loc {
  start: { line: number; column: number };
  end: { line: number; column: number };
}
interface AstNode {
  type: string;
  loc?: Loc;
  [k: string]: unknown;
}
interface PathNode extends AstNode {
  type: 'PathExpression';
  data: boolean;
  depth: number;
  parts: string[];
  original: string;
}

export interface TemplateRef {
  /** Path segments from the root scope: ["relay", "host"]. */
  parts: string[];
  /** How many leading segments must exist for rendering not to fail. */
  strictParts: number;
  original: string;
  /** 1-based line, 0-based column (as Handlebars). */
  loc?: Loc;
  /** The name is used as a helper that is not registered. */
  unknownHelper?: boolean;
}

const CONTEXT_KEEPING_BLOCKS = new Set(['if', 'unless']);

/** Root-scope references of a parsed template. `helpers`: names registered as helpers. */
export function templateRefs(program: unknown, helpers: ReadonlySet<string>): TemplateRef[] {
  const refs: TemplateRef[] = [];

  const pathRef = (p: PathNode, blockDepth: number, lenientLast: boolean): void => {
    if (p.data || p.parts.length === 0) return; // @index, @root…, `this`
    if (p.depth !== blockDepth) return; // inside #each/#with: the item's scope
    refs.push({
      parts: p.parts,
      strictParts: lenientLast ? p.parts.length - 1 : p.parts.length,
      original: p.original,
      loc: p.loc,
    });
  };

  const param = (n: AstNode, blockDepth: number): void => {
    if (n.type === 'PathExpression') pathRef(n as PathNode, blockDepth, true);
    else if (n.type === 'SubExpression') call(n, blockDepth, false);
  };

  /** Mustache, block or sub-expression: a helper call with params, or a plain value lookup. */
  const call = (n: AstNode, blockDepth: number, isBlock: boolean): boolean => {
    const path = n.path as AstNode;
    const params = (n.params as AstNode[] | undefined) ?? [];
    const pairs = ((n.hash as AstNode | undefined)?.pairs as AstNode[] | undefined) ?? [];
    const name = path.type === 'PathExpression' ? (path as PathNode).original : '';
    const isHelper = params.length > 0 || pairs.length > 0 || n.type === 'SubExpression' || helpers.has(name);
    if (isHelper) {
      if (path.type === 'PathExpression' && !helpers.has(name) && !(path as PathNode).data) {
        refs.push({ parts: [name], strictParts: 1, original: name, loc: path.loc, unknownHelper: true });
      }
      for (const p of params) param(p, blockDepth);
      for (const pair of pairs) param(pair.value as AstNode, blockDepth);
    } else if (path.type === 'PathExpression') {
      pathRef(path as PathNode, blockDepth, false);
    }
    // Blocks other than if/unless (each, with, sections) change the context of their body.
    return isBlock && !(isHelper && CONTEXT_KEEPING_BLOCKS.has(name));
  };

  const walk = (n: AstNode | undefined | null, blockDepth: number): void => {
    if (!n) return;
    switch (n.type) {
      case 'Program':
        for (const s of n.body as AstNode[]) walk(s, blockDepth);
        break;
      case 'MustacheStatement':
        call(n, blockDepth, false);
        break;
      case 'BlockStatement': {
        const changes = call(n, blockDepth, true);
        walk(n.program as AstNode, changes ? blockDepth + 1 : blockDepth);
        // `{{else}}` of #each/#with runs in the outer context.
        walk(n.inverse as AstNode, blockDepth);
        break;
      }
      default:
        break; // content, comments, partials
    }
  };

  walk(program as AstNode, 0);
  return refs;
}

/** Every PathExpression in a template (any scope), for locating a runtime error by segment name. */
export function allPaths(program: unknown): { parts: string[]; original: string; loc?: Loc }[] {
  const out: { parts: string[]; original: string; loc?: Loc }[] = [];
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) for (const x of v) visit(x);
    else if (v && typeof v === 'object') {
      const n = v as AstNode;
      if (n.type === 'PathExpression') out.push({ parts: (n as PathNode).parts, original: (n as PathNode).original, loc: n.loc });
      for (const [k, x] of Object.entries(n)) if (k !== 'loc' && k !== 'strip') visit(x);
    }
  };
  visit(program);
  return out;
}
