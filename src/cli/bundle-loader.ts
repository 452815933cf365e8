// Runs the command line's CommonJS bundle (dist/fleetplan.cjs) with V8's code cache of it
// (dist/fleetplan.code-cache), so a start deserialises compiled bytecode instead of parsing and
// compiling 3 MB of JavaScript. Node 20 has no code cache for ES modules (module.enableCompileCache
// came in Node 22), hence a CommonJS bundle run through vm.Script, as Node runs a CommonJS file.
// The cache is written by the build only (scripts/code-cache.mjs), never here: fleetplan runs as root.
//
// V8 checks a cache only against the source's length and its own version and flags, and in a release
// build not against a checksum of the data: a cache of another bundle of the same length, or a cache
// with a changed byte, would be used and run. So the file starts with the sha256 of the exact source
// and the data together, and a cache whose digest does not match, or that someone could change who
// cannot change the bundle (another owner, or writable by more), is not given to V8. Without a usable
// cache (none, stale, tampered, or rejected by V8: another Node or other V8 flags) the bundle compiles
// as it would anyway: correct either way, only slower.
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readFileSync, type Stats } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';

/** Node's CommonJS wrapper; the source starts on its first line, so line numbers in stack traces hold. */
const WRAP_HEAD = '(function (exports, require, module, __filename, __dirname) { ';
const WRAP_TAIL = '\n})';
const DIGEST_BYTES = 32;

function digest(source: Buffer, data: Buffer): Buffer {
  return createHash('sha256').update(WRAP_HEAD).update(source).update(WRAP_TAIL).update(data).digest();
}

/** The cache file's content for `source` and the V8 data made from it: digest, then data. */
export function codeCacheFile(source: Buffer, data: Buffer): Buffer {
  return Buffer.concat([digest(source, data), data]);
}

/** A file's content and who may change it, read from one open descriptor (no swap in between). */
function readWithStat(file: string): { bytes: Buffer; stat: Stats } {
  const fd = openSync(file, 'r');
  try {
    return { stat: fstatSync(fd), bytes: readFileSync(fd) };
  } finally {
    closeSync(fd);
  }
}

/**
 * The V8 data of `cacheFile` if the file is there, was made from exactly `source`, and nobody can
 * change it who cannot change the bundle: the digest is no signature (anyone can compute it), and
 * V8 runs the cached bytecode, so a cache more writable than the bundle would be a way to run code
 * as the user of fleetplan (root).
 */
function usableCache(bundle: { bytes: Buffer; stat: Stats }, cacheFile: string): Buffer | undefined {
  let cache: { bytes: Buffer; stat: Stats };
  try {
    cache = readWithStat(cacheFile);
  } catch {
    return undefined;
  }
  if (cache.stat.uid !== bundle.stat.uid || (cache.stat.mode & ~bundle.stat.mode & 0o022) !== 0) return undefined;
  const data = cache.bytes.subarray(DIGEST_BYTES);
  return data.length > 0 && digest(bundle.bytes, data).equals(cache.bytes.subarray(0, DIGEST_BYTES)) ? data : undefined;
}

export interface CompiledBundle {
  /** The compiled script (the build makes the cache from it after a run: createCachedData). */
  script: vm.Script;
  /** The bundle's bytes, as compiled (the digest covers them). */
  source: Buffer;
  /** Whether V8 took the cache: false when there was none, it did not match, or V8 rejected it. */
  cacheUsed: boolean;
  /** Runs the bundle as Node runs a CommonJS file. */
  run(): void;
}

/** Compiles the bundle, with its cache when `cacheFile` names a usable one. */
export function compileBundle(bundleFile: string, cacheFile?: string): CompiledBundle {
  const bundle = readWithStat(bundleFile);
  const source = bundle.bytes;
  const cachedData = cacheFile === undefined ? undefined : usableCache(bundle, cacheFile);
  // No importModuleDynamically: the bundle has no import() (scripts/bundle.mjs makes them require()s).
  // The build makes the bundle ASCII-only: a file it made (the digest matched) is read as Latin-1,
  // which is a copy; any other file is decoded as the UTF-8 it may be.
  const text = source.toString(cachedData === undefined ? 'utf8' : 'latin1');
  const script = new vm.Script(WRAP_HEAD + text + WRAP_TAIL, { filename: bundleFile, cachedData });
  const run = (): void => {
    const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
    const module = { exports: {} };
    wrapper.call(module.exports, module.exports, createRequire(bundleFile), module, bundleFile, path.dirname(bundleFile));
  };
  return { script, source, cacheUsed: cachedData !== undefined && !script.cachedDataRejected, run };
}
