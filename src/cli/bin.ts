#!/usr/bin/env node
// The dfw command (the package's bin, dist/dfw.cjs): runs the bundled CLI from dist/cli.cjs.
// scripts/bundle-cli.mjs builds this file as CommonJS: Node starts a CommonJS entry a few ms sooner than
// an ES module one, and `import.meta.url` below is then the bin's own file URL.
import { fileURLToPath } from 'node:url';
import { loadBundle } from './code-cache.js';

const file = fileURLToPath(new URL('./cli.cjs', import.meta.url));
const { exports } = loadBundle(file, `${file}.cache`);
// main() never rejects: it reports every error and sets process.exitCode.
void exports.main(process.argv.slice(2), { importModule: (url) => import(url) });
