// Issue 14 acceptance, rule by rule on the real tools (nft and legacy, IPv4 and IPv6), in network
// namespaces: a policy's rules live in the chain it owns (DFW-<name>), reached by one tagged jump
// at the top of DOCKER-USER, so that dfw never flushes a chain other tools write to.
//
// - the race: a dump saved, then another tool (the CrowdSec bouncer) inserts its rule at the top
//   of DOCKER-USER and an admin appends one; dfw's noflush output of the SAVED dump, restored,
//   keeps both in their places (on the layout before the owned chain it flushed DOCKER-USER and
//   lost them: this test failed there);
// - two policies on one host: apply A, apply B, change A, strip B; after each step the other
//   policy's rules and every foreign rule are unchanged;
// - migration from the layout before the owned chain, in one restore;
// - strip --mode noflush gives the state before dfw back; --check exits 0 after each apply.
//
// The packets' view of the same (probes while the migration restore runs, the bundle's reload
// over foreign rules) is in test/lab/suite.ts and test/bundle-lab.test.ts.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseIptables } from '../src/iptables/parse.js';
import { printIptables } from '../src/iptables/print.js';
import { loadPolicy } from '../src/policy/load.js';
import type { Policy } from '../src/policy/types.js';
import { transformDump } from '../src/transform/inject.js';
import { noflushText } from '../src/transform/noflush.js';
import * as strip from '../src/transform/strip.js';
import { FIXTURES, ROOT } from './support/fixtures.js';
import { describeNetns, Netns } from './support/netns.js';

const CLI = join(ROOT, 'dist', 'dfw.cjs');
const VARIANTS = ['nft', 'legacy'] as const;
type Variant = (typeof VARIANTS)[number];
type Family = 4 | 6;
const TOOLS = [
  'ipset',
  ...['iptables', 'ip6tables'].flatMap((b) =>
    VARIANTS.flatMap((v) => [`${b}-${v}-restore`, `${b}-${v}-save`, `${b}-${v}`]),
  ),
];

const policyText = (name: string, port: number, def = 'drop') => `version: 1
name: ${name}
external: [eth0]
allow:
  - name: p${port}
    proto: tcp
    port: ${port}
    from: any
sources: [198.51.100.0/24, "2001:db8:2::/64"]
default: ${def}
`;
const WEB = loadPolicy(policyText('web', 8443), 'web.yaml');
const WEB2 = loadPolicy(policyText('web', 8080), 'web2.yaml');
const OPS = loadPolicy(policyText('ops', 2222, 'reject'), 'ops.yaml');

const CMD_TIMEOUT_MS = 45_000;

/** The rule lines of a save, without counters. */
function ruleLines(saved: string): string[] {
  return saved
    .split('\n')
    .filter((l) => /^(\[\d+:\d+\] )?-A /.test(l))
    .map((l) => l.replace(/^\[\d+:\d+\] /, ''));
}

/** Which policy a rule line belongs to (its tag or its owned chain), or undefined for a foreign rule. */
function ownerOf(line: string): string | undefined {
  const tag = /--comment "?dfw:([^:"]+):/.exec(line);
  if (tag) return tag[1];
  return /^-A DFW-(\S+) /.exec(line)?.[1];
}

const rulesOf = (saved: string, owner: string | undefined) => ruleLines(saved).filter((l) => ownerOf(l) === owner);
const chainOf = (saved: string, chain: string) => ruleLines(saved).filter((l) => l.startsWith(`-A ${chain} `));

/** `iptables-save | dfw transform --check` through the library: the dump is what the policy says. */
function applied(saved: string, policy: Policy, family: Family): boolean {
  return printIptables(transformDump(parseIptables(saved), policy, { family }).dump) === saved;
}

