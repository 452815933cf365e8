// Users and groups, read with `id` and `getent`, which Linux and FreeBSD both have.
import { shQuote } from '../core/quote.js';
import type { StateQuery } from './query.js';
import { resourceKey, type ResourceId } from './resource.js';

export interface UserState {
  exists: boolean;
  uid?: number;
  primaryGroup?: string;
  /** Every group the user is in, primary first. */
  groups: string[];
}

export const userResource = (name: string): ResourceId => ({ kind: 'user', name });

/** The account databases (Linux, FreeBSD) and how they are looked up. */
const ACCOUNT_PATHS = ['/etc/passwd', '/etc/shadow', '/etc/group', '/etc/gshadow', '/etc/master.passwd', '/etc/pwd.db', '/etc/spwd.db', '/etc/nsswitch.conf'];
export const groupResource = (name: string): ResourceId => ({ kind: 'group', name });

export function userQuery(name: string): StateQuery<UserState> {
  const u = shQuote(name);
  return {
    key: resourceKey(userResource(name)),
    resource: userResource(name),
    paths: ACCOUNT_PATHS,
    script: `if id -- ${u} >/dev/null 2>&1; then echo "$(id -u -- ${u})"; id -Gn -- ${u}; else echo absent; fi`,
    parse(out) {
      const [first, groups = ''] = out.toString().trim().split('\n');
      if (first === 'absent') return { exists: false, groups: [] };
      const list = groups.trim().split(/\s+/).filter(Boolean);
      return { exists: true, uid: Number(first), primaryGroup: list[0], groups: list };
    },
  };
}

export function groupQuery(name: string): StateQuery<{ exists: boolean; gid?: number }> {
  return {
    key: resourceKey(groupResource(name)),
    resource: groupResource(name),
    paths: ACCOUNT_PATHS,
    script: `getent group ${shQuote(name)} || true`,
    parse(out) {
      const line = out.toString().trim();
      if (!line) return { exists: false };
      return { exists: true, gid: Number(line.split(':')[2]) };
    },
  };
}
