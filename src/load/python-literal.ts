// A value written in an Ansible INI inventory, typed as Ansible types it: Python's `ast.literal_eval`
// of the text, and the text itself when that fails. So `port=22` is a number, `flag=True` a boolean
// (`true` and `yes` stay strings), `name='a b'` the string inside the quotes, `[1, 'a']` a list, and
// `mode=0644` a string (Python 3 refuses leading zeros). The parsing is py-ast's (a Python parser),
// not ours; this file only decides what Ansible would keep.
import { parse } from 'py-ast';

const PLAIN_NUMBER = /^[-+]?(?:[1-9](?:_?\d)*|0+)$/;
/** Texts literal_eval could only read as something other than the text itself start like this. */
const LITERAL_START = /^(?:[-+]?[\d.]|[rRbBuU]{0,2}['"]|[[{(]|True$|False$|None$)/;

/** literal_eval refuses this (a name, an operator, an f-string): the text stays a string. */
class NotLiteral extends Error {}

export function pythonLiteral(text: string): unknown {
  const t = text.trim();
  if (PLAIN_NUMBER.test(t)) return safeInteger(t, text);
  if (!LITERAL_START.test(t) || /^[-+]?0\d/.test(t.replace(/_/g, ''))) return text;
  try {
    const mod = parse(t) as unknown as { body: AstNode[] };
    if (mod.body.length !== 1 || mod.body[0]!.nodeType !== 'Expr') return text;
    return literal(mod.body[0]!.value as AstNode, t);
  } catch {
    return text;
  }
}

interface AstNode {
  nodeType: string;
  value?: unknown;
  quote_style?: string;
  elts?: AstNode[];
  keys?: (AstNode | null)[];
  values?: AstNode[];
  op?: { nodeType: string };
  operand?: AstNode;
  col_offset?: number;
  end_col_offset?: number;
}

/** The value of a literal node, as `ast.literal_eval` allows them (no names, calls or operators but a sign). */
function literal(node: AstNode, src: string): unknown {
  const lit = (n: AstNode) => literal(n, src);
  switch (node.nodeType) {
    case 'Constant':
      return constant(node, src);
    case 'List':
    case 'Tuple':
    case 'Set':
      return node.elts!.map(lit);
    case 'Dict':
      return Object.fromEntries(node.keys!.map((k, i) => {
        if (!k) throw new NotLiteral();
        return [String(lit(k)), lit(node.values![i]!)];
      }));
    case 'UnaryOp': {
      const v = lit(node.operand!);
      if (typeof v !== 'number' || !['USub', 'UAdd'].includes(node.op!.nodeType)) throw new NotLiteral();
      return node.op!.nodeType === 'USub' ? -v : v;
    }
    default:
      throw new NotLiteral();
  }
}

function constant(node: AstNode, src: string): unknown {
  const v = node.value;
  if (typeof v === 'string') {
    // `...` (Ellipsis) and escapes the parser keeps raw (\N{name}) have no plain form: keep the text.
    if (node.quote_style === undefined || /\\N\{/.test(v)) throw new NotLiteral();
    return v;
  }
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'bigint' && Number.isSafeInteger(Number(v))) return Number(v);
  if (v === null && src.slice(node.col_offset, node.end_col_offset) === 'None') return null;
  // None is null; anything else null here is a number out of range (1e400); complex numbers and huge integers: text.
  throw new NotLiteral();
}

function safeInteger(t: string, text: string): number | string {
  const n = Number(t.replace(/_/g, ''));
  // Python's integers are unbounded; one JavaScript cannot hold exactly stays the text written.
  return Number.isSafeInteger(n) ? n : text;
}
