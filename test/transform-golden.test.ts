// Golden files of `dfw transform` (fixtures/transform/<case>/, made by
// fixtures/gen/gen-transform.sh) and the transform properties of
// docs/design.md#properties-the-tests-hold, on every golden
// case and on every fixtures/iptables dump.
//
// A case folder holds input.v4|input.v6, policy.yaml, args (one line of extra CLI arguments)
// and the expected full.out, noflush.out and diff.out. The CLI runs as a process, inside the
// case folder with relative names (so the diff headers read "--- input.v4").
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { detectFamily } from '../src/iptables/family.js';
import { parseIptables } from '../src/iptables/parse.js';
import { printIptables } from '../src/iptables/print.js';
import { loadPolicy } from '../src/policy/load.js';
import type { Family, Policy } from '../src/policy/types.js';
import { transformDump } from '../src/transform/inject.js';
import { stripDump } from '../src/transform/strip.js';
import { ownedChain } from '../src/policy/compile.js';
import { FIXTURES, ROOT, caseDirs, iptablesFixtures } from './support/fixtures.js';

const CLI = join(ROOT, 'dist', 'dfw.cjs');
const CASES_DIR = join(FIXTURES, 'transform');

interface Case {
  name: string;
  dir: string;
  /** input.v4 or input.v6 */
  input: string;
  inputText: string;
  policyText: string;
  policy: Policy;
  args: string[];
  full: string;
  noflush: string;
  diff: string;
}

function loadCases(): Case[] {
  return caseDirs(CASES_DIR).map((name) => {
    const dir = join(CASES_DIR, name);
    const input = ['input.v4', 'input.v6'].find((f) => existsSync(join(dir, f)));
    if (input === undefined) throw new Error(`${dir}: no input.v4 or input.v6`);
    const read = (f: string) => readFileSync(join(dir, f), 'utf8');
    const policyText = read('policy.yaml');
    return {
      name,
      dir,
      input,
      inputText: read(input),
      policyText,
      policy: loadPolicy(policyText, join(dir, 'policy.yaml')),
      args: existsSync(join(dir, 'args')) ? read('args').trim().split(/\s+/).filter(Boolean) : [],
      full: read('full.out'),
      noflush: read('noflush.out'),
      diff: read('diff.out'),
    };
  });
}

const CASES = loadCases();

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

const execFileP = promisify(execFile);

