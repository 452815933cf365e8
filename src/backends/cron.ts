// Users' crontabs through crontab(1), which validates the table and tells the cron daemon: Debian's
// and CentOS's (cronie) and FreeBSD's crontab all take `-u user -l` to list and `-u user -` to
// replace from stdin, and print nothing (exit 1, "no crontab for user") when there is none. None of
// them documents `--`; the user name grammar makes a leading `-` impossible instead. The spool is
// never written directly: its location and format differ per OS and the daemon would not notice.
import { shQuote } from '../core/quote.js';
import type { StateQuery } from '../state/query.js';
import { ACCOUNT_NAME, quotedName } from './names.js';

export interface Crontab {
  /** crontab(1) exists on the host. */
  available: boolean;
  /** The user's table ('' when the user has none). */
  content: string;
}

/** The exit status meaning "no crontab(1) on this host" (any crontab's own status is 0 or 1). */
const NO_CRONTAB = 3;

export function crontabQuery(user: string): StateQuery<Crontab> {
  const u = quotedName(ACCOUNT_NAME, user);
  return {
    key: `crontab:${user}`,
    resource: { kind: 'crontab', name: user },
    script: `command -v crontab >/dev/null 2>&1 || exit ${NO_CRONTAB}\ncrontab -u ${u} -l 2>/dev/null; true`,
    parse: (out, exitCode) => ({ available: exitCode !== NO_CRONTAB, content: exitCode === NO_CRONTAB ? '' : out.toString('utf8') }),
  };
}

/** Replaces the user's table; the content travels in the script (printf is a builtin), never in an argv. */
export function crontabWrite(user: string, content: string): string {
  return `printf '%s' ${shQuote(content)} | crontab -u ${quotedName(ACCOUNT_NAME, user)} -`;
}

