// A delaying TCP proxy: what a fleet 100 ms away looks like, on a kernel without netem. Each
// accepted connection gets its own upstream connection; bytes (and the end of each direction) are
// forwarded in order, each after RTT/2, both ways. The TCP handshake is emulated too: the client's
// connect to the proxy completes at once (loopback), so nothing it sends reaches the server before
// the handshake would have completed (one RTT) plus the trip (RTT/2), and the upstream connect
// waits the same 1.5 RTT — the moment the server would see the connection. The server's banner then
// reaches the client 2 RTT after its connect, as over a real link.
//
// It counts ROUND TRIPS per connection: the emulated TCP handshake is one, then every turn of the
// conversation — something from the client followed by something from the server (data or the end
// of its stream), in the order the proxy received them — is one more. That is the number of times a
// strictly request/response client waits an RTT; sending without waiting (pipelining) does not turn.
// Used by the bench (`npm run bench -- --rtt 100`) and the round-trip tests.
import net from 'node:net';
import { performance } from 'node:perf_hooks';

export interface ConnectionRecord {
  /** When the client connected (ms, performance.now()). */
  openedAt: number;
  /** When both directions had ended, or undefined while open. */
  closedAt?: number;
  /** The TCP handshake (1) plus every client→server then server→client turn. */
  roundTrips: number;
  bytesUp: number;
  bytesDown: number;
  /** The upstream connect failed (the client's connection was reset). */
  error?: string;
}

export interface DelayProxy {
  /** Where clients connect. */
  host: string;
  port: number;
  rttMs: number;
  /** Every connection accepted so far, in order. */
  connections: ConnectionRecord[];
  close(): Promise<void>;
}

type Item = { at: number; chunk?: Buffer };

/**
 * One direction of one connection: items delivered in order, none before its time. One timer at a
 * time for the head of the queue, so equal or close deadlines can never swap (Node's timer lists
 * do not promise an order across different durations).
 */
class DelayedPipe {
  private readonly queue: Item[] = [];
  private timer?: NodeJS.Timeout;
  private ended = false;

  constructor(private readonly deliver: (chunk: Buffer | undefined) => void) {}

  /** `chunk` undefined: the end of this direction. */
  push(at: number, chunk?: Buffer): void {
    if (this.ended) return;
    if (!chunk) this.ended = true;
    const last = this.queue[this.queue.length - 1];
    this.queue.push({ at: Math.max(at, last?.at ?? 0), chunk });
    this.schedule();
  }

  /** Nothing more is delivered. */
  stop(): void {
    clearTimeout(this.timer);
    this.queue.length = 0;
  }

  private schedule(): void {
    if (this.timer || !this.queue.length) return;
    const wait = Math.max(0, this.queue[0]!.at - performance.now());
    this.timer = setTimeout(() => this.flush(), wait);
  }

  private flush(): void {
    this.timer = undefined;
    const now = performance.now();
    while (this.queue.length && this.queue[0]!.at <= now + 0.5) this.deliver(this.queue.shift()!.chunk);
    this.schedule();
  }
}

export interface DelayProxyOptions {
  target: { host: string; port: number };
  rttMs: number;
  /** Listen address (loopback); port 0 (default) picks a free one. */
  listen?: { host: string; port?: number };
  /** Every chunk (bytes 0: the end of that direction) as the proxy receives it: to see where turns come from. */
  trace?: (conn: number, dir: 'up' | 'down', bytes: number, atMs: number) => void;
}

export async function startDelayProxy(opts: DelayProxyOptions): Promise<DelayProxy> {
  const half = opts.rttMs / 2;
  const connections: ConnectionRecord[] = [];
  const sockets = new Set<net.Socket>();
  // allowHalfOpen: one side's end is forwarded after its delay, not applied at once.
  const server = net.createServer({ noDelay: true, allowHalfOpen: true }, (client) => {
    const t0 = performance.now();
    const rec: ConnectionRecord = { openedAt: t0, roundTrips: 1, bytesUp: 0, bytesDown: 0 };
    connections.push(rec);
    let last: 'up' | 'down' | undefined;
    const index = connections.length - 1;
    const turn = (dir: 'up' | 'down', bytes = 0) => {
      opts.trace?.(index, dir, bytes, performance.now() - t0);
      if (dir === 'down' && last === 'up') rec.roundTrips++;
      last = dir;
    };
    const upstream = new net.Socket({ allowHalfOpen: true });
    let connecting = false;
    const connectUp = () => {
      if (connecting || client.destroyed) return;
      connecting = true;
      upstream.connect({ host: opts.target.host, port: opts.target.port });
    };
    sockets.add(client).add(upstream);
    let ends = 0;
    const ended = () => {
      if (++ends === 2) rec.closedAt = performance.now();
    };
    const toServer = new DelayedPipe((chunk) => {
      connectUp();
      if (chunk) upstream.write(chunk);
      else upstream.end();
    });
    const toClient = new DelayedPipe((chunk) => {
      if (chunk) client.write(chunk);
      else client.end();
    });
    const fail = (why: string) => {
      rec.error ??= why;
      toServer.stop();
      toClient.stop();
      client.destroy();
      upstream.destroy();
    };
    // The client may send before the emulated handshake is over: it reaches the server after it.
    const upAt = () => Math.max(performance.now(), t0 + opts.rttMs) + half;
    client.on('data', (d: Buffer) => {
      rec.bytesUp += d.length;
      turn('up', d.length);
      toServer.push(upAt(), d);
    });
    client.on('end', () => {
      turn('up');
      toServer.push(upAt());
      ended();
    });
    upstream.on('data', (d: Buffer) => {
      rec.bytesDown += d.length;
      turn('down', d.length);
      toClient.push(performance.now() + half, d);
    });
    upstream.on('end', () => {
      turn('down');
      toClient.push(performance.now() + half);
      ended();
    });
    client.on('error', () => fail('client reset'));
    upstream.on('error', (e) => fail(`upstream: ${e.message}`));
    client.on('close', () => sockets.delete(client));
    upstream.on('close', () => sockets.delete(upstream));
    upstream.setNoDelay(true);
    setTimeout(connectUp, 1.5 * opts.rttMs);
  });
  const listenHost = opts.listen?.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.listen?.port ?? 0, listenHost, () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    host: listenHost,
    port,
    rttMs: opts.rttMs,
    connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
