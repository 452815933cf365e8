// Fetching over HTTPS, for `fleetplan pull`: the bundle and its detached digest. Only https: (a
// redirect too), the server's certificate checked against --ca-file when given (else Node's built-in
// list of public CAs), a size limit and a time limit, so a hostile or broken server cannot fill the
// disk or hang a timer-started pull. Through an HTTP proxy when https_proxy says so (proxy.ts).
import https from 'node:https';
import { unreachable, refused } from './errors.js';
import { proxyFor, viaProxy } from './proxy.js';

export interface FetchOptions {
  /** PEM certificates to trust instead of Node's built-in CA list. */
  ca?: Buffer;
  maxBytes: number;
  timeoutMs: number;
}

const MAX_REDIRECTS = 5;

/** The URL parsed, https only: the digest check means little when an attacker can rewrite the bundle's own transport. */
export function httpsUrl(value: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw refused(`${what} is not a URL: ${value}`);
  }
  if (url.protocol !== 'https:') throw refused(`${what} must be an https: URL (not ${url.protocol}): ${value}`);
  if (url.username || url.password) throw refused(`${what} must not carry a user or password (it would be in the run record): ${url.origin}`);
  return url;
}

/** The body of a 200 response to GET url (following up to 5 https redirects). */
export async function fetchHttps(url: URL, opts: FetchOptions, redirects = 0): Promise<Buffer> {
  // Behind a proxy (https_proxy, no_proxy: proxy.ts), the request travels in a CONNECT tunnel.
  const proxy = proxyFor(url);
  const via = proxy ? await viaProxy(proxy, url) : undefined;
  const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
    let connectTimer: NodeJS.Timeout | undefined;
    const req = https.get(url, { ca: opts.ca, timeout: opts.timeoutMs, headers: { 'user-agent': 'fleetplan-pull' }, ...(via ? { agent: via.agent, checkServerIdentity: via.checkServerIdentity } : {}) }, (r) => {
      clearTimeout(connectTimer);
      const refusal = via?.refusal();
      if (refusal === undefined) return resolve(r);
      r.resume();
      reject(unreachable(refusal));
    });
    // A proxy that takes the connection and never answers CONNECT: the socket's idle timeout starts only once the tunnel is open.
    if (via) connectTimer = setTimeout(() => req.destroy(new Error(`no answer within ${opts.timeoutMs / 1000} s`)), opts.timeoutMs);
    req.on('timeout', () => req.destroy(new Error(`no answer within ${opts.timeoutMs / 1000} s`)));
    req.on('error', (e) => {
      clearTimeout(connectTimer);
      reject(via && !via.tunnelOpen() ? via.proxyError(e) : unreachable(`cannot fetch ${url.href}: ${e.message}`, e));
    });
  });
  const status = res.statusCode ?? 0;
  if (status >= 300 && status < 400 && res.headers.location) {
    res.resume();
    if (redirects >= MAX_REDIRECTS) throw unreachable(`cannot fetch ${url.href}: more than ${MAX_REDIRECTS} redirects`);
    return fetchHttps(httpsUrl(new URL(res.headers.location, url).href, `the redirect from ${url.href}`), opts, redirects + 1);
  }
  if (status !== 200) {
    res.resume();
    throw unreachable(`cannot fetch ${url.href}: HTTP ${status} ${res.statusMessage ?? ''}`.trimEnd());
  }
  return readBody(res, url, opts);
}

function readBody(res: import('node:http').IncomingMessage, url: URL, opts: FetchOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const timer = setTimeout(() => res.destroy(new Error(`not received within ${opts.timeoutMs / 1000} s`)), opts.timeoutMs);
    res.on('data', (c: Buffer) => {
      total += c.length;
      if (total > opts.maxBytes) {
        res.destroy();
        clearTimeout(timer);
        reject(refused(`${url.href} is larger than ${opts.maxBytes} bytes, the most a pull accepts`));
      } else chunks.push(c);
    });
    res.on('error', (e) => (clearTimeout(timer), reject(unreachable(`cannot fetch ${url.href}: ${e.message}`, e))));
    res.on('end', () => (clearTimeout(timer), resolve(Buffer.concat(chunks))));
  });
}
