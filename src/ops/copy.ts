// copy: a file from the role's files/ (or the plan's directory) to the host, byte for byte.
import { readFileSync, statSync } from 'node:fs';
import { controllerFileOperation } from './controller-file.js';

/**
 * The largest file copy sends. Its bytes travel inside the change script (file-content.ts) and are
 * held several times over on the controller: a 20 MB file took 1.6 GB and a 100 MB one exhausted the
 * heap, so a larger file is refused with this reason rather than crashing the run.
 */
export const MAX_COPY_BYTES = 16 * 1024 * 1024;

/** Why a file of `size` bytes cannot be copied, or undefined. */
export function copyTooLarge(src: string, size: number): string | undefined {
  if (size <= MAX_COPY_BYTES) return undefined;
  return `copy source '${src}' is ${(size / 1048576).toFixed(1)} MiB: copy sends at most ${MAX_COPY_BYTES / 1048576} MiB (its bytes travel in the change script); put larger files on the hosts with get_url or a package`;
}

export const copy = controllerFileOperation({
  name: 'copy',
  summary: 'Copy a controller file (role files/) to the host',
  srcDescription: "File under the role's files/ directory (or relative to the plan), at most 16 MiB",
  content: (args, ctx) => {
    const file = ctx.controllerPath('files', args.src);
    const tooLarge = copyTooLarge(args.src, statSync(file).size);
    if (tooLarge) throw new Error(tooLarge);
    return readFileSync(file);
  },
});
