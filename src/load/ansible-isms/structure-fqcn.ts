// Ansible's structure modules under their FQCN (`ansible.builtin.include_tasks`, `ansible.builtin.meta`,
// …) are fleetplan's structure keys of the same short name: roles written for ansible-lint's
// fqcn rule spell them that way, and the meaning is the same.
import type { MapEntry } from '../yaml.js';
import { STRUCTURE_KEYS } from '../keywords/task.js';
import { shortName } from './modules.js';

const STRUCTURE: readonly string[] = STRUCTURE_KEYS;

/** The entries of a task with an FQCN structure key renamed to its short name (others as they are). */
export function structureShortNames(entries: MapEntry[]): MapEntry[] {
  return entries.map((e) => {
    const short = shortName(e.key);
    return short !== undefined && short !== 'block' && STRUCTURE.includes(short) ? { ...e, key: short } : e;
  });
}
