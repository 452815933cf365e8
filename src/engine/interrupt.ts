// Ctrl-C and SIGTERM as the engine sees them. The first signal stops the run from starting work —
// no new host, no new task or handler — while each host's running command ends on its own, so
// nothing is cut in half and every host still connected releases its run lock. A second signal
// aborts: the run ends at once, without waiting for (or releasing the locks of) hosts still busy.
// The engine never installs signal handlers itself: the command line feeds this object.

export type InterruptSignal = 'SIGINT' | 'SIGTERM';

export class Interrupt {
  /** The first signal received; undefined while the run goes on normally. */
  signal?: InterruptSignal;
  /** A second signal came: stop waiting for anything. */
  hard = false;
  private readonly listeners = new Set<() => void>();
  private wakeStop!: () => void;
  private wakeAbort!: () => void;
  /** Settles at the first signal. */
  readonly stopping = new Promise<void>((r) => (this.wakeStop = r));
  /** Settles at the second signal. */
  readonly aborting = new Promise<void>((r) => (this.wakeAbort = r));

  /** A signal arrived: the first stops new work, the second aborts. */
  request(signal: InterruptSignal): void {
    if (!this.signal) {
      this.signal = signal;
      this.wakeStop();
    } else if (!this.hard) {
      this.hard = true;
      this.wakeAbort();
    } else return;
    for (const l of this.listeners) l();
  }

  /** Called at each signal (after the state above changed); returns the unsubscribe. */
  onSignal(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** "SIGINT (Ctrl-C)" / "SIGTERM", for messages. */
export function signalName(signal: InterruptSignal): string {
  return signal === 'SIGINT' ? 'SIGINT (Ctrl-C)' : 'SIGTERM';
}
