// --json's "groups": each distinct change of the run once, with its hosts and their own values
// (src/report/group.ts), in the words of the per-host tasks ("name", "operation", "diff", ...).
import type { FileDiff } from '../core/change.js';
import type { ChangeGroup, HostValues } from './group.js';

export interface JsonGroup {
  name: string;
  role?: string;
  play: string;
  operation: string;
  handler: boolean;
  status: ChangeGroup['status'];
  ignored?: boolean;
  reason?: string;
  depends_on?: string;
  error?: string;
  commands?: string[];
  diff?: FileDiff[];
  /** How many hosts share this change, and which (inventory order). */
  count: number;
  hosts: string[];
  /** Per host, each placeholder of the texts above with the host's value. */
  values?: Record<string, HostValues>;
}

export function jsonGroups(groups: ChangeGroup[]): JsonGroup[] {
  return groups.map((g) => {
    const commands = g.changes.flatMap((c) => (c.kind === 'run' ? [c.command] : []));
    const diffs = g.changes.flatMap((c) => (c.diff ? [c.diff] : []));
    return {
      name: g.task,
      role: g.role,
      play: g.play,
      operation: g.operation,
      handler: g.handler,
      status: g.status,
      ignored: g.ignored,
      reason: g.reason,
      depends_on: g.dependsOn,
      error: g.error,
      commands: commands.length ? commands : undefined,
      diff: diffs.length ? diffs : undefined,
      count: g.hosts.length,
      hosts: g.hosts,
      values: Object.keys(g.values).length ? g.values : undefined,
    };
  });
}
