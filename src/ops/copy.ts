// copy: a file from the role's files/ (or the plan's directory) to the host, byte for byte. A file
// above STREAM_ABOVE (1 MiB) is streamed: hashed on the controller in chunks, compared with the host's
// hash in the state read, and only when it differs sent over an exec's stdin (engine/streamed-write.ts).
import { readFileSync, statSync } from 'node:fs';
import { controllerFileOperation } from './controller-file.js';
import { STREAM_ABOVE, streamedSource } from './streamed-source.js';

/**
 * The largest file copy sends: 4 GiB. Streaming holds only a chunk in memory whatever the size; the
 * bound keeps a mistaken `src` (a disk image, a backup) from filling the hosts' disks for an hour.
 */
export const MAX_COPY_BYTES = 4 * 1024 * 1024 * 1024;

/** Why a file of `size` bytes cannot be copied, or undefined. */
export function copyTooLarge(src: string, size: number): string | undefined {
  if (size <= MAX_COPY_BYTES) return undefined;
  return `copy source '${src}' is ${(size / 1048576).toFixed(1)} MiB: copy sends at most ${MAX_COPY_BYTES / 1048576} MiB; put larger files on the hosts with get_url or a package`;
}

export const copy = controllerFileOperation({
  name: 'copy',
  summary: 'Copy a controller file (role files/) to the host',
  srcDescription:
    "File under the role's files/ directory (or relative to the plan), at most 4 GiB. A file over 1 MiB is streamed to the host (never whole in the controller's memory) and sent only when its SHA-256 differs from the host's; its diff shows the two hashes.",
  content: (args, ctx) => {
    const file = ctx.controllerPath('files', args.src);
    const size = statSync(file).size;
    const tooLarge = copyTooLarge(args.src, size);
    if (tooLarge) throw new Error(tooLarge);
    return size > STREAM_ABOVE ? streamedSource(file, ctx.secrets) : readFileSync(file);
  },
});
