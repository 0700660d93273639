// Issue 15: golden files of `dfw nft` (fixtures/nft/<case>/, made by fixtures/gen/gen-nft.sh
// from the real `nft -j list ruleset` of a namespace), and the real nft's verdict on every
// output: `nft -c -f` accepts it, and applied for real (twice) it leaves a table that
// `dfw nft --check` finds current, with Docker's tables untouched.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dfw } from './support/cli.js';
import { FIXTURES, caseDirs } from './support/fixtures.js';
import { describeNetns, Netns } from './support/netns.js';
import { normalRuleset } from './lab/nft-topology.js';

const DIR = join(FIXTURES, 'nft');

interface Case {
  name: string;
  dir: string;
  args: string[];
  load: string[];
  input: string;
  out: string;
  diff: string;
  warnings: string;
}

const CASES: Case[] = caseDirs(DIR).map((name) => {
  const dir = join(DIR, name);
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  return {
    name,
    dir,
    args: read('args').trim().split(/\s+/).filter(Boolean),
    load: read('load').split('\n').filter(Boolean),
    input: read('input.json'),
    out: read('out.nft'),
    diff: read('diff.out'),
    warnings: read('warnings.out'),
  };
});

describe('fixtures/nft: the cases', () => {
  it('cover a fresh host, a current table, a policy change, a hand edit, both single families, no Docker, the translations, a port nothing publishes', () => {
    const names = CASES.map((c) => c.name);
    for (const n of [
      'docker29',
      'current',
      'policy-change',
      'hand-edit',
      'family4',
      'family6-reject',
      'no-docker',
      'features',
      'unpublished',
    ])
      expect(names).toContain(n);
    // The inputs are real nft output (gen-nft.sh), not hand-written JSON.
    for (const c of CASES) expect(c.input).toMatch(/^\{"nftables": \[\{"metainfo": \{"version": "\d/);
  });
});

describe.each(CASES)('golden $name', (c) => {
  const base = ['nft', 'input.json', '--policy', 'policy.yaml', ...c.args];

  it('out.nft and warnings.out = dfw nft input.json --policy policy.yaml ARGS', () => {
    const r = dfw(base, undefined, c.dir);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(c.out);
    expect(r.stderr).toBe(c.warnings);
  });

  it('diff.out = ... --diff; --check exits 0 when it is empty, else 1 with it on stderr; stdout stays empty', () => {
    const d = dfw([...base, '--diff'], undefined, c.dir);
    expect(d.status, d.stderr).toBe(0);
    expect(d.stdout).toBe(c.diff);
    const k = dfw([...base, '--check'], undefined, c.dir);
    expect(k.stdout).toBe('');
    expect(k.status, k.stderr).toBe(c.diff === '' ? 0 : 1);
    if (c.diff !== '') expect(k.stderr).toContain(c.diff);
  });

  it('--no-dump writes the same file from the policy alone', () => {
    const r = dfw(['nft', '--no-dump', '--policy', 'policy.yaml', ...c.args], undefined, c.dir);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(c.out);
  });

  it('the file replaces one table and never flushes the ruleset', () => {
    const head = /^table (inet|ip|ip6) (dfw-[\w.-]+)$/m.exec(c.out);
    expect(head).not.toBeNull();
    const [, fam, name] = head!;
    const lines = c.out.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(lines.slice(0, 3)).toEqual([
      `table ${fam} ${name}`,
      `delete table ${fam} ${name}`,
      `table ${fam} ${name} {`,
    ]);
    expect(c.out).not.toMatch(/flush ruleset|^\s*flush/m);
    expect(c.out.match(/^table /gm)).toHaveLength(2);
  });
});

describeNetns(
  'fixtures/nft: the real nft accepts every output and applying it gives what --check calls current',
  () => {
    let ns: Netns | undefined;
    afterEach(() => ns?.delete());

    it.each(CASES)(
      '$name: nft -c -f out.nft, then nft -f twice: idempotent, --check 0, Docker tables byte for byte',
      (c) => {
        ns = Netns.create('nftgold');
        for (const f of c.load) ns.ok('nft', ['-f', join(DIR, f)]);
        if (existsSync(join(c.dir, 'input-policy.yaml'))) {
          const first = dfw(['nft', '--no-dump', '--policy', 'input-policy.yaml', ...c.args], undefined, c.dir);
          expect(first.status, first.stderr).toBe(0);
          ns.ok('nft', ['-f', '-'], first.stdout);
        }
        if (existsSync(join(c.dir, 'edit.nft'))) ns.ok('nft', ['-f', join(c.dir, 'edit.nft')]);
        const docker = ['ip', 'ip6'].map((f) => ns!.run('nft', ['list', 'table', f, 'docker-bridges']).stdout);

        ns.ok('nft', ['-c', '-f', '-'], c.out);
        ns.ok('nft', ['-f', '-'], c.out);
        const once = normalRuleset(ns.ok('nft', ['-j', 'list', 'ruleset']));
        ns.ok('nft', ['-f', '-'], c.out);
        const live = ns.ok('nft', ['-j', 'list', 'ruleset']);
        expect(normalRuleset(live), 'nft -j list ruleset after a second apply').toBe(once);

        const check = dfw(['nft', '-', '--policy', join(c.dir, 'policy.yaml'), ...c.args, '--check'], live);
        expect(check.status, check.stderr).toBe(0);
        expect(['ip', 'ip6'].map((f) => ns!.run('nft', ['list', 'table', f, 'docker-bridges']).stdout)).toEqual(docker);
      },
    );
  },
  ['nft'],
);
