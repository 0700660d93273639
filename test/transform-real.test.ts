// Policy and transform on the real tools: dfw's output (full and noflush, made by the library as
// the CLI makes it) for every golden case of fixtures/transform, with both
// iptables variants (nft: iptables-nft-restore/-save, legacy: iptables-legacy-restore/-save;
// ip6tables-* for .v6 inputs), each in fresh network namespaces:
//
//   full path     create the sets; restore --test < FULL; restore < input;
//                 restore --noflush --test < NOFLUSH; restore < FULL;
//                 save | dfw transform --policy P --check  exits 0
//   noflush path  (a new namespace) create the sets; restore < input;
//                 restore --noflush < NOFLUSH; save | dfw ... --check  exits 0
//
// then: both paths reach the same state, and nft and legacy reach the same state (saved rules
// compared without dates, counters and table order: docs/format.md#order-of-tables-chains-and-rules,
// docs/format.md#counters, docs/format.md#nft-and-legacy-variants). Cases whose input
// has counters are restored with --counters and saved with -c.
// Every namespace is deleted in a finally block (and by the global teardown after a crash).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseIptables } from '../src/iptables/parse.js';
import { printIptables } from '../src/iptables/print.js';
import { loadPolicy } from '../src/policy/load.js';
import type { IpsetSpec } from '../src/policy/types.js';
import { transformDump } from '../src/transform/inject.js';
import { noflushText } from '../src/transform/noflush.js';
import { FIXTURES, ROOT, caseDirs } from './support/fixtures.js';
import { describeNetns, Netns, type RunResult } from './support/netns.js';

const CLI = join(ROOT, 'dist', 'dfw.cjs');
const CASES_DIR = join(FIXTURES, 'transform');
const VARIANTS = ['nft', 'legacy'] as const;
type Variant = (typeof VARIANTS)[number];

const TOOLS = [
  'ipset',
  ...['iptables', 'ip6tables'].flatMap((b) => VARIANTS.flatMap((v) => [`${b}-${v}-restore`, `${b}-${v}-save`])),
];

interface Case {
  name: string;
  dir: string;
  family: 4 | 6;
  input: string;
  full: string;
  noflush: string;
  args: string[];
  /** Sets of policy.yaml and input-policy.yaml (the input may hold rules of the latter). */
  sets: IpsetSpec[];
  counters: boolean;
}

function loadCases(): Case[] {
  return caseDirs(CASES_DIR).map((name) => {
    const dir = join(CASES_DIR, name);
    const inputFile = ['input.v4', 'input.v6'].find((f) => existsSync(join(dir, f)))!;
    const read = (f: string) => readFileSync(join(dir, f), 'utf8');
    const sets = new Map<string, IpsetSpec>();
    for (const p of ['policy.yaml', 'input-policy.yaml']) {
      if (!existsSync(join(dir, p))) continue;
      for (const s of loadPolicy(read(p), join(dir, p)).ipsets) if (!sets.has(s.name)) sets.set(s.name, s);
    }
    const input = read(inputFile);
    const family = inputFile.endsWith('.v6') ? 6 : 4;
    const args = existsSync(join(dir, 'args')) ? read('args').trim().split(/\s+/).filter(Boolean) : [];
    // What dfw produces now (the golden test compares it with full.out / noflush.out).
    const policy = loadPolicy(read('policy.yaml'), join(dir, 'policy.yaml'));
    const result = transformDump(parseIptables(input, { file: inputFile }), policy, {
      family,
      createChain: args.includes('--create-chain'),
    });
    return {
      name,
      dir,
      family,
      input,
      full: printIptables(result.dump),
      noflush: noflushText(result, policy),
      args,
      sets: [...sets.values()],
      counters: /^\[\d+:\d+\]/m.test(input),
    };
  });
}

/** `ipset restore` text creating the sets with their options and entries. */
function ipsetRestore(sets: IpsetSpec[]): string {
  const lines: string[] = [];
  for (const s of sets) {
    const opts = Object.entries(s.options).flatMap(([k, v]) => (v === true ? [k] : v === false ? [] : [k, String(v)]));
    lines.push(['create', s.name, s.type, 'family', s.family, ...opts].join(' '));
    for (const e of s.entries) lines.push(`add ${s.name} ${e}`);
  }
  return lines.join('\n') + '\n';
}

/** Saved rules compared across variants and paths: no comments, counters, or table order. */
function normalise(saved: string): string {
  const tables: string[] = [];
  let current: string[] | undefined;
  for (const line of saved.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('*')) current = [line];
    if (current === undefined) throw new Error(`line outside a table: ${line}`);
    if (!line.startsWith('*'))
      current.push(line.replace(/^\[\d+:\d+\]\s*/, '').replace(/^(:\S+ \S+) \[\d+:\d+\]$/, '$1'));
    if (line === 'COMMIT') {
      tables.push(current.join('\n'));
      current = undefined;
    }
  }
  return tables.sort().join('\n') + '\n';
}

