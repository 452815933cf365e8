// A tiny HTTPS file server, run as its own process by bundle-server.ts (inside a test host's network
// namespace, or on the controller's loopback): `node https-static.js <cert> <key> <port> <addr>=<dir> …`
// serves the plain files of each <dir> at https://<addr>:<port>/<name>, and prints "ready" once every
// address listens. Only names without '/' are served; anything else is 404. Requests are logged to stderr.
import { readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:https';
import path from 'node:path';

const [cert, key, port, ...pairs] = process.argv.slice(2);
let listening = 0;
for (const pair of pairs) {
  const [addr, dir] = pair.split('=') as [string, string];
  const server = createServer({ cert: readFileSync(cert!), key: readFileSync(key!) }, (req, res) => {
    const name = decodeURIComponent((req.url ?? '/').slice(1));
    const file = path.join(dir, name);
    process.stderr.write(`${addr} ${req.method} ${req.url}\n`);
    if (req.method !== 'GET' || !name || name.includes('/') || name.startsWith('.')) return res.writeHead(404).end();
    try {
      if (!statSync(file).isFile()) return res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(readFileSync(file));
    } catch {
      res.writeHead(404).end();
    }
  });
  server.listen(Number(port), addr, () => {
    if (++listening === pairs.length) process.stdout.write('ready\n');
  });
}