/** `node dist/dfw.cjs ARGS` in `cwd`, with an optional stdin. */
async function dfw(args: string[], cwd: string, input?: string): Promise<Run> {
  const child = execFileP(process.execPath, [CLI, ...args], {
    cwd,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 30_000,
  });
  if (input !== undefined) {
    child.child.stdin?.end(input);
  } else {
    child.child.stdin?.end();
  }
  try {
    const { stdout, stderr } = await child;
    return { status: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number | string; stdout?: string; stderr?: string };
    if (typeof err.code !== 'number') throw e;
    return { status: err.code, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

/** The raw rule lines (`-A …`, with or without a `[p:b]` prefix) of a dump, in order. */
function ruleLines(text: string): string[] {
  return text.split('\n').filter((l) => /^(\[\d+:\d+\]\s*)?-A /.test(l));
}

/** Whether a saved rule line carries this policy's tag (iptables-save always quotes `dfw:…:…`). */
function isPolicyLine(line: string, policy: string): boolean {
  return line.includes(`--comment "dfw:${policy}:`);
}

/** The chain a rule line appends to. */
function chainOf(line: string): string {
  return /-A (\S+)/.exec(line)![1]!;
}

/** The rule lines of one table. */
function tableRuleLines(text: string, table: string): string[] {
  const out: string[] = [];
  let current = '';
  for (const l of text.split('\n')) {
    if (l.startsWith('*')) current = l.slice(1).trim();
    else if (current === table && /^(\[\d+:\d+\]\s*)?-A /.test(l)) out.push(l);
  }
  return out;
}

function familyOfCase(c: Case): Family {
  return c.input.endsWith('.v6') ? 6 : 4;
}

// ---- 1. golden files, through the CLI ---------------------------------------------------------

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
});

describe('fixtures/transform: the case folders are complete', () => {
  it('has a case for each kind of host and policy', () => {
    const names = CASES.map((c) => c.name);
    for (const n of [
      'docker29',
      'docker27',
      'docker-chain',
      'docker29-v6',
      'upgrade',
      'user-rules',
      'classic',
      'legacy',
      'counters',
      'migrate',
      'migrate-docker-chain',
    ]) {
      expect(names).toContain(n);
    }
    expect(CASES.find((c) => c.name === 'docker-chain')!.policy.chain).toBe('DOCKER');
    expect(CASES.find((c) => c.name === 'docker29-v6')!.input).toBe('input.v6');
  });
});

describe.concurrent.each(CASES)('golden $name: CLI output equals the expected files', (c) => {
  const base = ['transform', c.input, '--policy', 'policy.yaml', ...c.args];

  it('full.out = dfw transform input --policy policy.yaml ARGS', async () => {
    const r = await dfw([...base], c.dir);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(c.full);
  });

  it('noflush.out = ... --mode noflush', async () => {
    const r = await dfw([...base, '--mode', 'noflush'], c.dir);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(c.noflush);
  });

  it('diff.out = ... --diff', async () => {
    const r = await dfw([...base, '--diff'], c.dir);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(c.diff);
  });

  it('--check: exit 0 and nothing on stdout for full.out (the policy is applied)', async () => {
    const r = await dfw(['transform', 'full.out', '--policy', 'policy.yaml', ...c.args, '--check'], c.dir);
    expect(r.stdout).toBe('');
    expect(r.status, r.stderr).toBe(0);
  });

  it('--check on the input: exit 1 with the diff on stderr and nothing on stdout (exit 0 when already applied)', async () => {
    const r = await dfw([...base, '--check'], c.dir);
    expect(r.stdout).toBe('');
    if (c.diff === '') {
      expect(r.status, r.stderr).toBe(0);
    } else {
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toContain(c.diff);
    }
  });

  it('dfw diff: exit 1 and a diff for input vs full.out, 0 and nothing for equal dumps', async () => {
    const differ = c.inputText !== c.full;
    const a = await dfw(['diff', c.input, 'full.out'], c.dir);
    expect(a.status, a.stderr).toBe(differ ? 1 : 0);
    if (differ) {
      expect(a.stdout).toMatch(/^--- /);
      expect(a.stdout).toContain('\n+++ ');
    } else {
      expect(a.stdout).toBe('');
    }
    const same = await dfw(['diff', 'full.out', 'full.out'], c.dir);
    expect(same.status, same.stderr).toBe(0);
    expect(same.stdout).toBe('');
  });
});

// ---- 2. properties, through the library -------------------------------------------------------

interface Subject {
  label: string;
  text: string;
  policy: Policy;
  family: Family;
  createChain: boolean;
}

function transformText(
  text: string,
  s: Subject,
): { text: string; createdChain: boolean; addedJump: boolean; managed: number } {
  const r = transformDump(parseIptables(text, { file: s.label }), s.policy, {
    family: s.family,
    createChain: s.createChain,
  });
  return {
    text: printIptables(r.dump),
    createdChain: r.createdChain,
    addedJump: r.addedJump !== undefined,
    managed: r.rules.length,
  };
}

/** `text` without its first line equal to `line`. */
function withoutLine(text: string, line: string): string {
  const lines = text.split('\n');
  const i = lines.indexOf(line);
  expect(i, `the line ${JSON.stringify(line)}`).toBeGreaterThanOrEqual(0);
  return [...lines.slice(0, i), ...lines.slice(i + 1)].join('\n');
}

function stripText(text: string, policy?: string): string {
  return printIptables(stripDump(parseIptables(text), policy === undefined ? {} : { policy }));
}

function checkProperties(s: Subject): void {
  const once = transformText(s.text, s);
  const twice = transformText(once.text, s);
  expect(twice.text, `${s.label}: transform(transform(x)) === transform(x)`).toBe(once.text);
  expect(twice.addedJump, `${s.label}: the second transform adds no jump`).toBe(false);
  const owned = ownedChain(s.policy.name);
  const jump = `-A ${s.policy.chain} -m comment --comment "dfw:${s.policy.name}:jump" -j ${owned}`;

  // --create-chain declares the Docker chain, which strip keeps (only its tagged FORWARD jump
  // goes): set that line aside.
  const created = (t: string): string => (once.createdChain ? withoutLine(t, `:${s.policy.chain} - [0:0]`) : t);
  expect(created(stripText(once.text, s.policy.name)), `${s.label}: strip(transform(x)) === strip(x)`).toBe(
    stripText(s.text, s.policy.name),
  );
  expect(created(stripText(once.text)), `${s.label}: strip --all (transform(x)) === strip --all (x)`).toBe(
    stripText(s.text),
  );

  // Every rule the policy does not manage (outside its own chain): in the output, unchanged,
  // in the same order.
  const foreign = (t: string) => ruleLines(t).filter((l) => !isPolicyLine(l, s.policy.name) && chainOf(l) !== owned);
  expect(foreign(once.text), `${s.label}: the non-managed rules, in order`).toEqual(foreign(s.text));

  // The managed rules: all in the filter table, in the owned chain, which holds nothing else,
  // plus one jump, the first rule of the policy's chain but for other policies' jumps.
  const managed = ruleLines(once.text).filter((l) => isPolicyLine(l, s.policy.name));
  expect(managed, `${s.label}: managed rules only in *filter`).toEqual(
    tableRuleLines(once.text, 'filter').filter((l) => isPolicyLine(l, s.policy.name)),
  );
  const outRules = tableRuleLines(once.text, 'filter').map((l) => l.replace(/^\[\d+:\d+\]\s*/, ''));
  const inOwned = outRules.filter((l) => chainOf(l) === owned);
  expect(inOwned.length, `${s.label}: one line per compiled rule in ${owned}`).toBe(once.managed);
  expect(inOwned.every((l) => isPolicyLine(l, s.policy.name))).toBe(true);
  const chainRules = outRules.filter((l) => chainOf(l) === s.policy.chain);
  expect(
    chainRules.filter((l) => l === jump),
    `${s.label}: exactly one jump`,
  ).toHaveLength(1);
  const above = chainRules.slice(0, chainRules.indexOf(jump));
  expect(
    above.every((l) => /--comment "dfw:[^:"]+:jump"/.test(l)),
    `${s.label}: only other policies' jumps above the jump`,
  ).toBe(true);
  const elsewhere = managed.filter((l) => chainOf(l) !== owned && l.replace(/^\[\d+:\d+\]\s*/, '') !== jump);
  const forward = `-A FORWARD -m comment --comment "dfw:${s.policy.name}:forward" -j ${s.policy.chain}`;
  expect(
    elsewhere.map((l) => l.replace(/^\[\d+:\d+\]\s*/, '')),
    `${s.label}: nothing else of the policy`,
  ).toEqual(once.addedJump ? [forward] : []);
}

describe('properties on every golden case (its own policy and args)', () => {
  it.each(CASES)('$name', (c) => {
    checkProperties({
      label: c.name,
      text: c.inputText,
      policy: c.policy,
      family: familyOfCase(c),
      createChain: c.args.includes('--create-chain'),
    });
  });

  it.each(CASES)('$name: the expected full.out is itself a fixpoint of the policy', (c) => {
    const s = {
      label: `${c.name}/full.out`,
      text: c.full,
      policy: c.policy,
      family: familyOfCase(c),
      createChain: false,
    };
    expect(transformText(c.full, s).text).toBe(c.full);
  });
});

/** Every distinct policy used anywhere: fixtures/policies/*.yaml and the golden cases'. */
function allPolicies(): { label: string; policy: Policy }[] {
  const seen = new Set<string>();
  const out: { label: string; policy: Policy }[] = [];
  const add = (label: string, text: string) => {
    if (seen.has(text)) return;
    seen.add(text);
    out.push({ label, policy: loadPolicy(text, label) });
  };
  const dir = join(FIXTURES, 'policies');
  for (const f of readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort())
    add(`policies/${f}`, readFileSync(join(dir, f), 'utf8'));
  for (const c of CASES) add(`transform/${c.name}/policy.yaml`, c.policyText);
  return out;
}

describe('properties on every fixtures/iptables dump, with every policy', () => {
  const policies = allPolicies();
  it('uses several policies, in both chains', () => {
    expect(policies.length).toBeGreaterThanOrEqual(10);
    expect(policies.some((p) => p.policy.chain === 'DOCKER')).toBe(true);
  });

  // Dumps without the policy's chain (kube-proxy, extensions) get it with createChain.
  it.each(iptablesFixtures())('%s', (name, text) => {
    const family = detectFamily(parseIptables(text, { file: name })) ?? (name.endsWith('.v6') ? 6 : 4);
    expect(family, `${name}: the family of the dump`).toBe(name.endsWith('.v6') ? 6 : 4);
    for (const { label, policy } of policies) {
      checkProperties({ label: `${name} + ${label}`, text, policy, family, createChain: true });
    }
  });
});