/** Per-command bound: generous, because other suites (benchmarks, the packet lab) may load the kernel at the same time. */
const CMD_TIMEOUT_MS = 45_000;

function expectOk(r: RunResult, what: string): void {
  expect(r.status, `${what}: ${r.stderr}`).toBe(0);
}

interface State {
  full?: string;
  noflush?: string;
}

const CASES = loadCases();

describeNetns(
  'transform output on the real iptables-restore / ip6tables-restore (nft and legacy), in namespaces',
  () => {
    it('dist/dfw.cjs is built', () => {
      expect(existsSync(CLI), 'run npm run build first').toBe(true);
    });

    for (const c of CASES) {
      describe(c.name, () => {
        const states: Partial<Record<Variant, State>> = {};

        /** `save | dfw transform - --policy policy.yaml ARGS --check`: exit 0, nothing on stdout. */
        const check = (saved: string, what: string): void => {
          const r = spawnSync(
            process.execPath,
            [CLI, 'transform', '-', '--policy', 'policy.yaml', ...c.args, '--check'],
            {
              cwd: c.dir,
              input: saved,
              encoding: 'utf8',
              timeout: 30_000,
            },
          );
          // Soft: a failed check is reported, and the run goes on to the state comparisons.
          expect.soft(r.stdout, `${what}: --check writes nothing on stdout`).toBe('');
          expect
            .soft(
              r.status,
              `${what}: save | dfw transform --check should exit 0; its stderr:\n${r.stderr}\nthe save:\n${saved}`,
            )
            .toBe(0);
        };

        it.each(VARIANTS)('%s', { timeout: 180_000 }, (variant) => {
          const base = c.family === 6 ? 'ip6tables' : 'iptables';
          const restore = `${base}-${variant}-restore`;
          const save = `${base}-${variant}-save`;
          const rflags = c.counters ? ['--counters'] : [];
          const sflags = c.counters ? ['-c'] : [];
          const state: State = {};
          states[variant] = state;

          // Full path.
          const ns = Netns.create(`${c.name}-${variant}-f`);
          try {
            if (c.sets.length > 0) ns.ok('ipset', ['restore'], ipsetRestore(c.sets));
            expectOk(ns.run(restore, [...rflags, '--test'], c.full, CMD_TIMEOUT_MS), `${restore} --test < full`);
            expectOk(ns.run(restore, rflags, c.input, CMD_TIMEOUT_MS), `${restore} < input`);
            expectOk(
              ns.run(restore, ['--noflush', '--test'], c.noflush, CMD_TIMEOUT_MS),
              `${restore} --noflush --test < noflush (input loaded)`,
            );
            expectOk(ns.run(restore, rflags, c.full, CMD_TIMEOUT_MS), `${restore} < full (over the input)`);
            const saved = ns.ok(save, sflags);
            state.full = normalise(saved);
            check(saved, `${variant} full`);
          } finally {
            ns.delete();
          }

          // Noflush path.
          const nn = Netns.create(`${c.name}-${variant}-n`);
          try {
            if (c.sets.length > 0) nn.ok('ipset', ['restore'], ipsetRestore(c.sets));
            expectOk(nn.run(restore, rflags, c.input, CMD_TIMEOUT_MS), `${restore} < input`);
            expectOk(nn.run(restore, ['--noflush'], c.noflush, CMD_TIMEOUT_MS), `${restore} --noflush < noflush`);
            const saved = nn.ok(save, sflags);
            state.noflush = normalise(saved);
            check(saved, `${variant} noflush`);
          } finally {
            nn.delete();
          }

          expect(state.noflush, `${variant}: the noflush path reaches the state of the full path`).toBe(state.full);
        });

        it('nft and legacy reach the same state (full and noflush paths)', () => {
          const nft = states.nft;
          const legacy = states.legacy;
          expect(nft?.full, 'the nft run did not get as far as the full save').toBeDefined();
          expect(legacy?.full, 'the legacy run did not get as far as the full save').toBeDefined();
          expect(legacy!.full).toBe(nft!.full);
          expect(nft?.noflush, 'the nft run did not get as far as the noflush save').toBeDefined();
          expect(legacy?.noflush, 'the legacy run did not get as far as the noflush save').toBeDefined();
          expect(legacy!.noflush).toBe(nft!.noflush);
        });
      });
    }
  },
  TOOLS,
);