/** Counters, dates and the order of the tables (legacy: the order they were made) differ between two saves of the same state. */
const normalise = (s: string) =>
  s
    .replace(/^#.*\n/gm, '')
    .replace(/\[\d+:\d+\]/g, '[0:0]')
    .split(/(?<=^COMMIT\n)/m)
    .sort()
    .join('');

class Host {
  readonly ns: Netns;
  constructor(
    readonly variant: Variant,
    readonly family: Family,
    label: string,
  ) {
    this.ns = Netns.create(`own-${label}-${variant}${family}`);
  }
  private bin(tool: string): string {
    return `${this.family === 6 ? 'ip6tables' : 'iptables'}-${this.variant}${tool}`;
  }
  save(): string {
    return this.ok(this.bin('-save'), []);
  }
  restore(text: string, noflush = true): void {
    this.ok(this.bin('-restore'), noflush ? ['--noflush'] : [], text);
  }
  ipt(...args: string[]): void {
    this.ok(this.bin(''), args);
  }
  ok(cmd: string, args: string[], input?: string): string {
    const r = this.ns.run(cmd, args, input, CMD_TIMEOUT_MS);
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}\n${input ?? ''}`);
    return r.stdout;
  }
  /** `iptables-save | dfw transform --mode noflush | iptables-restore --noflush` (the library, as the CLI calls it). */
  apply(policy: Policy, saved = this.save()): string {
    const out = noflushText(transformDump(parseIptables(saved), policy, { family: this.family }), policy, this.family);
    this.restore(out);
    return out;
  }
  /** A Docker 29 host, as this variant saves it. */
  docker(): void {
    this.restore(readFileSync(join(FIXTURES, 'iptables', `docker29.${this.variant}.v${this.family}`), 'utf8'), false);
  }
  /** The CrowdSec bouncer's rule, inserted at the top of DOCKER-USER, with its set. */
  crowdsec(): string {
    const set = this.crowdsecSet();
    this.ipt('-I', 'DOCKER-USER', '1', '-m', 'set', '--match-set', set, 'src', '-j', 'DROP');
    return `-A DOCKER-USER -m set --match-set ${set} src -j DROP`;
  }
  crowdsecSet(): string {
    const set = this.family === 6 ? 'crowdsec6-blacklists' : 'crowdsec-blacklists';
    this.ok('ipset', ['create', set, 'hash:ip', 'family', this.family === 6 ? 'inet6' : 'inet', '-exist']);
    return set;
  }
  /** An admin's rule appended at the end of DOCKER-USER. */
  appended(): string {
    const src = this.family === 6 ? '2001:db8:99::/64' : '203.0.113.99/32';
    this.ipt('-A', 'DOCKER-USER', '-s', src, '-j', 'DROP');
    return `-A DOCKER-USER -s ${src} -j DROP`;
  }
}

function cases(fn: (variant: Variant, family: Family) => void): void {
  for (const variant of VARIANTS) for (const family of [4, 6] as const) fn(variant, family);
}

describeNetns(
  'own chain and one jump, on the real tools (nft and legacy, IPv4 and IPv6)',
  () => {
    cases((variant, family) => {
      it(`${variant} IPv${family}: the race: rules another tool adds to DOCKER-USER after the save survive the restore of dfw's noflush output, in their places`, () => {
        const h = new Host(variant, family, 'race');
        try {
          h.docker();
          h.apply(WEB);
          const saved = h.save();
          const top = h.crowdsec();
          const end = h.appended();
          const before = chainOf(h.save(), 'DOCKER-USER');
          expect(before[0]).toBe(top);
          expect(before[before.length - 1]).toBe(end);

          // The saved dump knows neither rule; a changed policy makes the restore do something.
          h.apply(WEB2, saved);
          const after = h.save();
          const rules = chainOf(after, 'DOCKER-USER');
          expect(rules[0], 'the inserted rule is still first').toBe(top);
          expect(rules[rules.length - 1], 'the appended rule is still last').toBe(end);
          expect(rules.filter((l) => ownerOf(l) === undefined)).toEqual(before.filter((l) => ownerOf(l) === undefined));
          expect(
            rulesOf(after, 'web').some((l) => l.includes('--ctorigdstport 8080')),
            'the new policy is in',
          ).toBe(true);
          expect(
            rulesOf(after, 'web').some((l) => l.includes('--ctorigdstport 8443')),
            'the old one is out',
          ).toBe(false);
          // Not first any more (the bouncer's rule is above it): dfw's --check says so, and the next
          // apply moves the jump back up without touching the foreign rules.
          expect(applied(after, WEB2, family)).toBe(false);
          h.apply(WEB2);
          const moved = chainOf(h.save(), 'DOCKER-USER');
          expect(moved[0]).toBe(`-A DOCKER-USER -m comment --comment "dfw:web:jump" -j DFW-web`);
          expect(moved.filter((l) => ownerOf(l) === undefined)).toEqual(before.filter((l) => ownerOf(l) === undefined));
          expect(applied(h.save(), WEB2, family), '--check after the apply').toBe(true);
        } finally {
          h.ns.delete();
        }
      });

      it(`${variant} IPv${family}: two policies: apply A, apply B, change A, strip B; each step leaves the other policy and every foreign rule as they were`, () => {
        const h = new Host(variant, family, 'two');
        try {
          h.docker();
          h.crowdsec();
          h.appended();
          const foreign = rulesOf(h.save(), undefined);
          const step = (what: string, run: () => void, other: string | undefined, checks: Policy[]) => {
            const before = h.save();
            run();
            const after = h.save();
            expect(rulesOf(after, undefined), `${what}: foreign rules`).toEqual(foreign);
            if (other !== undefined)
              expect(rulesOf(after, other), `${what}: policy ${other}`).toEqual(rulesOf(before, other));
            for (const p of checks) expect(applied(after, p, family), `${what}: --check ${p.name}`).toBe(true);
            return after;
          };
          step('apply A', () => h.apply(WEB), undefined, [WEB]);
          step('apply B', () => h.apply(OPS), 'web', [WEB, OPS]);
          const changed = step('change A', () => h.apply(WEB2), 'ops', [WEB2, OPS]);
          expect(rulesOf(changed, 'web').some((l) => l.includes('--ctorigdstport 8080'))).toBe(true);
          const stripped = step(
            'strip B',
            () => h.restore(strip.stripNoflushText(parseIptables(h.save()), { policy: 'ops' }, family)),
            'web',
            [WEB2],
          );
          expect(stripped).not.toMatch(/dfw:ops:|DFW-ops/);
          // Idempotence: applying A once more changes nothing.
          h.apply(WEB2);
          expect(normalise(h.save())).toBe(normalise(stripped));
          // B back, then strip --all --mode noflush: no dfw rule or chain is left, the rest stays.
          h.apply(OPS);
          h.restore(strip.stripNoflushText(parseIptables(h.save()), {}, family));
          const none = h.save();
          expect(none).not.toMatch(/dfw:|DFW-/);
          expect(ruleLines(none)).toEqual(foreign);
        } finally {
          h.ns.delete();
        }
      });

      it(`${variant} IPv${family}: migration: a dump of the layout before the owned chain moves to the new one in one restore; strip --mode noflush then gives the host before dfw back`, () => {
        const h = new Host(variant, family, 'mig');
        try {
          h.docker();
          const pristine = h.save();
          // The earlier layout: the same rules directly at the top of DOCKER-USER, no jump, no chain.
          const now = printIptables(transformDump(parseIptables(pristine), WEB, { family }).dump);
          const old = now
            .split('\n')
            .filter((l) => l !== ':DFW-web - [0:0]' && !l.includes('dfw:web:jump'))
            .map((l) => l.replace(/^-A DFW-web /, '-A DOCKER-USER '))
            .join('\n');
          h.restore(old, false);
          const top = h.crowdsec();
          const end = h.appended();
          const saved = h.save();
          expect(chainOf(saved, 'DOCKER-USER').filter((l) => ownerOf(l) === 'web')).toHaveLength(
            rulesOf(now, 'web').length - 1,
          );

          const out = noflushText(transformDump(parseIptables(saved), WEB, { family }), WEB, family);
          expect(out.match(/^COMMIT$/gm), 'one commit').toHaveLength(1);
          expect(out).not.toMatch(/^:DOCKER/m);
          h.restore(out);
          const after = h.save();
          expect(chainOf(after, 'DOCKER-USER')).toEqual([
            // The dump shows the bouncer's rule: the new jump goes above it, at the top.
            `-A DOCKER-USER -m comment --comment "dfw:web:jump" -j DFW-web`,
            top,
            ...chainOf(pristine, 'DOCKER-USER'),
            end,
          ]);
          expect(chainOf(after, 'DFW-web')).toEqual(chainOf(now, 'DFW-web'));
          expect(rulesOf(after, undefined)).toEqual(rulesOf(saved, undefined));
          expect(applied(after, WEB, family), '--check after the migration').toBe(true);
          expect(rulesOf(after, 'web')).toEqual(rulesOf(now, 'web'));

          // The full path from the same dump reaches the same state.
          const full = new Host(variant, family, 'migf');
          try {
            full.crowdsecSet();
            full.restore(saved, false);
            full.restore(printIptables(transformDump(parseIptables(saved), WEB, { family }).dump), false);
            expect(normalise(full.save())).toBe(normalise(after));
          } finally {
            full.ns.delete();
          }

          h.restore(strip.stripNoflushText(parseIptables(after), { policy: 'web' }, family));
          const stripped = h.save();
          expect(stripped).not.toMatch(/dfw:|DFW-/);
          expect(chainOf(stripped, 'DOCKER-USER')).toEqual([top, ...chainOf(pristine, 'DOCKER-USER'), end]);
          const notUser = (t: string) => ruleLines(t).filter((l) => !l.startsWith('-A DOCKER-USER '));
          expect(notUser(stripped)).toEqual(notUser(pristine));
          expect(rulesOf(stripped, undefined)).toEqual(rulesOf(saved, undefined));
        } finally {
          h.ns.delete();
        }
      });
    });
  },
  TOOLS,
);

