// Issue 22, item 3: plugins are user code in dfw's process, whose stdout is a restore file. A
// plugin that never settles, calls process.exit, throws late or prints must never give exit 0
// with nothing (or something else) written. And item 16: the AST builders reach a plugin in its
// context, wherever the plugin lives (`import ... from 'dfw'` resolves only where dfw is installed).
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dfw } from './support/cli.js';
import { FIXTURES } from './support/fixtures.js';

const FIXTURE = join(FIXTURES, 'iptables', 'docker29.nft.v4');
const POLICY = join(FIXTURES, 'policies', 'web.yaml');

// Outside the repository: no node_modules above it, so `from 'dfw'` cannot resolve there.
const work = mkdtempSync(join(tmpdir(), 'dfw-plugins-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function plugin(name: string, source: string): string {
  const path = join(work, `${name}.mjs`);
  writeFileSync(path, source);
  return path;
}

const transform = (path: string, ...extra: string[]) =>
  dfw(['transform', FIXTURE, '-p', POLICY, '--plugin', path, ...extra]);

/** What the same transform writes with a plugin that does nothing. */
const plain = transform(plugin('identity', 'export function transform(d) { return d; }\n'));

describe('a plugin that never finishes: exit 2 naming it, nothing written (issue 22, item 3)', () => {
  it.each([
    [
      'a promise that never settles',
      'export function transform(d) { return new Promise(() => {}); }\n',
      /plugin \S+never\.mjs never finished/,
    ],
    [
      'a top-level await that never ends',
      'await new Promise(() => {});\nexport function transform(d) { return d; }\n',
      /plugin \S+never\.mjs \(loading: its top-level code\) never finished/,
    ],
  ])('%s', (_, source, message) => {
    const path = plugin('never', source);
    const out = join(work, 'never.v4');
    writeFileSync(out, 'old\n');
    for (const extra of [[], ['--check'], ['-o', out], ['--diff']]) {
      const r = transform(path, ...extra);
      expect(r.status, `${extra.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe('');
    }
    expect(readFileSync(out, 'utf8')).toBe('old\n');
  });

  it('one that keeps the process busy (an interval) is stopped by --plugin-timeout', () => {
    const path = plugin(
      'busy',
      'export function transform(d) { setInterval(() => {}, 100); return new Promise(() => {}); }\n',
    );
    const started = Date.now();
    const r = transform(path, '--plugin-timeout', '1');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/plugin \S+busy\.mjs failed: it did not finish within 1 s \(--plugin-timeout\)/);
    expect(r.stdout).toBe('');
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('what a plugin leaves running after it returned does not keep dfw alive', () => {
    const path = plugin('leftover', 'export function transform(d) { setInterval(() => {}, 100); return d; }\n');
    const r = transform(path);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(plain.stdout);
  });
});

describe('plugin output, process.exit and late errors', () => {
  it("a plugin's console.log and process.stdout.write go to stderr, never into the restore file", () => {
    const path = plugin(
      'chatty',
      'console.log("loading");\nexport function transform(d) { console.log("hello"); console.info("info"); process.stdout.write("raw\\n"); return d; }\n',
    );
    const r = transform(path);
    expect(r.status, r.stderr).toBe(0);
    expect(plain.status).toBe(0);
    expect(r.stdout).toBe(plain.stdout);
    expect(r.stderr).toMatch(/^loading$/m);
    expect(r.stderr).toMatch(/^hello$/m);
    expect(r.stderr).toMatch(/^info$/m);
    expect(r.stderr).toMatch(/^raw$/m);
  });

  it.each([
    [
      'in transform',
      'export function transform(d) { process.exit(0); }\n',
      /plugin \S+exit\.mjs failed: called process\.exit\(0\)/,
    ],
    [
      'at its top level',
      'process.exit(0);\nexport function transform(d) { return d; }\n',
      /plugin \S+exit\.mjs cannot be loaded: called process\.exit\(0\)/,
    ],
    [
      'in a timer',
      'export function transform(d) { setTimeout(() => process.exit(0), 0); return new Promise((r) => setTimeout(() => r(d), 200)); }\n',
      /plugin \S+exit\.mjs: called process\.exit\(0\)/,
    ],
  ])('process.exit(0) %s: exit 2, nothing written', (_, source, message) => {
    const r = transform(plugin('exit', source));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  it('an error thrown outside its promise (a timer): exit 2 (not 1, "differs"), naming the plugin, nothing written', () => {
    const path = plugin(
      'late',
      'export function transform(d) { setTimeout(() => { throw new Error("late boom"); }, 0); return new Promise((r) => setTimeout(() => r(d), 200)); }\n',
    );
    for (const extra of [[], ['--check']]) {
      const r = transform(path, ...extra);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/plugin \S+late\.mjs: late boom; nothing was written/);
      expect(r.stdout).toBe('');
    }
  });

  it('an unawaited rejected promise: exit 2', () => {
    const path = plugin(
      'reject',
      'export function transform(d) { Promise.reject(new Error("forgotten")); return new Promise((r) => setTimeout(() => r(d), 200)); }\n',
    );
    const r = transform(path);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/forgotten/);
    expect(r.stdout).toBe('');
  });
});

describe('the AST builders in the plugin context (issue 22, item 16)', () => {
  it('a plugin outside the repository builds rules with context.build, without importing dfw', () => {
    const path = plugin(
      'builders',
      `export function transform(dump, { policy, build: { rule, match, opt, jump } }) {
  const filter = dump.items.find((t) => t.kind === 'table' && t.name === 'filter');
  filter.body.push(rule('INPUT', { options: [opt('-s', '203.0.113.9/32')], matches: [match('comment', opt('--comment', \`dfw:\${policy.name}:extra\`))], target: jump('DROP') }));
  return dump;
}
`,
    );
    const r = transform(path);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('-A INPUT -s 203.0.113.9/32 -m comment --comment "dfw:web:extra" -j DROP\n');
    // The same plugin importing 'dfw' instead cannot load there: the README says so.
    const importing = plugin('importing', "import { rule } from 'dfw';\nexport function transform(d) { return d; }\n");
    const fails = transform(importing);
    expect(fails.status).toBe(2);
    expect(fails.stderr).toMatch(/plugin \S+importing\.mjs cannot be loaded: .*'dfw'/);
    expect(existsSync(join(work, 'node_modules'))).toBe(false);
  });
});
