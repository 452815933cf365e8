// An HTTP file server for get_url tests, on its own loopback address (127.0.63.N, an ephemeral port)
// in a process of its own: get_url downloads synchronously (the controller's thread waits), which would
// block a server running in the test's event loop. Serves the files of `dir` by plain name, with a
// Content-Length (`/nolength/<name>`: without one, chunked); `/huge` declares 5 GiB and sends a byte;
// `/__hits` answers how many file requests it served. Stopped by stop() — and with the test process
// (its stdin closes).
import { spawn, type ChildProcess } from 'node:child_process';

const SERVER = String.raw`
const fs = require('node:fs'), path = require('node:path');
const [dir, address] = process.argv.slice(1);
let hits = 0;
const server = require('node:http').createServer((req, res) => {
  if (req.url === '/__hits') return res.end(String(hits));
  hits++;
  if (req.url === '/huge') { res.writeHead(200, { 'content-length': String(5 * 1024 ** 3) }); return res.write('x'); }
  const m = /^\/(nolength\/)?([A-Za-z0-9._-]+)$/.exec(req.url);
  const file = m && path.join(dir, m[2]);
  if (!file || !fs.existsSync(file)) return res.writeHead(404).end('not here');
  res.writeHead(200, m[1] ? {} : { 'content-length': String(fs.statSync(file).size) });
  fs.createReadStream(file).pipe(res);
});
server.listen(0, address, () => console.log(server.address().port));
process.stdin.on('end', () => process.exit(0)).resume();
`;

export interface DownloadServer {
  base: string;
  hits(): Promise<number>;
  stop(): void;
}

export async function startDownloadServer(dir: string, address: string): Promise<DownloadServer> {
  const child: ChildProcess = spawn(process.execPath, ['-e', SERVER, dir, address], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<string>((ok, fail) => {
    child.stdout!.once('data', (d: Buffer) => ok(d.toString().trim()));
    child.once('exit', (code) => fail(new Error(`download server exited ${code}`)));
  });
  const base = `http://${address}:${port}`;
  return {
    base,
    hits: async () => Number(await (await fetch(`${base}/__hits`)).text()),
    stop: () => {
      child.stdin!.end();
      child.kill();
    },
  };
}
