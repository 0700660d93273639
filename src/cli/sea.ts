// The entry of the single executable (dist/dfw-linux-x64, scripts/package.mjs): Node's own binary
// with this file as its main script and two assets, the bundled CLI (dist/cli.cjs) and its
// trained code cache (dist/cli.cjs.cache). It runs them as the bin (bin.ts) runs the files, so
// both start alike and print the same bytes. The trained cache is used rather than Node's
// `useCodeCache`, which caches only what V8 compiles eagerly, not what the commands reach
// (measured: README.md "Performance").
import { createRequire } from 'node:module';
import { getAsset } from 'node:sea';
import { runBundle } from './code-cache.js';

const asset = (name: string): Buffer | undefined => {
  try {
    return Buffer.from(getAsset(name));
  } catch {
    return undefined; // an executable built without a cache
  }
};

const bundle = asset('cli.cjs');
if (bundle === undefined) throw new Error('dfw: this executable holds no CLI bundle (a broken build)');
// The bundle requires Node's built-in modules only; a require from the executable's own path finds them.
const { exports } = runBundle(bundle, asset('cli.cjs.cache'), process.execPath, createRequire(process.execPath));
// main() never rejects: it reports every error and sets process.exitCode.
void exports.main(process.argv.slice(2), { importModule: (url) => import(url) });
