// SARIF output of every lint fixture validates against the SARIF 2.1.0 JSON schema: the copy
// @microsoft/jest-sarif ships (sarif-2.1.0-rtm.5.json, draft-04, hence ajv-draft-04). ajv's
// strict mode is off (the schema uses keywords of its time that strict mode rejects), and its
// patterns are compiled without the u flag: the `language` pattern has a stray `]` that only
// unicode mode refuses.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import AjvDraft04, { type ValidateFunction } from 'ajv-draft-04';
import { LINT_RULES, lintSarif } from '../src/analysis/lint/index.js';
import { LINT_DIR, lintFixture } from './lint-support.js';

const require = createRequire(import.meta.url);
const schemaPath = require.resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json');
const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as object;
// A CommonJS module: its class is the default export's `default` under NodeNext typing.
const Ajv = (AjvDraft04 as unknown as { default: new (o: object) => { compile(s: object): ValidateFunction } }).default;
const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, unicodeRegExp: false });
const validate = ajv.compile(schema);

const POLICY: Record<string, string> = {
  'stale.v4': 'stale.yaml',
  'fresh.v4': 'stale.yaml',
  'layout-29.v4': 'raw-drop.yaml',
};
const dumps = readdirSync(LINT_DIR)
  .filter((f) => /\.v[46]$/.test(f))
  .sort();

describe('SARIF 2.1.0', () => {
  it('the schema rejects a log that is not SARIF (the check can fail)', () => {
    expect(validate({ version: '2.1.0', runs: [{ tool: {} }] })).toBe(false);
    expect(validate({ version: '2.0.0', runs: [] })).toBe(false);
  });

  for (const f of dumps) {
    it(`${f}: validates`, () => {
      const log = lintSarif(lintFixture({ files: [f], ...(POLICY[f] ? { policy: POLICY[f] } : {}) }), {
        version: '0.1.0',
      });
      const ok = validate(log);
      expect(validate.errors ?? [], JSON.stringify(validate.errors?.slice(0, 3))).toEqual([]);
      expect(ok).toBe(true);
    });
  }

  it('one run; every rule with descriptions and help; results point at the dump, line and column', () => {
    const report = lintFixture({ files: ['jump-missing.v4'] });
    const log = lintSarif(report) as unknown as {
      runs: {
        tool: {
          driver: {
            name: string;
            rules: {
              id: string;
              shortDescription: { text: string };
              fullDescription: { text: string };
              help: { text: string };
            }[];
          };
        };
        results: {
          ruleId: string;
          ruleIndex: number;
          level: string;
          message: { text: string };
          locations: {
            physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number; startColumn: number } };
          }[];
        }[];
      }[];
    };
    expect(log.runs).toHaveLength(1);
    const run = log.runs[0]!;
    expect(run.tool.driver.rules.map((r) => r.id)).toEqual(LINT_RULES.map((r) => r.id));
    for (const r of run.tool.driver.rules) {
      expect(r.shortDescription.text.length).toBeGreaterThan(10);
      expect(r.fullDescription.text.length).toBeGreaterThan(r.shortDescription.text.length);
      expect(r.help.text.length).toBeGreaterThan(10);
    }
    expect(run.results).toHaveLength(report.findings.length);
    const error = run.results.find((r) => r.ruleId === 'docker-user-jump-missing')!;
    expect(error.level).toBe('error');
    expect(run.tool.driver.rules[error.ruleIndex]!.id).toBe('docker-user-jump-missing');
    expect(error.locations[0]!.physicalLocation).toEqual({
      artifactLocation: { uri: 'jump-missing.v4' },
      region: { startLine: 19, startColumn: 1 },
    });
    expect(run.results.find((r) => r.ruleId === 'published-port-open')!.level).toBe('note');
  });
});
