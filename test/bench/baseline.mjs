#!/usr/bin/env node
// Bare Node baseline for the bench: read the file, split it into lines, join them and
// write them to stdout. The least any line-oriented Node tool must do; dfw is compared to it.
//   node test/bench/baseline.mjs FILE > /dev/null
import { readFileSync } from 'node:fs';

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: baseline.mjs FILE\n');
  process.exit(2);
}
const lines = readFileSync(file, 'utf8').split('\n');
process.stdout.write(lines.join('\n'));
