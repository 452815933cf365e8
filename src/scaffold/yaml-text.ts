// Values placed into hand-commented YAML text. The `yaml` package decides the quoting, so any
// operator-given string (a host name, a domain, a path) reads back as exactly that string.
import { stringify } from 'yaml';

/** One scalar (or key) as YAML, quoted only when it must be; never folded over several lines. */
export function yamlScalar(value: unknown): string {
  return stringify(value, { lineWidth: 0 }).trimEnd();
}

/** A mapping on one line: `{ ssh_host: 127.0.10.1, ssh_port: 22 }`. */
export function yamlFlowMap(value: Record<string, unknown>): string {
  return stringify(value, { collectionStyle: 'flow', lineWidth: 0 }).trimEnd();
}

/** `key: !tag |` and the block's lines indented under it (a `!vault` ciphertext). */
export function yamlTaggedBlock(key: string, tag: string, text: string, indent = '  '): string {
  const lines = text.trimEnd().split('\n').map((l) => `${indent}${l}`);
  return [`${yamlScalar(key)}: ${tag} |`, ...lines].join('\n');
}
