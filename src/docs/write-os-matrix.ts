// `npm run docs`: rewrites the generated region of docs/os-matrix.md from the code
// (`--check`: only report whether it is up to date, exit 1 if not).
import { readFileSync, writeFileSync } from 'node:fs';
import { OS_MATRIX_DOC, renderOsMatrix, spliceGenerated } from './os-matrix.js';

const current = readFileSync(OS_MATRIX_DOC, 'utf8');
const wanted = spliceGenerated(current, renderOsMatrix());
if (process.argv.includes('--check')) {
  if (wanted !== current) {
    process.stderr.write(`${OS_MATRIX_DOC} is out of date: run npm run docs\n`);
    process.exit(1);
  }
} else if (wanted !== current) {
  writeFileSync(OS_MATRIX_DOC, wanted);
  process.stdout.write(`updated ${OS_MATRIX_DOC}\n`);
} else {
  process.stdout.write(`${OS_MATRIX_DOC} is up to date\n`);
}
