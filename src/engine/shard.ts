// --shard i/n: one of n controllers takes the hosts whose name hashes to its slot (docs/scale.md).
// The slot depends on the host's name alone, so adding or removing hosts never moves the others;
// every host of the run lands in exactly one shard.
import { createHash } from 'node:crypto';

export interface Shard {
  /** 1-based, as Jest's and Playwright's --shard and GitLab's CI_NODE_INDEX. */
  index: number;
  count: number;
}

export const MAX_SHARDS = 10_000;

/** "2/4" → { index: 2, count: 4 }; undefined when the text is not of that form or out of range. */
export function parseShard(text: string): Shard | undefined {
  const m = /^([0-9]{1,5})\/([0-9]{1,5})$/.exec(text);
  if (!m) return undefined;
  const index = Number(m[1]);
  const count = Number(m[2]);
  return count >= 1 && count <= MAX_SHARDS && index >= 1 && index <= count ? { index, count } : undefined;
}

/** The shard (1..count) a host name belongs to: the first 4 bytes of its SHA-256, modulo count. */
export function shardOfHost(name: string, count: number): number {
  return (createHash('sha256').update(name, 'utf8').digest().readUInt32BE(0) % count) + 1;
}

/** The entries of `byHost` (in their order) that belong to `shard`; all of them without one. */
export function inShard<T>(byHost: Map<string, T>, shard: Shard | undefined): Map<string, T> {
  if (!shard) return byHost;
  return new Map([...byHost].filter(([host]) => shardOfHost(host, shard.count) === shard.index));
}
