// The bench's delaying proxy (test/fleet/delay-proxy.ts) against a local echo server: bytes arrive
// in order, the delay applies both ways (lower bounds only: a loaded machine is only ever slower),
// and the round-trip count is the number of request/response turns — pipelined requests turn once.
// Listens on 127.0.51.1 (the proxy tests' loopback range), ephemeral ports.
import assert from 'node:assert/strict';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { after, before, test } from 'node:test';
import { startDelayProxy, type DelayProxy } from '../fleet/delay-proxy.js';

const HOST = '127.0.51.1';
let echo: net.Server;
let echoPort = 0;
/** When the echo server received its first bytes on each connection (performance.now()). */
const firstSeen: number[] = [];
const proxies: DelayProxy[] = [];

before(async () => {
  echo = net.createServer({ allowHalfOpen: true }, (s) => {
    let seen = false;
    s.on('data', (d) => {
      if (!seen) firstSeen.push(performance.now());
      seen = true;
      s.write(d);
    });
    s.on('end', () => s.end());
  });
  await new Promise<void>((r) => echo.listen(0, HOST, r));
  echoPort = (echo.address() as net.AddressInfo).port;
});

after(async () => {
  await Promise.all(proxies.map((p) => p.close()));
  await new Promise<void>((r) => echo.close(() => r()));
});

async function proxy(rttMs: number): Promise<DelayProxy> {
  const p = await startDelayProxy({ target: { host: HOST, port: echoPort }, rttMs, listen: { host: HOST } });
  proxies.push(p);
  return p;
}

/** A client that sends `line` and waits until `want` bytes came back. */
class Client {
  private got = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  readonly closed: Promise<void>;
  constructor(readonly sock: net.Socket) {
    sock.on('data', (d: Buffer) => {
      this.got = Buffer.concat([this.got, d]);
      for (const w of this.waiters.splice(0)) w();
    });
    this.closed = new Promise((r) => sock.on('close', () => r()));
  }
  static async open(p: DelayProxy): Promise<Client> {
    const s = net.connect({ host: p.host, port: p.port, allowHalfOpen: true });
    await new Promise<void>((r) => s.once('connect', () => r()));
    return new Client(s);
  }
  async until(bytes: number): Promise<Buffer> {
    while (this.got.length < bytes) await new Promise<void>((r) => this.waiters.push(r));
    return this.got;
  }
  async end(): Promise<void> {
    this.sock.end();
    await this.closed;
  }
}

test('bytes arrive in the order they were sent, both ways, through many small writes', async () => {
  const p = await proxy(20);
  const c = await Client.open(p);
  const parts = Array.from({ length: 500 }, (_, i) => `${i};`);
  for (const part of parts) c.sock.write(part);
  const got = await c.until(parts.join('').length);
  assert.equal(got.toString(), parts.join(''));
  await c.end();
  assert.equal(p.connections[0]!.bytesUp, parts.join('').length);
  assert.equal(p.connections[0]!.bytesDown, parts.join('').length);
});

test('the delay applies both ways, and the emulated TCP handshake before the first byte reaches the server', async () => {
  const rtt = 200;
  const p = await proxy(rtt);
  const t0 = performance.now();
  const c = await Client.open(p);
  const seenBefore = firstSeen.length;
  c.sock.write('a');
  await c.until(1);
  const first = performance.now() - t0;
  // Handshake (1 RTT) + up (RTT/2) before the server sees it, then down (RTT/2).
  assert.ok(firstSeen[seenBefore]! - t0 >= 1.5 * rtt - 5, `server saw the first byte after ${(firstSeen[seenBefore]! - t0).toFixed(0)} ms`);
  assert.ok(first >= 2 * rtt - 5, `first answer after ${first.toFixed(0)} ms`);
  const t1 = performance.now();
  c.sock.write('b');
  await c.until(2);
  assert.ok(performance.now() - t1 >= rtt - 5, `a later exchange takes an RTT: ${(performance.now() - t1).toFixed(0)} ms`);
  await c.end();
});

test('round trips: the handshake, each request/response turn, and the close; pipelined requests turn once', async () => {
  const p = await proxy(10);
  const seq = await Client.open(p);
  for (let i = 1; i <= 5; i++) {
    seq.sock.write(`req${i}`);
    await seq.until(4 * i);
  }
  await seq.end();
  // TCP handshake + 5 exchanges + the close (the client's end answered by the server's).
  assert.equal(p.connections[0]!.roundTrips, 1 + 5 + 1);
  assert.ok(p.connections[0]!.closedAt !== undefined, 'both directions ended');

  const pipe = await Client.open(p);
  for (let i = 1; i <= 5; i++) pipe.sock.write(`req${i}`);
  await pipe.until(20);
  await pipe.end();
  assert.equal(p.connections[1]!.roundTrips, 1 + 1 + 1, 'five requests sent without waiting: one turn');
  assert.equal(p.connections.length, 2, 'one record per connection');
});

test('an unreachable target resets the client and is recorded', async () => {
  const dead = net.createServer();
  await new Promise<void>((r) => dead.listen(0, HOST, r));
  const port = (dead.address() as net.AddressInfo).port;
  await new Promise<void>((r) => dead.close(() => r()));
  const p = await startDelayProxy({ target: { host: HOST, port }, rttMs: 0, listen: { host: HOST } });
  proxies.push(p);
  const s = net.connect({ host: p.host, port: p.port });
  await new Promise<void>((r) => s.on('close', () => r()).on('error', () => undefined));
  assert.match(p.connections[0]!.error ?? '', /upstream: .*ECONNREFUSED/);
});
