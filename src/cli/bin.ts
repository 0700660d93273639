#!/usr/bin/env node
// The dfw command (the package's bin, dist/dfw.mjs): runs the bundled CLI from dist/dfw.cjs.
import { fileURLToPath } from 'node:url';
import { loadBundle } from './code-cache.js';

const file = fileURLToPath(new URL('./dfw.cjs', import.meta.url));
const { exports } = loadBundle(file, `${file}.cache`);
await exports.main(process.argv.slice(2), { importModule: (url) => import(url) });
