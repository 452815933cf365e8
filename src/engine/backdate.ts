// A write's `backdate` (ops/file-content.ts): the new file's modification time set some seconds before the
// host's clock, in the private temp directory, just before the rename — so the name never shows a fresh
// time to a program that waits for a freshly modified file to settle (Postfix re-reads main.cf every
// 300 ms for up to 2 s while its mtime is within a second of the clock: util/dict.c, dict_load_file_xt).

/**
 * The step, acting on `new` in the write's private directory (executor.ts writeScript). GNU and busybox
 * touch take `-d @EPOCH` (the host's `date +%s` minus the seconds); FreeBSD's has no `@` form, but
 * `-A -SS` moves the times the new file has — its write, an instant ago — back by SS seconds.
 *
 * A touch that can do neither leaves the write's time, SILENTLY: the file holds what the task promised
 * either way (content, owner, mode; the state fleetplan compares has no time), only a program's wait for
 * a fresh file is not saved. A warning could come only from the real run, never from the dry run that
 * must show the same (docs/how-it-works.md), and would repeat at every write for nothing the plan can fix.
 * In a subshell: a `date` printing no number fails there (an arithmetic error ends the shell) and cannot
 * end the write.
 */
export function backdateScript(seconds: number): string {
  // Spliced into the script: only a small whole number (the schema's range; FreeBSD's SS is two digits).
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > 99) throw new Error(`backdate: ${seconds} is not a whole number of seconds from 0 to 99`);
  if (seconds === 0) return '';
  const ss = String(seconds).padStart(2, '0');
  return `( _fp_s=$(date +%s) && touch -d "@$((_fp_s - ${seconds}))" -- new || touch -A -${ss} -- new ) 2>/dev/null || :`;
}
