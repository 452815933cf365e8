// Paths and commands as the operations accept them: a path on the host is absolute and holds no NUL
// (which the shell would silently cut it at); a command string is bounded, so a runaway template
// cannot build a megabyte of shell. Checked at validate time, and again after rendering.
import { z } from 'zod';

/** Linux PATH_MAX; FreeBSD's is 1024, which its tools report themselves. */
const PATH_MAX = 4096;

/** The most bytes a command, guard or validate string may have. */
export const COMMAND_MAX = 64 * 1024;

/** An absolute path on the host. */
export const absolutePath = z
  .string()
  .min(1)
  .refine((p) => !p.includes('\0'), { message: 'a path must not contain a NUL byte' })
  .refine((p) => p.startsWith('/'), { message: 'must be an absolute path (starting with /)' })
  .refine((p) => Buffer.byteLength(p) <= PATH_MAX, { message: `a path is at most ${PATH_MAX} bytes` });

/** A shell command string (cmd, unless, onlyif, validate). */
export const commandString = z
  .string()
  .min(1)
  .refine((c) => !c.includes('\0'), { message: 'a command must not contain a NUL byte' })
  .refine((c) => Buffer.byteLength(c) <= COMMAND_MAX, {
    message: `a command is at most ${COMMAND_MAX} bytes (64 KiB); put a longer script in a file (copy or template) and run that`,
  });
