// A reporter subscribes to engine events. Several can listen to one run (console + JSON + ...).
import type { RunEvent } from '../engine/events.js';

export interface Reporter {
  handle(event: RunEvent): void;
}

export function fanOut(reporters: Reporter[]): (e: RunEvent) => void {
  return (e) => {
    for (const r of reporters) r.handle(e);
  };
}
