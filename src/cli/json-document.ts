// apply's --json document, held back when another step adds to it: `apply --verify` writes one
// document with the run and, under `verify`, verify's result — never two documents on stdout.
import { Writable } from 'node:stream';

export class JsonDocument {
  private text = '';
  /** Where the JSON reporter writes: stdout itself, or a buffer until end(). */
  readonly sink: NodeJS.WritableStream;

  constructor(private readonly held: boolean) {
    this.sink = held
      ? new Writable({
          write: (chunk: Buffer | string, _enc, done) => {
            this.text += chunk.toString();
            done();
          },
        })
      : process.stdout;
  }

  /** Writes the held document with `extra` as its `verify` member (when given). */
  end(extra: object | undefined): void {
    if (!this.held || !this.text) return;
    const doc = JSON.parse(this.text) as Record<string, unknown>;
    process.stdout.write(JSON.stringify(extra ? { ...doc, verify: extra } : doc, null, 2) + '\n');
  }
}
