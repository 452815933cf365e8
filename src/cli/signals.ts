// Ctrl-C and SIGTERM during a run: the first asks the engine to stop starting work, the second to
// abort (src/engine/interrupt.ts); a third, should the abort itself hang, exits at once. Handlers are
// installed only while a run is in progress: before it there is nothing to clean up.
import { ExitCode } from '../core/errors.js';
import { Interrupt, type InterruptSignal } from '../engine/interrupt.js';

/** The documented exit status of a run stopped by this signal (docs/usage.md "Exit codes"). */
export function signalExitCode(signal: InterruptSignal): number {
  return signal === 'SIGINT' ? ExitCode.interrupted : ExitCode.terminated;
}

/** Routes SIGINT/SIGTERM into an Interrupt until `release()` is called. */
export function watchSignals(): { interrupt: Interrupt; release: () => void } {
  const interrupt = new Interrupt();
  const onSignal = (signal: InterruptSignal) => {
    if (interrupt.hard) process.exit(signalExitCode(interrupt.signal ?? signal));
    interrupt.request(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    interrupt,
    release: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
