// Where in a template's source a Handlebars error is: line and column of an offset, the block left
// open at the end, the position a parse error's message points at.

/** 1-based line and 0-based column (as Handlebars) of a source offset. */
export function lineColumn(source: string, offset: number): { line: number; column: number } {
  const before = source.slice(0, offset);
  const nl = before.lastIndexOf('\n');
  return { line: before.split('\n').length, column: offset - (nl + 1) };
}

/** The innermost block (`{{#if x}}`) still open at the end of a template, if any. */
export function unclosedBlock(source: string): { name: string; line: number; column: number } | undefined {
  // Comments may hold braces: blank them, keeping offsets.
  const text = source.replace(/\{\{!--[\s\S]*?--\}\}|\{\{![\s\S]*?\}\}/g, (m) => m.replace(/[^\n]/g, ' '));
  const stack: { name: string; offset: number }[] = [];
  for (const m of text.matchAll(/\{\{~?\s*([#/])\s*>?\s*([^\s}~]+)/g)) {
    if (m[1] === '/') stack.pop();
    else stack.push({ name: m[2]!, offset: m.index! });
  }
  const top = stack.at(-1);
  return top ? { name: top.name, ...lineColumn(source, top.offset) } : undefined;
}

/**
 * Where a Handlebars parse error is. Its message shows the input consumed before the bad token (its
 * last 20 characters, newlines dropped) above a `---^` marker; find that text ending on `line`.
 */
export function parseErrorPosition(source: string, msg: string, line: number): { line: number; column?: number } {
  const lines = msg.split('\n');
  const marker = lines.findIndex((l) => /^-*\^$/.test(l));
  if (marker < 1) return { line };
  let past = lines[marker - 1]!.slice(0, lines[marker]!.length - 1);
  if (past.startsWith('...')) past = past.slice(3);
  if (past === '') return { line, column: 0 };
  const offsets: number[] = [];
  let stripped = '';
  for (let i = 0; i < source.length; i++) {
    if (source[i] === '\n') continue;
    stripped += source[i];
    offsets.push(i);
  }
  let best: { line: number; column: number } | undefined;
  for (let i = stripped.indexOf(past); i >= 0; i = stripped.indexOf(past, i + 1)) {
    const at = lineColumn(source, offsets[i + past.length - 1]! + 1);
    if (at.line === line) return at;
    best ??= at;
  }
  return best && past.length >= 20 ? best : { line };
}
