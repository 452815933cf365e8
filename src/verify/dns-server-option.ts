// `--dns-server`: what the option accepts, checked on the command line before anything loads.
import { isIP } from 'node:net';

/** `--dns-server` as typed: an IP address with an optional port. */
export function dnsServerValid(server: string): boolean {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(server) ?? /^([^:]+):(\d{1,5})$/.exec(server);
  const [addr, port] = m ? [m[1]!, Number(m[2])] : [server, 53];
  return isIP(addr) !== 0 && port >= 1 && port <= 65535;
}
