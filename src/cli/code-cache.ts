// Loads the bundled CLI (dist/cli.cjs) with V8's code cache (dist/cli.cjs.cache), made at build
// time after a training run. With it, Node deserializes bytecode instead of parsing and compiling
// ~600 kB of JavaScript on every start: about 45 ms of a 100k-line transform's 330 ms, on the
// bench machine (README.md "Performance").
// Node 20 has no compile cache for ES modules, hence a CommonJS bundle run as a vm script.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';
// A namespace import: Node before 20.15 has no zlib.crc32, and a named import of it would not link.
import * as zlib from 'node:zlib';
import type { main } from './main.js';

/** What the bundle exports (src/cli/main.ts; a type-only import: the bin does not load main.ts itself). */
export interface BundleExports {
  main: typeof main;
}

export interface LoadedBundle {
  exports: BundleExports;
  script: Script;
  bytes: Buffer;
  /** Whether a cache was given and V8 used it. */
  cacheUsed: boolean;
}

/**
 * The cache file starts with a header: the length and CRC-32 of the bundle it was made from,
 * and the CRC-32 of the V8 data that follows. V8 checks a cache against the source's length
 * only, not its text, so a bundle changed at the same length would run the old bytecode; and
 * a release build of V8 does not verify the data's checksum: a damaged cache crashes the
 * process (seen here: SIGSEGV). The header catches both. (CRC-32 guards against accidents,
 * not tampering: whoever can write the bundle can write its cache.)
 */
const HEADER_BYTES = 12;

/** Node before 20.15 has no zlib.crc32: no cache then. */
const canStamp = typeof zlib.crc32 === 'function';

function header(bundle: Buffer, data: Buffer): Buffer {
  const h = Buffer.alloc(HEADER_BYTES);
  h.writeUInt32LE(bundle.length, 0);
  h.writeUInt32LE(zlib.crc32(bundle), 4);
  h.writeUInt32LE(zlib.crc32(data), 8);
  return h;
}

export function loadBundle(file: string, cacheFile: string): LoadedBundle {
  let cache: Buffer | undefined;
  try {
    cache = canStamp ? readFileSync(cacheFile) : undefined;
  } catch {
    // No cache (or unreadable): compile from source, as any script.
  }
  return runBundle(readFileSync(file), cache, file, createRequire(file));
}

/**
 * Runs the bundle's text with its cache (when it matches): the bin reads both from dist/, the
 * single executable (sea.ts) from its assets. `file` names the bundle in stack traces and is its
 * __filename.
 */
export function runBundle(
  bytes: Buffer,
  cache: Buffer | undefined,
  file: string,
  require: NodeJS.Require,
): LoadedBundle {
  let cachedData: Buffer | undefined;
  const data = canStamp ? cache?.subarray(HEADER_BYTES) : undefined;
  if (data !== undefined && data.length > 0 && cache!.subarray(0, HEADER_BYTES).equals(header(bytes, data)))
    cachedData = data;
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${bytes.toString('utf8')}\n})`;
  // A cache V8 cannot use (another Node version, other V8 flags) is rejected, and the source compiled.
  const script = new Script(wrapped, { filename: file, cachedData });
  const module = { exports: {} as BundleExports };
  (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, require, module, file, dirname(file));
  return { exports: module.exports, script, bytes, cacheUsed: cachedData !== undefined && !script.cachedDataRejected };
}

/** Writes the cache of everything the bundle has compiled so far (call after a training run); 0: this Node cannot stamp it, none written. */
export function writeCodeCache(bundle: LoadedBundle, cacheFile: string): number {
  if (!canStamp) return 0;
  const data = bundle.script.createCachedData();
  writeFileSync(cacheFile, Buffer.concat([header(bundle.bytes, data), data]));
  return data.length;
}
