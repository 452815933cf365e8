// Where a variable is defined, for messages that point at the operator's file: merged variables
// carry no positions, so the definition is looked up in the files that can hold it.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { isScalar, visit, type Node } from 'yaml';
import type { SourcePos } from '../core/errors.js';
import { SecretRegistry } from '../core/secret.js';
import type { Inventory, Plan } from './model.js';
import { YamlSource } from './yaml.js';

/** Where a variable with this value (a scalar somewhere in it) is defined, for messages: file:line:col of the value. */
export type Locator = (name: string, value: unknown) => SourcePos | undefined;

const yamlFiles = (dir: string): string[] => {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  return (readdirSync(dir, { recursive: true }) as string[]).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => path.join(dir, f));
};

/**
 * Variables carry no positions once merged; look the definition up in the files that can hold it
 * (plan, inventory sources, group_vars/, host_vars/ as read, each role's defaults.yml and vars/), first match wins.
 */
export function definitionLocator(plan: Plan, inventory: Inventory): Locator {
  let files: string[] | undefined;
  const sources = new Map<string, YamlSource | undefined>();
  const candidates = (): string[] => {
    const roleDirs = [...new Set(plan.plays.flatMap((p) => p.roles.map((r) => r.role.dir)))];
    const varsFiles = (kind: string) => inventory.varsDirs.flatMap((d) => d.files.filter((f) => f.startsWith(path.join(d.dir, kind) + path.sep)));
    return [
      plan.file,
      ...varsFiles('host_vars'),
      ...inventory.files,
      ...varsFiles('group_vars'),
      ...roleDirs.flatMap((d) => [...yamlFiles(path.join(d, 'vars')), path.join(d, 'defaults.yml')]),
    ];
  };
  const cache = new Map<string, SourcePos | undefined>();
  return (name, text) => {
    const key = `${name}\0${String(text)}`;
    if (cache.has(key)) return cache.get(key);
    files ??= candidates();
    let found: SourcePos | undefined;
    for (const f of files) {
      if (!sources.has(f)) {
        let src: YamlSource | undefined;
        try {
          // Read again only to find where a value is written: the run's registry already holds its secrets.
          src = existsSync(f) ? YamlSource.read(f, new SecretRegistry()) : undefined;
        } catch {
          src = undefined;
        }
        sources.set(f, src);
      }
      const src = sources.get(f);
      if (!src) continue;
      visit(src.doc, {
        Pair(_, pair) {
          const k = pair.key as Node | null;
          if (!k || !isScalar(k) || String(k.value) !== name) return undefined;
          const v = pair.value as Node | null;
          const holds = (n: Node | null): boolean => {
            let hit = false;
            if (n && isScalar(n)) return text === undefined || n.value === text;
            if (n) visit(n, { Scalar(__, sc) { if (sc.value === text) { hit = true; return visit.BREAK; } return undefined; } });
            return hit;
          };
          if (!holds(v)) return undefined;
          found = src.pos(v, k);
          return visit.BREAK;
        },
      });
      if (found) break;
    }
    cache.set(key, found);
    return found;
  };
}
