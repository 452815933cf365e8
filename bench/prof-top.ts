// Summarises a V8 .cpuprofile (from `npm run bench -- --profile`, i.e. node --cpu-prof): self time
// per function and per source file, biggest first.
//   node dist/bench/prof-top.js <file.cpuprofile> [top=25]
import { readFileSync } from 'node:fs';

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface Profile { nodes: Node[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] }

const [file, topArg] = process.argv.slice(2);
if (!file) { process.stderr.write('usage: node dist/bench/prof-top.js <file.cpuprofile> [top]\n'); process.exit(2); }
const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const top = Number(topArg ?? 25);
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
const total = [...self.values()].reduce((a, b) => a + b, 0);

const short = (url: string) => url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, 'node_modules/').replace(/^.*\/dist\//, 'dist/') || '(native)';
const fn = new Map<string, number>(); const files = new Map<string, number>();
for (const [id, us] of self) {
  const n = byId.get(id)!; const cf = n.callFrame;
  const k = `${cf.functionName || '(anonymous)'}  ${short(cf.url)}:${cf.lineNumber + 1}`;
  fn.set(k, (fn.get(k) ?? 0) + us);
  const f = cf.url ? short(cf.url).replace(/^(node_modules\/[^/]+).*/, '$1') : `(${cf.functionName || 'native'})`;
  files.set(f, (files.get(f) ?? 0) + us);
}
const print = (title: string, m: Map<string, number>) => {
  process.stdout.write(`\n${title}\n`);
  for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(`${(us / 1000).toFixed(0).padStart(7)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%  ${k}\n`);
  }
};
process.stdout.write(`${file}: ${(total / 1000).toFixed(0)} ms sampled over ${((p.endTime - p.startTime) / 1000).toFixed(0)} ms\n`);
print('self time by file / package', files);
print('self time by function', fn);
