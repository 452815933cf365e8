// `fleetplan pull` behind an HTTP proxy: the https_proxy / HTTPS_PROXY environment variables (curl's
// and git's names, the lowercase one first, as curl reads them) name an http:// proxy through which
// each https: fetch opens a CONNECT tunnel; no_proxy / NO_PROXY lists the hosts reached directly. TLS
// runs end to end inside the tunnel — the server's certificate is checked exactly as without a proxy,
// so the proxy sees host names and byte counts, never the bundle. Node's own http (CONNECT) and tls:
// no proxy library is among fleetplan's dependencies, and Node 20 reads no proxy variable itself.
import http from 'node:http';
import https from 'node:https';
import { isIP, type Socket } from 'node:net';
import tls from 'node:tls';
import { unreachable } from './errors.js';

/** The proxy for `url` from the environment, or undefined (none set, or `url`'s host is in no_proxy). */
export function proxyFor(url: URL, env: NodeJS.ProcessEnv = process.env): URL | undefined {
  const raw = env.https_proxy || env.HTTPS_PROXY;
  if (!raw || bypassed(url, env.no_proxy || env.NO_PROXY || '')) return undefined;
  let proxy: URL;
  try {
    proxy = new URL(raw.includes('://') ? raw : `http://${raw}`);
  } catch {
    throw unreachable(`HTTPS_PROXY is not a URL: ${shown(raw)}`);
  }
  if (proxy.protocol !== 'http:') throw unreachable(`HTTPS_PROXY must be an http:// proxy (not ${proxy.protocol}): ${proxy.host}`);
  return proxy;
}

/** A proxy URL as messages show it: never its user or password. */
function shown(raw: string): string {
  return raw.replace(/\/\/[^@/]*@/, '//…@');
}

/**
 * no_proxy as curl reads it: `*` bypasses every host; otherwise comma- or space-separated names, each
 * matching the host itself and its subdomains (a leading dot is the same), or an IP address exactly,
 * with an optional `:port` that must then match too.
 */
export function bypassed(url: URL, noProxy: string): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = url.port || '443';
  for (let entry of noProxy.split(/[\s,]+/).filter(Boolean)) {
    if (entry === '*') return true;
    let wantPort: string | undefined;
    const m = /^(.*[^:]):(\d+)$/.exec(entry);
    if (m && !isIP(entry.replace(/^\[|\]$/g, ''))) [entry, wantPort] = [m[1]!, m[2]];
    entry = entry.replace(/^\[|\]$/g, '').replace(/^\*?\./, '').toLowerCase();
    if (wantPort !== undefined && wantPort !== port) continue;
    if (host === entry || (!isIP(host) && host.endsWith(`.${entry}`))) return true;
  }
  return false;
}

/** A socket to `target` (host:port) through `proxy`'s CONNECT tunnel. */
function tunnel(proxy: URL, target: URL, timeoutMs: number): Promise<Socket> {
  const authority = `${target.hostname}:${target.port || 443}`;
  const auth = proxy.username ? { 'proxy-authorization': `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}` } : {};
  const via = `the proxy ${proxy.host} (HTTPS_PROXY)`;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: proxy.hostname.replace(/^\[|\]$/g, ''), port: proxy.port || 80, method: 'CONNECT', path: authority, headers: { host: authority, ...auth }, timeout: timeoutMs });
    req.on('connect', (res, socket) => {
      if (res.statusCode === 200) return resolve(socket);
      socket.destroy();
      reject(unreachable(`cannot fetch ${target.href}: ${via} answered CONNECT with HTTP ${res.statusCode} ${res.statusMessage ?? ''}`.trimEnd()));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    req.on('error', (e) => reject(unreachable(`cannot fetch ${target.href}: ${via}: ${e.message}`, e)));
    req.end();
  });
}

/** The https.get options that send a request for `url` through `proxy` (TLS to the server inside the tunnel). */
export async function viaProxy(proxy: URL, url: URL, timeoutMs: number): Promise<{ agent: https.Agent }> {
  const socket = await tunnel(proxy, url, timeoutMs);
  const agent = new https.Agent({ keepAlive: false });
  // The agent's one connection is TLS over the tunnel, with the request's own TLS options (ca, servername).
  agent.createConnection = (options: tls.ConnectionOptions) => tls.connect({ ...options, socket });
  return { agent };
}
