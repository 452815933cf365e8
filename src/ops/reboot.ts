// reboot: restarts the host and waits until it is back, as Ansible's reboot module — the boot's
// identity (Linux: /proc/sys/kernel/random/boot_id; FreeBSD: kern.boottime) is read in the same exec
// that schedules `shutdown -r now`, then the engine reconnects until the identity differs (a new boot,
// not the old system still going down), takes the run lock again (/var/run was cleared) and runs
// `test_command` until it succeeds — all within reboot_timeout. Every later task's state is read again.
import { z } from 'zod';
import { lazySchema } from './lazy-schema.js';
import { shQuote } from '../core/quote.js';
import type { ExecOutcome, HostHandle, Operation } from './operation.js';
import { commandString } from './path-schema.js';

const schema = lazySchema(() =>
  z
    .object({
      msg: z
        .string()
        .regex(/^[^-\n\r\0][^\n\r\0]*$/, 'one line, not starting with -')
        .default('Reboot initiated by fleetplan')
        .describe('Message shutdown(8) shows logged-in users'),
      pre_reboot_delay: z.number().int().min(0).default(0).describe('Seconds to wait on the host before rebooting'),
      post_reboot_delay: z.number().int().min(0).default(0).describe('Seconds to wait after the host is back, before test_command'),
      reboot_timeout: z.number().int().min(1).default(600).describe('Seconds for the host to go down, come back and pass test_command'),
      test_command: commandString.default('whoami').describe('Run until it succeeds once the host is back (default whoami)'),
      boot_time_command: commandString
        .optional()
        .describe(
          'Prints something that changes with every boot. Default: cat /proc/sys/kernel/random/boot_id (Linux), sysctl -n kern.boottime (FreeBSD). Dry run: "would reboot"; the host is never rebooted, and every later task is reported as depending on the reboot',
        ),
    })
    .strict(),
);

type Args = z.infer<ReturnType<typeof schema>>;

interface Resolved {
  args: Args;
  bootTime: string;
}

const MARK = '@@fleetplan-boot ';

/** The boot identity printed before the reboot is scheduled, from the exec's output. */
export function bootBefore(stdout: string): string | undefined {
  const line = stdout.split('\n').find((l) => l.startsWith(MARK));
  return line?.slice(MARK.length).trim();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Reconnects until the boot identity differs from `before`; throws at the deadline. */
async function awaitNewBoot(host: HostHandle, bootTime: string, before: string, deadline: number): Promise<string> {
  let last = 'the host did not answer';
  while (Date.now() < deadline) {
    await sleep(1000);
    if (host.interrupted()) throw new Error('interrupted while waiting');
    try {
      await host.reconnect();
      const r = await host.script(bootTime, { timeoutMs: 10_000 });
      const now = r.stdout.trim();
      if (r.exitCode === 0 && now !== '' && now !== before) return now;
      last = r.exitCode === 0 ? 'still the boot from before the reboot' : `boot_time_command exited ${r.exitCode}`;
    } catch (err) {
      last = (err as Error).message.split('\n')[0]!;
    }
  }
  throw new Error(last);
}

export const reboot: Operation<Args, Resolved> = {
  name: 'reboot',
  summary: 'Reboot the host and wait until it is back (a new boot, then test_command)',
  get schema() {
    return schema();
  },
  resolve(args, ctx) {
    const bootTime = args.boot_time_command ?? (ctx.facts.system === 'FreeBSD' ? 'sysctl -n kern.boottime' : 'cat /proc/sys/kernel/random/boot_id');
    return { args, bootTime };
  },
  queries: () => [],
  plan({ args: a, bootTime }) {
    // The identity first, then the reboot in the background (at least 1 s later, so this exec ends first).
    // In braces: a bare `&` would put the whole && list, the printf too, in the background.
    const later = `{ ( trap '' HUP; sleep ${Math.max(1, a.pre_reboot_delay)}; shutdown -r now ${shQuote(a.msg)} ) </dev/null >/dev/null 2>&1 & }`;
    const command = `_fp_b=$(${bootTime}) && printf '%s%s\\n' ${shQuote(MARK)} "$_fp_b" && ${later}`;
    return {
      changes: [{ kind: 'run', description: `reboot (wait up to ${a.reboot_timeout} s for a new boot, then ${a.test_command})`, command }],
      reason: `reboot, then wait up to ${a.reboot_timeout} s for the host to come back`,
      effects: { unpredictable: 'restarts-the-host' },
    };
  },
  async awaitHost({ args: a, bootTime }, outcome: ExecOutcome, host) {
    const before = bootBefore(outcome.stdout);
    if (!before) return { failed: `could not read the boot identity before rebooting (${bootTime})` };
    const deadline = Date.now() + a.reboot_timeout * 1000;
    try {
      await awaitNewBoot(host, bootTime, before, deadline);
    } catch (err) {
      return { failed: `the host did not come back with a new boot within ${a.reboot_timeout} s: ${(err as Error).message}` };
    }
    await host.relock();
    if (a.post_reboot_delay) await sleep(a.post_reboot_delay * 1000);
    let last = '';
    do {
      if (host.interrupted()) return { failed: 'interrupted while waiting for test_command to succeed' };
      const r = await host.script(a.test_command, { timeoutMs: 30_000 });
      if (r.exitCode === 0) return {};
      last = `exit ${r.exitCode}: ${r.stderr.trim().split('\n').slice(-2).join(' ')}`;
      await sleep(1000);
    } while (Date.now() < deadline);
    return { failed: `back after the reboot, but test_command (${a.test_command}) kept failing: ${last}` };
  },
};
