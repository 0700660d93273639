// Loads the bundled CLI (dist/dfw.cjs) with V8's code cache (dist/dfw.cjs.cache), made at build
// time after a training run. With it, Node deserializes bytecode instead of parsing and compiling
// ~600 kB of JavaScript on every start: about 45 ms of a 100k-line transform's 330 ms (issue 6).
// Node 20 has no compile cache for ES modules, hence a CommonJS bundle run as a vm script.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';

/** What the bundle exports (src/cli/main.ts). */
export interface BundleExports {
  main(argv: string[], host: { importModule(url: string): Promise<unknown> }): Promise<void>;
}

export interface LoadedBundle {
  exports: BundleExports;
  script: Script;
  sourceHash: Buffer;
  /** Whether a cache was given and V8 used it. */
  cacheUsed: boolean;
}

const HASH_BYTES = 32;

// V8 checks a cache against the source's length only, not its text: the cache file starts with
// the SHA-256 of the source it was made from, so that a cache never runs other code's bytecode.
export function loadBundle(file: string, cacheFile: string): LoadedBundle {
  const bytes = readFileSync(file);
  const sourceHash = createHash('sha256').update(bytes).digest();
  let cachedData: Buffer | undefined;
  try {
    const cache = readFileSync(cacheFile);
    if (cache.length > HASH_BYTES && cache.subarray(0, HASH_BYTES).equals(sourceHash)) cachedData = cache.subarray(HASH_BYTES);
  } catch {
    // No cache (or unreadable): compile from source, as any script.
  }
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${bytes.toString('utf8')}\n})`;
  // A cache V8 cannot use (another Node version, other V8 flags) is rejected, and the source compiled.
  const script = new Script(wrapped, { filename: file, cachedData });
  const module = { exports: {} as BundleExports };
  (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, createRequire(file), module, file, dirname(file));
  return { exports: module.exports, script, sourceHash, cacheUsed: cachedData !== undefined && !script.cachedDataRejected };
}

/** Writes the cache of everything the bundle has compiled so far (call after a training run). */
export function writeCodeCache(bundle: LoadedBundle, cacheFile: string): number {
  const data = bundle.script.createCachedData();
  writeFileSync(cacheFile, Buffer.concat([bundle.sourceHash, data]));
  return data.length;
}
