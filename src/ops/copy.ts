// copy: a file from the role's files/ (or the plan's directory) to the host, byte for byte.
import { readFileSync } from 'node:fs';
import { controllerFileOperation } from './controller-file.js';

export const copy = controllerFileOperation({
  name: 'copy',
  summary: 'Copy a controller file (role files/) to the host',
  srcDescription: "File under the role's files/ directory (or relative to the plan)",
  content: (args, ctx) => readFileSync(ctx.controllerPath('files', args.src)),
});
