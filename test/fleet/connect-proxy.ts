// A tiny HTTP CONNECT proxy, run as its own process by bundle-server.ts (inside a test host's network
// namespace, like the bundle servers): `node connect-proxy.js <addr> <port>` opens a tunnel for each
// CONNECT, logs "CONNECT <host:port>" to stderr and prints "ready" once it listens. Anything but
// CONNECT is 405. For `fleetplan pull` behind HTTPS_PROXY (test/integration/pull-node.test.ts).
import { createServer } from 'node:http';
import net from 'node:net';

const [addr, port] = process.argv.slice(2);
const server = createServer((_req, res) => res.writeHead(405).end());
server.on('connect', (req, client: net.Socket) => {
  const target = req.url ?? '';
  process.stderr.write(`CONNECT ${target}\n`);
  const at = target.lastIndexOf(':');
  const upstream = net.connect(Number(target.slice(at + 1)), target.slice(0, at), () => {
    client.write('HTTP/1.1 200 Connection established\r\n\r\n');
    upstream.pipe(client);
    client.pipe(upstream);
  });
  upstream.on('error', () => client.destroy());
  client.on('error', () => upstream.destroy());
});
server.listen(Number(port), addr, () => process.stdout.write('ready\n'));
