// Every lint rule on fixtures made with the real tools (fixtures/gen/gen-lint.sh): one that
// triggers it and one close to it that does not, with the finding's place, severity and hint.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LINT_RULES } from '../src/analysis/lint/index.js';
import { LINT_DIR, lintFixture, ruleIds, type LintCall } from './lint-support.js';

interface Case {
  rule: string;
  triggers: LintCall;
  /** The line of the rule the finding points at, and text of that line it must point into. */
  at: { line: number; text: string };
  severity: 'error' | 'warning' | 'info';
  near: LintCall;
}

const CASES: Case[] = [
  {
    rule: 'docker-user-jump-missing',
    triggers: { files: ['jump-missing.v4'] },
    at: { line: 19, text: '-A FORWARD -j DOCKER-FORWARD' },
    severity: 'error',
    near: { files: ['layout-29.v4'] },
  },
  {
    rule: 'docker-user-jump-missing',
    triggers: { files: ['jump-below.v4'] },
    at: { line: 20, text: '-j DOCKER-USER' },
    severity: 'error',
    near: { files: ['layout-swarm.v4'] },
  },
  {
    rule: 'input-rule-for-published-port',
    triggers: { files: ['input-published.v4'] },
    at: { line: 22, text: '--dport 8080' },
    severity: 'warning',
    near: { files: ['input-other.v4'] },
  },
  {
    rule: 'docker-chain-hand-rule',
    triggers: { files: ['docker-chain-hand.v4'] },
    at: { line: 21, text: '-A DOCKER -s 198.51.100.7/32' },
    severity: 'warning',
    near: { files: ['docker-chain-dfw.v4'] },
  },
  {
    rule: 'container-port-match',
    triggers: { files: ['container-port.v4'] },
    at: { line: 30, text: '--dport 8080 -j DROP' },
    severity: 'warning',
    near: { files: ['good-user.v4'] },
  },
  {
    rule: 'accept-in-docker-user',
    triggers: { files: ['accept-user.v4'] },
    at: { line: 29, text: '-j ACCEPT' },
    severity: 'warning',
    near: { files: ['good-user.v4'] },
  },
  {
    rule: 'drop-without-established',
    triggers: { files: ['drop-first.v4'] },
    at: { line: 30, text: '-j DROP' },
    severity: 'warning',
    near: { files: ['good-user.v4'] },
  },
  {
    rule: 'published-port-open',
    triggers: { files: ['layout-29.v4'], policy: 'open-port.yaml' },
    at: { line: 41, text: '--dport 8080' },
    severity: 'warning',
    near: { files: ['good-user.v4'], policy: 'open-port.yaml' },
  },
  {
    rule: 'unknown-set',
    triggers: { files: ['unknown-set.v4'] },
    at: { line: 30, text: '--match-set blocklist' },
    severity: 'error',
    near: { files: ['known-set.v4'] },
  },
  {
    rule: 'ipv6-unfiltered',
    triggers: { files: ['v6-pair.v4', 'v6-open.v6'] },
    at: { line: 18, text: ':DOCKER-USER' },
    severity: 'warning',
    near: { files: ['v6-pair.v4', 'v6-filtered.v6'] },
  },
  {
    rule: 'orphaned-docker-user',
    triggers: { files: ['layout-nftables.v4'] },
    at: { line: 7, text: '-j DOCKER-USER' },
    severity: 'warning',
    near: { files: ['orphan-dfw.v4'] },
  },
  {
    rule: 'raw-drop-blocks-allow',
    triggers: { files: ['layout-29.v4'], policy: 'raw-drop.yaml' },
    at: { line: 5, text: '-j DROP' },
    severity: 'warning',
    near: { files: ['layout-gateway-modes.v4'], policy: 'routed.yaml' },
  },
  {
    rule: 'stale-managed-rules',
    triggers: { files: ['stale.v4'], policy: 'stale.yaml' },
    at: { line: 22, text: '-A DFW-web -s 203.0.113.0/24' },
    severity: 'warning',
    near: { files: ['fresh.v4'], policy: 'stale.yaml' },
  },
];

const lineOf = (file: string, n: number): string => readFileSync(join(LINT_DIR, file), 'utf8').split('\n')[n - 1]!;

describe('lint rules: each on a fixture that triggers it and on one close to it', () => {
  it('every rule of the registry has a case', () => {
    expect(new Set(CASES.map((c) => c.rule))).toEqual(new Set(LINT_RULES.map((r) => r.id)));
  });

  for (const c of CASES) {
    const file = c.triggers.files[c.triggers.files.length - 1]!;
    it(`${c.rule}: ${c.triggers.files.join(' + ')} triggers it`, () => {
      const found = lintFixture(c.triggers).findings.filter((f) => f.ruleId === c.rule);
      expect(found.length).toBeGreaterThan(0);
      const f = found.find((x) => x.line === c.at.line);
      expect(f, `a finding at line ${c.at.line}; found ${found.map((x) => x.line).join(', ')}`).toBeDefined();
      expect(f!.file).toBe(file);
      expect(f!.severity).toBe(c.severity);
      const line = lineOf(file, c.at.line);
      expect(line).toContain(c.at.text);
      // The column points into the rule's line, at the part that is wrong where there is one.
      expect(f!.column).toBeGreaterThanOrEqual(1);
      expect(f!.column).toBeLessThanOrEqual(line.length);
      expect(f!.message).not.toContain('\n');
      expect(f!.hint.length).toBeGreaterThan(10);
    });
    it(`${c.rule}: ${c.near.files.join(' + ')} does not`, () => {
      expect(ruleIds(lintFixture(c.near))).not.toContain(c.rule);
    });
  }

  it('a hint carries the dfw policy line where one fixes it', () => {
    const hint = (call: LintCall, rule: string) => lintFixture(call).findings.find((f) => f.ruleId === rule)!.hint;
    expect(hint({ files: ['container-port.v4'] }, 'container-port-match')).toContain('`port: 8080`');
    expect(hint({ files: ['drop-first.v4'] }, 'drop-without-established')).toContain('`established: true`');
    expect(hint({ files: ['input-published.v4'] }, 'input-rule-for-published-port')).toContain('port: 8080');
  });

  it('published-port-open is info without --policy, and says nothing of closed ports', () => {
    const open = lintFixture({ files: ['layout-29.v4'] }).findings.filter((f) => f.ruleId === 'published-port-open');
    expect(open.map((f) => [f.line, f.severity])).toEqual([[41, 'info']]);
    expect(ruleIds(lintFixture({ files: ['good-user.v4'] }))).not.toContain('published-port-open');
  });

  it('drop-without-established follows jumps: a chain DOCKER-USER jumps to counts', () => {
    const f = lintFixture({ files: ['stale.v4'] }).findings.filter((x) => x.ruleId === 'drop-without-established');
    expect(f.map((x) => x.line)).toEqual([23]);
    expect(f[0]!.message).toContain('DFW-web');
  });

  it('stale-managed-rules names the stale rule, the old-layout rule and the missing ones', () => {
    const f = lintFixture({ files: ['stale.v4'], policy: 'stale.yaml' }).findings.filter(
      (x) => x.ruleId === 'stale-managed-rules',
    );
    expect(f.map((x) => x.line).sort((a, b) => a - b)).toEqual([13, 22, 33]);
    expect(f.find((x) => x.line === 13)!.message).toMatch(/lacks 2 rule\(s\)/);
  });
});
