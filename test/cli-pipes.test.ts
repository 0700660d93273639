// dfw in a pipe, as it runs on a host (`iptables-save | dfw transform | iptables-restore`), with a
// reader or writer slower than dfw. Node leaves a stdout pipe non-blocking once anything touches
// process.stdout (yargs does, at load), so every full pipe is an EAGAIN that src/cli/io.ts must
// turn into a wait, never into lost or repeated bytes (issue 21).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI } from './support/cli.js';
import { ROOT } from './support/fixtures.js';
import { scratch } from './support/scratch.js';

const work = scratch('dfw-pipes-');
// A dump of a few MB: many times the 64 KiB a pipe holds.
const DUMP = join(work.work, 'dump.v4');
const POLICY = join(ROOT, 'test', 'bench', 'policy.yaml');
let expected: string;
// Reads 16 KiB at a time with a pause after each: dfw fills the pipe and waits on it again and again.
const SLOW_READER = [
  'const fs = require("fs"), b = Buffer.alloc(16384), w = new Int32Array(new SharedArrayBuffer(4));',
  'for (let n; (n = fs.readSync(0, b)) > 0; Atomics.wait(w, 0, 0, 1)) fs.writeSync(1, b, 0, n);',
].join(' ');

beforeAll(() => {
  const gen = spawnSync(process.execPath, [join(ROOT, 'test/bench/gen.mjs'), '--lines', '30k', '-o', DUMP]);
  expect(gen.status, gen.stderr?.toString()).toBe(0);
  const out = join(work.work, 'expected.v4');
  const r = spawnSync(process.execPath, [CLI, 'transform', DUMP, '--policy', POLICY, '-o', out]);
  expect(r.status, r.stderr?.toString()).toBe(0);
  expected = readFileSync(out, 'utf8');
  expect(expected.length).toBeGreaterThan(2_000_000);
});

/** Runs a bash pipeline with pipefail; the command line gets $CLI, $DUMP and $POLICY. */
function pipeline(script: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('bash', ['-o', 'pipefail', '-c', script], {
    env: { ...process.env, CLI, DUMP, POLICY, NODE: process.execPath },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('dfw between pipes', () => {
  it('writes every byte, once, to a reader that starts late and reads slowly', () => {
    const out = join(work.folder('slow-reader'), 'out.v4');
    const r = pipeline(
      `"$NODE" "$CLI" transform "$DUMP" --policy "$POLICY" | (sleep 0.3; "$NODE" -e '${SLOW_READER}') > "${out}"`,
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(expected);
  });

  it('reads all of a stdin pipe whose writer starts late', () => {
    const out = join(work.folder('slow-writer'), 'out.v4');
    const r = pipeline(`(sleep 0.3; cat "$DUMP") | "$NODE" "$CLI" transform --policy "$POLICY" > "${out}"`);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(expected);
  });

  it('passes a pipe through to a second dfw, as fmt after transform', () => {
    const r = pipeline(`"$NODE" "$CLI" transform "$DUMP" --policy "$POLICY" | "$NODE" "$CLI" fmt`);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(expected);
  });
});
