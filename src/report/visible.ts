// Text from hosts (file contents in a diff, command output, error messages, file names) is data, and
// a terminal would obey the control characters in it: ESC/CSI/OSC sequences can clear the screen,
// rewrite earlier lines, set the window title or the clipboard, or hide a line of the diff. Before
// any such text reaches the console it is made visible: C0 controls as their Unicode control
// pictures (ESC → ␛, CR → ␍, NUL → ␀), DEL as ␡, C1 controls (U+0080–U+009F, 0x9B is an 8-bit CSI)
// and bidirectional overrides as <U+XXXX>. Newline and tab stay as they are. The JSON output keeps
// exact strings (JSON escapes controls itself); the HTML report escapes markup and shows text only.

import { mapEntries, mapItems } from '../core/copy-on-change.js';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f\x80-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function picture(ch: string): string {
  const code = ch.charCodeAt(0);
  if (code < 0x20) return String.fromCharCode(0x2400 + code);
  if (code === 0x7f) return '\u2421';
  return `<U+${code.toString(16).toUpperCase().padStart(4, '0')}>`;
}

/** `text` with every control character but newline and tab shown as a visible placeholder. */
export function visible(text: string): string {
  CONTROL.lastIndex = 0;
  return CONTROL.test(text) ? text.replace(CONTROL, picture) : text;
}

/**
 * The same for every string inside a value (an engine event: plain objects, arrays, scalars). Copies
 * only what holds a changed string: an event with nothing to show differently (nearly all) is
 * returned as it is, without a copy of every result, value and diff per event.
 */
export function visibleDeep<T>(value: T): T {
  if (typeof value === 'string') return visible(value) as T;
  if (Array.isArray(value)) return mapItems(value, visibleDeep) as T;
  if (value !== null && typeof value === 'object') {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return value;
    return mapEntries(value as Record<string, unknown>, visibleDeep, visible) as T;
  }
  return value;
}
