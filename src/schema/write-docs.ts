// `npm run docs`: (re)write every generated documentation file in the checkout.
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../core/paths.js';
import { generatedDocs } from './generated-docs.js';

const root = packageRoot();
for (const doc of generatedDocs()) {
  const file = path.join(root, doc.path);
  const before = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, doc.content);
  process.stdout.write(`${before === doc.content ? 'unchanged' : before === undefined ? 'created  ' : 'updated  '} ${doc.path}\n`);
}
