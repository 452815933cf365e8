// `fleetplan pull` behind an HTTP proxy: the https_proxy / HTTPS_PROXY environment variables (curl's
// and git's names, the lowercase one first, as curl reads them) name an http:// proxy through which
// each https: fetch opens a CONNECT tunnel (https-proxy-agent); no_proxy / NO_PROXY lists the hosts
// reached directly (proxy-from-env decides). TLS runs end to end inside the tunnel — the server's
// certificate is checked exactly as without a proxy, so the proxy sees host names and byte counts,
// never the bundle. Node 20 reads no proxy variable itself.
import { isIP } from 'node:net';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import type { HttpsProxyAgent } from 'https-proxy-agent';
import { getProxyForUrl } from 'proxy-from-env';
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
 * curl's no_proxy forms in proxy-from-env's: curl matches a name's subdomains too (with or without a
 * leading dot or `*.`), proxy-from-env only with a leading dot; an IPv6 address is bracketed (as the
 * URL's host is) so that its last group is not read as a port.
 */
function asProxyFromEnv(noProxy: string): string {
  return noProxy
    .split(/[\s,]+/)
    .filter(Boolean)
    .flatMap((entry) => {
      if (entry === '*') return ['*'];
      const unbracketed = entry.replace(/^\[|\]$/g, '');
      if (isIP(unbracketed) === 6) return [`[${unbracketed}]`];
      // "name:port", "[v6]:port", "name": the port stays with each form.
      const [, name, port = ''] = /^(.*?)(:\d+)?$/.exec(entry)!;
      const host = name!.replace(/^\*?\./, '');
      return isIP(host.replace(/^\[|\]$/g, '')) ? [`${host}${port}`] : [`${host}${port}`, `.${host}${port}`];
    })
    .join(',');
}

/**
 * no_proxy as curl reads it: `*` bypasses every host; otherwise comma- or space-separated names, each
 * matching the host itself and its subdomains (a leading dot is the same), or an IP address exactly,
 * with an optional `:port` that must then match too. proxy-from-env reads only process.env: it is
 * given one holding just these two variables for the call (synchronous: nothing else runs meanwhile).
 */
export function bypassed(url: URL, noProxy: string): boolean {
  const saved = process.env;
  process.env = { no_proxy: asProxyFromEnv(noProxy), https_proxy: 'http://proxy.invalid' };
  try {
    return getProxyForUrl(url.href) === '';
  } finally {
    process.env = saved;
  }
}

/**
 * The agent that sends a request for `url` through `proxy`'s CONNECT tunnel (TLS to the server inside
 * it), and how to tell a failure of the proxy from one of the server: `proxyError` is the message a
 * request error or a refused CONNECT becomes while the tunnel is not open yet.
 */
export async function viaProxy(proxy: URL, url: URL): Promise<{
  agent: HttpsProxyAgent<string>;
  checkServerIdentity: (host: string, cert: PeerCertificate) => Error | undefined;
  tunnelOpen: () => boolean;
  refusal: () => string | undefined;
  proxyError: (e: Error) => Error;
}> {
  // Loaded only when a proxy is used: every other command starts without evaluating it (and its debug).
  const { HttpsProxyAgent } = await import('https-proxy-agent');
  // The credentials go in the CONNECT request's header only: the agent's URL (which its debug log
  // prints) carries none.
  const bare = new URL(proxy.href);
  [bare.username, bare.password] = ['', ''];
  const auth = proxy.username ? { 'Proxy-Authorization': `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}` } : {};
  const agent = new HttpsProxyAgent(bare.href, { headers: auth, keepAlive: false });
  const via = `the proxy ${proxy.host} (HTTPS_PROXY)`;
  let status: number | undefined;
  let statusText = '';
  agent.on('proxyConnect', (connect: { statusCode: number; statusText?: string }) => {
    status = connect.statusCode;
    statusText = connect.statusText ?? '';
  });
  return {
    agent,
    // TLS inside the tunnel is given no host (the agent leaves it out), so for an IP address Node would
    // check the certificate against "localhost": it is checked against the URL's host, as without a proxy.
    checkServerIdentity: (_host, cert) => checkServerIdentity(url.hostname.replace(/^\[|\]$/g, ''), cert),
    tunnelOpen: () => status === 200,
    refusal: () => (status !== undefined && status !== 200 ? `cannot fetch ${url.href}: ${via} answered CONNECT with HTTP ${status} ${statusText}`.trimEnd() : undefined),
    proxyError: (e) => unreachable(`cannot fetch ${url.href}: ${via}: ${e.message}`, e),
  };
}
