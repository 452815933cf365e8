// An HTML page as a browser's parser builds it (parse5, the WHATWG algorithm), with the few queries
// report tests need. Used on report files and on the DOM Chromium dumps after running the page.
import { parse, type DefaultTreeAdapterTypes as T, type ParserError } from 'parse5';

export type El = T.Element;

export interface Page {
  doc: T.Document;
  /** Spec violations the parser recovered from (a well-formed report has none). */
  errors: ParserError[];
}

export function parsePage(text: string): Page {
  const errors: ParserError[] = [];
  return { doc: parse(text, { onParseError: (e) => errors.push(e) }), errors };
}

function isElement(n: T.Node): n is El {
  return 'tagName' in n;
}

function children(n: T.Node): T.ChildNode[] {
  if ('content' in n && n.content) return n.content.childNodes; // <template>
  return 'childNodes' in n ? n.childNodes : [];
}

/** Every element under `root`, in document order. */
export function elements(root: T.Node): El[] {
  const out: El[] = [];
  const walk = (n: T.Node) => {
    for (const c of children(n)) {
      if (isElement(c)) out.push(c);
      walk(c);
    }
  };
  walk(root);
  return out;
}

export function attr(el: El, name: string): string | undefined {
  return el.attrs.find((a) => a.name === name)?.value;
}

export function byTag(root: T.Node, tag: string): El[] {
  return elements(root).filter((e) => e.tagName === tag);
}

export function byClass(root: T.Node, cls: string): El[] {
  return elements(root).filter((e) => (attr(e, 'class') ?? '').split(/\s+/).includes(cls));
}

/** The text a reader sees (textContent). */
export function text(n: T.Node): string {
  if (n.nodeName === '#text') return (n as T.TextNode).value;
  return children(n).map(text).join('');
}
