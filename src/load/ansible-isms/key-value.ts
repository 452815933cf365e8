// Ansible's `key=value` argument strings (`copy: src=a dest=b mode=0644`, `command: make chdir=/src
// creates=/x`), split into words by shlex (Python's shell-like lexer, as Ansible's own splitting is
// modelled on it). Only strings whose meaning is unambiguous become arguments: every word `key=value`
// for a module without a free form, or a trailing run of the module's known options after a command.
import { split } from 'shlex';

export interface KeyValueWord {
  key: string;
  value: string;
  /** Where `key=` starts in the string. */
  offset: number;
}

const KEY = /^([A-Za-z_][A-Za-z0-9_]*)=/;

// A template `{{ x | default('a') }}` is one piece of a word, as Ansible's own splitting keeps it:
// its spaces and quotes are masked (one character for one, so offsets stay) while shlex splits.
const MASK: Record<string, string> = { ' ': '\u0001', '\t': '\u0002', "'": '\u0003', '"': '\u0004' };
const UNMASK = Object.fromEntries(Object.entries(MASK).map(([k, v]) => [v, k]));
const mask = (text: string) => text.replace(/\{\{[\s\S]*?\}\}/g, (t) => t.replace(/[ \t'"]/g, (c) => MASK[c]!));
const unmask = (w: string) => w.replace(/[\u0001-\u0004]/g, (c) => UNMASK[c]!);

/** shlex's words, or undefined when the quoting is unbalanced. */
function words(text: string): string[] | undefined {
  try {
    return split(mask(text)).map(unmask);
  } catch {
    return undefined;
  }
}

/** Each word's key and value, with its offset in `text`; undefined when a word is not `key=value`. */
function keyValues(ws: readonly string[], text: string, from = 0): KeyValueWord[] | undefined {
  const out: KeyValueWord[] = [];
  let cursor = from;
  for (const w of ws) {
    const m = KEY.exec(w);
    if (!m) return undefined;
    const offset = text.indexOf(`${m[1]}=`, cursor);
    out.push({ key: m[1]!, value: w.slice(m[0].length), offset: Math.max(offset, 0) });
    if (offset >= 0) cursor = offset + m[0].length;
  }
  return out;
}

/** Does the string start as Ansible's `key=value` arguments (`path=/x …`)? */
export const looksKeyValue = (text: string): boolean => KEY.test(text.trimStart());

/**
 * `src=a dest="b c" mode=0644` as words; undefined unless EVERY word is `key=value` (a plain path or
 * name stays what it is: a module's shorthand).
 */
export function keyValueString(text: string): KeyValueWord[] | undefined {
  if (!looksKeyValue(text)) return undefined;
  const ws = words(text);
  return ws && ws.length ? keyValues(ws, text) : undefined;
}

export interface FreeForm {
  /** The command as written, without the trailing options. */
  rest: string;
  options: KeyValueWord[];
  /** An option word standing elsewhere than at the end: which one (ambiguous: part of the command?). */
  inside?: string;
}

/**
 * A free-form command and the options Ansible reads from it (`chdir=`, `creates=`, `removes=`): the
 * trailing run of such words, cut from the string as written (the command keeps its own quoting).
 */
export function freeFormOptions(text: string, optionNames: readonly string[]): FreeForm {
  const alt = optionNames.join('|');
  const word = `(?:${alt})=(?:"[^"]*"|'[^']*'|\\S+)`;
  const trailing = new RegExp(`(?:^|\\s)(${word}(?:\\s+${word})*)\\s*$`).exec(text);
  const start = trailing ? trailing.index + trailing[0].indexOf(trailing[1]!) : text.length;
  const rest = text.slice(0, start).trimEnd();
  const optionWords = trailing ? words(trailing[1]!) : [];
  const options = optionWords ? keyValues(optionWords, text, start) ?? [] : [];
  const inside = (words(rest) ?? []).find((w) => new RegExp(`^(?:${alt})=`).test(w));
  return { rest, options, ...(inside !== undefined ? { inside } : {}) };
}
