// wait_for: wait until a TCP port on (or reachable from) the managed host is open or closed, a path
// exists or is gone, or a file holds a line matching a regex — with a timeout. It observes and
// changes nothing: ok when the condition came true in time, failed otherwise. One script on the host
// polls; how it probes a port is decided there by what the host has (nc, as FreeBSD's base and most
// Linux hosts; else bash's /dev/tcp), so the same script serves every OS.
import { z } from 'zod';
import { lazySchema } from './lazy-schema.js';
import { shQuote } from '../core/quote.js';
import type { Operation } from './operation.js';
import { absolutePath } from './path-schema.js';

/** A host name or an IPv4/IPv6 address: data, quoted, never shell — and never an option of nc (no leading '-'). */
const hostName = z
  .string()
  .regex(/^[A-Za-z0-9_.:][A-Za-z0-9_.:-]{0,252}$/, "expected a host name or an IP address, not starting with '-' (nc would read it as an option)");
const seconds = z.int().min(0).max(86_400);

const schema = lazySchema(() =>
  z
    .object({
      port: z.int().min(1).max(65535).optional().describe('TCP port to wait for (on host)'),
      host: hostName.default('127.0.0.1').describe('Address the port is probed on, from the managed host (default 127.0.0.1)'),
      path: absolutePath.optional().describe('Path on the managed host to wait for'),
      state: z
        .enum(['started', 'stopped', 'present', 'absent'])
        .optional()
        .describe('port: started (open, default) or stopped (closed); path: present (default) or absent (present/started and absent/stopped are the same, as Ansible)'),
      search_regex: z.string().min(1).max(4096).optional().describe('With path: wait until a line of the file matches this extended regex'),
      timeout: seconds.default(300).describe('Seconds to wait before failing (default 300)'),
      delay: seconds.default(0).describe('Seconds to wait before the first check'),
      sleep: z.int().min(1).max(3600).default(1).describe('Seconds between checks (default 1)'),
      msg: z.string().optional().describe('Message of the failure when the timeout passes'),
    })
    .strict()
    .refine((a) => (a.port === undefined) !== (a.path === undefined), { message: 'give exactly one of port or path', path: ['port'] })
    .refine((a) => a.search_regex === undefined || a.path !== undefined, { message: 'search_regex needs path', path: ['search_regex'] })
    .refine((a) => a.search_regex === undefined || a.state === undefined || a.state === 'present' || a.state === 'started', {
      message: 'search_regex waits for a match: state must be present',
      path: ['state'],
    }),
);

type Args = z.infer<ReturnType<typeof schema>>;

/** What is waited for, in words ("port 25 on 127.0.0.1 to be open"), and the sh test that is true once it holds. */
function condition(a: Args): { what: string; test: string } {
  const gone = a.state === 'stopped' || a.state === 'absent';
  if (a.port !== undefined) {
    const probe = `fp_port_open ${shQuote(a.host)} ${a.port}`;
    return { what: `port ${a.port} on ${a.host} to be ${gone ? 'closed' : 'open'}`, test: gone ? `! ${probe}` : probe };
  }
  const path = shQuote(a.path!);
  if (a.search_regex !== undefined) {
    return { what: `${a.path} to match /${a.search_regex}/`, test: `[ -f ${path} ] && grep -Eq -e ${shQuote(a.search_regex)} -- ${path}` };
  }
  return { what: `${a.path} to be ${gone ? 'absent' : 'present'}`, test: gone ? `! [ -e ${path} ] && ! [ -L ${path} ]` : `[ -e ${path} ]` };
}

/** The poll loop: true at once → exit 0; past the deadline → the message on stderr, exit 1. */
function waitScript(a: Args, test: string, failure: string): string {
  return [
    // A port probe: nc -z where the host has it (FreeBSD base, most Linux), else bash's /dev/tcp.
    `fp_port_open() { if command -v nc >/dev/null 2>&1; then nc -z -w 2 "$1" "$2" </dev/null >/dev/null 2>&1; ` +
      `else bash -c 'exec 3<>"/dev/tcp/$1/$2"' fp "$1" "$2" </dev/null >/dev/null 2>&1; fi; }`,
    `fp_start=$(date +%s); sleep ${a.delay}`,
    'while :; do',
    `  if ${test}; then exit 0; fi`,
    `  if [ $(( $(date +%s) - fp_start )) -ge ${a.delay + a.timeout} ]; then echo ${shQuote(failure)} >&2; exit 1; fi`,
    `  sleep ${a.sleep}`,
    'done',
  ].join('\n');
}

export const waitFor: Operation<Args, Args> = {
  name: 'wait_for',
  summary: 'Wait for a port to open or close, a path to appear or go, or a regex in a file (with a timeout); changes nothing',
  get schema() {
    return schema();
  },
  observesOnly: true,
  resolve: (args) => args,
  queries: () => [],
  plan(a) {
    const { what, test } = condition(a);
    const failure = a.msg ?? `timed out after ${a.timeout} s waiting for ${what}`;
    return {
      changes: [{ kind: 'run', description: `wait for ${what}`, command: waitScript(a, test, failure) }],
      reason: `wait for ${what} (at most ${a.timeout} s)`,
      effects: {},
    };
  },
  interpret(_a, outcome) {
    if (outcome.exitCode === 0) return { changed: false };
    return { changed: false, failed: outcome.stderr.trim().split('\n').slice(-3).join('\n') || `exited ${outcome.exitCode}` };
  },
};
