// The bin as shipped, fast to start: dist/dfw.cjs runs the bundle dist/cli.cjs with the V8 code cache
// dist/cli.cjs.cache made at build time. The cache is used when it matches, ignored (never
// trusted) when it does not; the string-width stand-in measures exactly as string-width does;
// output goes straight to fd 1, whole, also through a pipe and to a reader that stops early.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, dfw } from './support/cli.js';
import { FIXTURES, ROOT } from './support/fixtures.js';

const DIST = join(ROOT, 'dist');
const work = mkdtempSync(join(tmpdir(), 'dfw-bin-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const FIXTURE = join(FIXTURES, 'iptables', 'docker29.nft.v4');
const POLICY = join(FIXTURES, 'demo', 'policy.yaml');

/** Whether loadBundle (as the bin calls it) used the cache, in a plain node process like the bin's. */
function cacheUsed(dir: string): boolean {
  const script = `import { loadBundle } from ${JSON.stringify(join(DIST, 'cli', 'code-cache.js'))};
process.stdout.write(String(loadBundle(${JSON.stringify(join(dir, 'cli.cjs'))}, ${JSON.stringify(join(dir, 'cli.cjs.cache'))}).cacheUsed));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as boolean;
}

/** A copy of the three bin files in a fresh folder, the bundle's text changed by `edit`. */
function binCopy(label: string, edit: (bundle: string) => string = (b) => b): string {
  const dir = mkdtempSync(join(work, `${label}-`));
  writeFileSync(join(dir, 'cli.cjs'), edit(readFileSync(join(DIST, 'cli.cjs'), 'utf8')));
  copyFileSync(join(DIST, 'cli.cjs.cache'), join(dir, 'cli.cjs.cache'));
  copyFileSync(CLI, join(dir, 'dfw.cjs'));
  return dir;
}

const run = (bin: string, args: string[]) =>
  spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: ROOT, timeout: 60_000 });

describe('the V8 code cache', () => {
  it('the build makes one, and the bin uses it', () => {
    expect(readFileSync(join(DIST, 'cli.cjs.cache')).length).toBeGreaterThan(100_000);
    expect(cacheUsed(DIST)).toBe(true);
  });

  it('is ignored when the bundle is not the one it was made from, even at the same length (V8 checks only the length)', () => {
    // Same length, other text: a message of the bundle changed letter for letter.
    const marker = 'Name a command: see dfw --help.';
    const dir = binCopy('same-length', (b) => {
      expect(b).toContain(marker);
      return b.replace(marker, 'Name a command! see dfw --help.');
    });
    expect(readFileSync(join(dir, 'cli.cjs')).length).toBe(readFileSync(join(DIST, 'cli.cjs')).length);
    expect(cacheUsed(dir)).toBe(false);
    // The changed bundle runs as its own text says, compiled from source.
    const r = run(join(dir, 'dfw.cjs'), []);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('Name a command! see dfw --help.');
  });

  it('a missing, damaged or cut-short cache only costs time: the same output as the shipped bin', () => {
    const want = dfw(['transform', FIXTURE, '--policy', POLICY]);
    expect(want.status).toBe(0);
    const missing = binCopy('missing');
    rmSync(join(missing, 'cli.cjs.cache'));
    const cache = readFileSync(join(DIST, 'cli.cjs.cache'));
    // Garbage inside V8's data, header intact: V8 itself would deserialize it and crash (SIGSEGV).
    const damaged = binCopy('damaged');
    writeFileSync(
      join(damaged, 'cli.cjs.cache'),
      Buffer.from(cache).fill(0x5a, cache.length >> 1, (cache.length >> 1) + 64),
    );
    const short = binCopy('short');
    writeFileSync(join(short, 'cli.cjs.cache'), cache.subarray(0, cache.length - 1000));
    for (const dir of [missing, damaged, short]) {
      expect(cacheUsed(dir)).toBe(false);
      const r = run(join(dir, 'dfw.cjs'), ['transform', FIXTURE, '--policy', POLICY]);
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: want.stderr });
      expect(r.stdout).toBe(want.stdout);
    }
  });

  it('plugins still load (the bundle runs as a vm script, so the bin hands it import())', () => {
    const r = dfw([
      'transform',
      FIXTURE,
      '--policy',
      POLICY,
      '--plugin',
      join(FIXTURES, 'plugins', 'log-before-drop.mjs'),
    ]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('-j LOG');
  });
});

describe('the string-width stand-in (src/cli/string-width.cjs)', () => {
  const standIn = createRequire(import.meta.url)('../src/cli/string-width.cjs') as (s: string, o?: object) => number;

  it('measures as string-width does, ASCII (its own count) and other text (handed to string-width)', async () => {
    const real = ((await import('string-width')) as { default: (s: string, o?: object) => number }).default;
    const ascii = [
      '',
      'dfw transform [file]',
      '  --policy, -p  policy file (YAML or JSON)  [string] [required]',
      'tab\there',
      'bell\x07',
      'del\x7f',
    ];
    const other = ['\x1b[31mred\x1b[39m', 'größe', '漢字', 'e\u0301', '👍🏽 ok', 'zero\u200bwidth', 'nbsp\u00a0'];
    for (const s of [...ascii, ...other]) expect(standIn(s), JSON.stringify(s)).toBe(real(s));
    for (let c = 0; c < 128; c++)
      expect(standIn(`a${String.fromCharCode(c)}b`), `char ${c}`).toBe(real(`a${String.fromCharCode(c)}b`));
  });

  it("every command's help is ASCII, which the stand-in measures itself (other text loads string-width: ~45 ms a run)", () => {
    for (const cmd of [[], ['transform'], ['strip'], ['ipset'], ['bundle'], ['diff'], ['parse'], ['fmt']]) {
      const r = dfw([...cmd, '--help']);
      expect(r.status).toBe(0);
      expect(r.stdout.length).toBeGreaterThan(200);
      expect(r.stdout.match(/[^\x00-\x7f]/g) ?? [], `dfw ${cmd.join(' ')} --help`).toEqual([]);
    }
  });

  it('dfw --help is laid out as before (the columns line up)', () => {
    const r = dfw(['transform', '--help']);
    expect(r.status).toBe(0);
    // `  -p, --policy        policy file…` and `      --mode          full: …`
    const options = r.stdout
      .split('\n')
      .map((l) => /^ {2}(?:-\w, | {4})--[\w-]+ +/.exec(l))
      .filter((m) => m !== null);
    expect(options.length).toBeGreaterThan(8);
    // yargs pads every option name to one column, measured with string-width: descriptions start at the same offset.
    expect(new Set(options.map((m) => m[0].length))).toEqual(new Set([options[0]![0].length]));
  });
});

describe('stdout', () => {
  /** A valid dump of `rules` rules (about 40 bytes each). */
  const bigDump = (rules: number) =>
    `*filter\n:INPUT ACCEPT [0:0]\n${Array.from({ length: rules }, (_, i) => `-A INPUT -s 192.0.2.${i % 256}/32 -p tcp --dport ${1 + (i % 60000)} -j ACCEPT\n`).join('')}COMMIT\n`;

  it('a large output through a pipe arrives whole, and a large stdin is read whole', () => {
    const text = bigDump(60_000); // ~3.5 MB: many pipe buffers, and stdin past its first buffer
    const r = spawnSync(process.execPath, [CLI, 'fmt'], {
      input: text,
      encoding: 'utf8',
      maxBuffer: 64 << 20,
      timeout: 60_000,
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.length).toBe(text.length);
    expect(r.stdout === text).toBe(true);
  });

  it('a reader that stops early (| head): exit 2 and one line saying so, no stack trace', () => {
    const file = join(work, 'big.rules');
    writeFileSync(file, bigDump(60_000));
    const r = spawnSync(
      'bash',
      ['-c', `set -o pipefail; node ${JSON.stringify(CLI)} fmt ${JSON.stringify(file)} | head -c 100 >/dev/null`],
      {
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      'dfw: cannot write to stdout: the reading end was closed before the output was complete (EPIPE)\n',
    );
  });
});
