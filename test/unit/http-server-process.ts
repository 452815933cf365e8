// A tiny HTTP server on 127.0.0.1 in its own process (tests only): get_url downloads synchronously (the
// controller's thread waits for its download worker), which would block a server running in the test's own event loop.
// Serves `files` by path, 404 otherwise, and /__hits → how many file requests it answered.
import { spawn, type ChildProcess } from 'node:child_process';

const SERVER = String.raw`
const files = JSON.parse(process.argv[1]);
let hits = 0;
const server = require('node:http').createServer((req, res) => {
  if (req.url === '/__hits') return res.end(String(hits));
  hits++;
  if (Object.hasOwn(files, req.url)) res.end(Buffer.from(files[req.url], 'base64'));
  else res.writeHead(404).end('not here');
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
process.stdin.on('end', () => process.exit(0)).resume();
`;

export interface HttpFixture {
  base: string;
  hits(): Promise<number>;
  close(): void;
}

export async function httpServerProcess(files: Record<string, Buffer>): Promise<HttpFixture> {
  const encoded = Object.fromEntries(Object.entries(files).map(([k, v]) => [k, v.toString('base64')]));
  const child: ChildProcess = spawn(process.execPath, ['-e', SERVER, JSON.stringify(encoded)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<string>((ok, fail) => {
    child.stdout!.once('data', (d: Buffer) => ok(d.toString().trim()));
    child.once('exit', (code) => fail(new Error(`test HTTP server exited ${code}`)));
  });
  const base = `http://127.0.0.1:${port}`;
  return {
    base,
    hits: async () => Number(await (await fetch(`${base}/__hits`)).text()),
    close: () => {
      child.stdin!.end();
      child.kill();
    },
  };
}
