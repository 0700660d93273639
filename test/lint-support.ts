// Shared by the lint tests: a lint fixture read and linted through the library, as the CLI does.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lintDumps, type LintReport } from '../src/analysis/lint/index.js';
import { parseIptables } from '../src/iptables/parse.js';
import { parseIpset } from '../src/ipset/parse.js';
import { loadPolicy } from '../src/policy/load.js';
import { FIXTURES } from './support/fixtures.js';

export const LINT_DIR = join(FIXTURES, 'lint');

export interface LintCall {
  /** Dump files under fixtures/lint (one, or a v4 and a v6). */
  files: string[];
  /** A policy under fixtures/lint. */
  policy?: string;
  /** Use the fixture's own `.ipset` (default: when there is one). */
  ipsets?: boolean;
}

export function lintFixture(call: LintCall): LintReport {
  const dumps = call.files.map((f) => ({
    dump: parseIptables(readFileSync(join(LINT_DIR, f), 'utf8'), { file: f }),
    file: f,
  }));
  const setsFile = join(LINT_DIR, call.files[0]!.replace(/\.v[46]$/, '.ipset'));
  const withSets = call.ipsets ?? existsSync(setsFile);
  const ipsets = withSets ? parseIpset(readFileSync(setsFile, 'utf8'), setsFile) : undefined;
  const policy = call.policy ? loadPolicy(readFileSync(join(LINT_DIR, call.policy), 'utf8'), call.policy) : undefined;
  return lintDumps(dumps, { ...(ipsets ? { ipsets } : {}), ...(policy ? { policy } : {}) });
}

export const ruleIds = (r: LintReport): string[] => r.findings.map((f) => f.ruleId);
