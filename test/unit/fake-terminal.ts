// A stand-in for a terminal or a pipe: collects what a reporter writes, and replays it the way a
// terminal would ("\r", erase-line, newlines, colour codes) so tests can assert what the operator
// sees — the scrolled-off lines, the line under the cursor — and that nothing else was sent.
import { Writable } from 'node:stream';

export class FakeStream extends Writable {
  text = '';
  constructor(
    readonly isTTY: boolean,
    readonly columns = 100,
  ) {
    super({ decodeStrings: false });
  }
  override _write(chunk: string | Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

export interface Screen {
  /** Lines ended by a newline (what scrolled into the terminal's history), colour codes removed. */
  lines: string[];
  /** The unterminated line under the cursor (the live status line, if any). */
  current: string;
  /** Escape sequences other than colour (SGR), "\r" and erase-line. */
  unexpected: string[];
  /** Colour codes were written. */
  coloured: boolean;
}

/** Replays `text` as a terminal would. Lines are not wrapped: callers check widths themselves. */
export function replay(text: string): Screen {
  const lines: string[] = [];
  const unexpected: string[] = [];
  let coloured = false;
  let line: string[] = [];
  let col = 0;
  for (let i = 0; i < text.length; ) {
    const esc = /^\x1b(\[[0-9;?]*[ -/]*[@-~]|.)/.exec(text.slice(i, i + 32));
    if (esc) {
      i += esc[0].length;
      if (/^\x1b\[[0-9;]*m$/.test(esc[0])) coloured = true;
      else if (esc[0] === '\x1b[K') line = line.slice(0, col);
      else unexpected.push(JSON.stringify(esc[0]));
      continue;
    }
    const ch = String.fromCodePoint(text.codePointAt(i)!);
    i += ch.length;
    if (ch === '\r') col = 0;
    else if (ch === '\n') {
      lines.push(line.join(''));
      line = [];
      col = 0;
    } else {
      line[col++] = ch;
    }
  }
  return { lines, current: line.join(''), unexpected, coloured };
}