// ---- --check, through the CLI (text only) ------------------------------------------------------

describe('--check exits 1 when the jump is missing, duplicated or not first, or the owned chain differs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dfw-ownchain-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const policy = join(dir, 'web.yaml');
  writeFileSync(policy, policyText('web', 8443));
  const docker = readFileSync(join(FIXTURES, 'iptables', 'docker29.nft.v4'), 'utf8');
  const good = printIptables(transformDump(parseIptables(docker), WEB, { family: 4 }).dump);
  const jump = '-A DOCKER-USER -m comment --comment "dfw:web:jump" -j DFW-web';
  const check = (text: string) =>
    spawnSync(process.execPath, [CLI, 'transform', '-', '--policy', policy, '--check'], {
      input: text,
      encoding: 'utf8',
      timeout: 30_000,
    }).status;
  const edit = (f: (lines: string[]) => string[]) => f(good.split('\n')).join('\n');
  const at = (lines: string[], l: string) => {
    const i = lines.indexOf(l);
    expect(i, l).toBeGreaterThan(0);
    return i;
  };

  it('applied: 0; another policy jump above it: still 0', () => {
    expect(check(good)).toBe(0);
    const other = edit((ls) => {
      ls.splice(at(ls, jump), 0, '-A DOCKER-USER -m comment --comment "dfw:ops:jump" -j DFW-ops');
      ls.splice(at(ls, ':DFW-web - [0:0]'), 0, ':DFW-ops - [0:0]');
      return ls;
    });
    expect(check(other)).toBe(0);
  });
  it('dfw strip --mode noflush prints the deletes the library makes, and only them', () => {
    const r = spawnSync(process.execPath, [CLI, 'strip', '-', '--policy', policy, '--mode', 'noflush'], {
      input: good,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(strip.stripNoflushText(parseIptables(good), { policy: 'web' }, 4));
    expect(r.stdout.split('\n').filter((l) => /^[-*:C]/.test(l))).toEqual([
      '*filter',
      `-D DOCKER-USER -m comment --comment "dfw:web:jump" -j DFW-web`,
      '-F DFW-web',
      '-X DFW-web',
      'COMMIT',
    ]);
  });
  it('jump missing: 1', () => expect(check(edit((ls) => ls.filter((l) => l !== jump)))).toBe(1));
  it('jump duplicated: 1', () => expect(check(edit((ls) => (ls.splice(at(ls, jump), 0, jump), ls)))).toBe(1));
  it('a foreign rule above the jump: 1', () =>
    expect(check(edit((ls) => (ls.splice(at(ls, jump), 0, '-A DOCKER-USER -s 192.0.2.7/32 -j DROP'), ls)))).toBe(1));
  it('a rule of the owned chain changed, or one added by hand: 1', () => {
    expect(check(good.replace('--ctorigdstport 8443', '--ctorigdstport 8444'))).toBe(1);
    expect(check(edit((ls) => (ls.splice(at(ls, jump), 0, '-A DFW-web -s 192.0.2.7/32 -j RETURN'), ls)))).toBe(1);
  });
});
