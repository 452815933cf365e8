// The generated documentation (docs/schemas/*.schema.json, docs/plan-language.md) is committed; it
// must be exactly what the generator makes of the current definitions, so it can never drift from
// the code. After changing a keyword, an operation argument or a description: `npm run docs`.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { generatedDocs } from '../../src/schema/generated-docs.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

for (const doc of generatedDocs()) {
  test(`${doc.path} is up to date`, () => {
    const file = path.join(ROOT, doc.path);
    assert.ok(existsSync(file), `${doc.path} is missing: run npm run docs`);
    const committed = readFileSync(file, 'utf8');
    if (committed === doc.content) return;
    const a = committed.split('\n');
    const b = doc.content.split('\n');
    const i = a.findIndex((line, n) => line !== b[n]);
    assert.fail(`${doc.path} differs from what the generator makes (first at line ${i + 1}: ${JSON.stringify(a[i])} vs ${JSON.stringify(b[i])}): run npm run docs`);
  });
}

test('the CLI prints the committed schemas', () => {
  const cli = path.join(ROOT, 'dist/fleetplan.js');
  for (const doc of generatedDocs().filter((d) => d.path.startsWith('docs/schemas/'))) {
    const kind = path.basename(doc.path, '.schema.json');
    assert.equal(execFileSync(process.execPath, [cli, 'schema', kind], { encoding: 'utf8' }), doc.content, `fleetplan schema ${kind}`);
  }
});
