// The lint report as a SARIF 2.1.0 log (one run), the form code-scanning services read
// (GitHub's upload-sarif action, among others). Types from @types/sarif; the shape is checked
// against the SARIF schema in test/lint-sarif.test.ts.
import type { Log, ReportingDescriptor, Result } from 'sarif';
import type { LintReport } from './lint.js';
import { LINT_RULES } from './registry.js';
import type { Finding, Severity } from './types.js';

const LEVEL: Record<Severity, Result.level> = { error: 'error', warning: 'warning', info: 'note' };

export interface SarifOptions {
  /** dfw's version, for tool.driver.version. */
  readonly version?: string;
}

/** A file name as a SARIF artifact URI: a relative reference, each segment percent-encoded. */
export function artifactUri(file: string): string {
  if (file === '<stdin>' || file === '-') return 'stdin';
  return file
    .split('/')
    .map((s) => encodeURIComponent(s))
    .join('/');
}

function descriptor(id: string): ReportingDescriptor {
  const r = LINT_RULES.find((x) => x.id === id)!;
  return {
    id: r.id,
    name: r.id.replace(/(^|-)([a-z0-9])/g, (_m, _d, c: string) => c.toUpperCase()),
    shortDescription: { text: r.short },
    fullDescription: { text: r.full },
    help: { text: r.help, markdown: r.help },
    defaultConfiguration: { level: LEVEL[r.severity] },
    properties: { tags: ['firewall', 'docker', 'iptables'] },
  };
}

function result(f: Finding, index: number): Result {
  return {
    ruleId: f.ruleId,
    ruleIndex: index,
    level: LEVEL[f.severity],
    message: { text: `${f.message}. Hint: ${f.hint}` },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: artifactUri(f.file) },
          region: { startLine: Math.max(1, f.line), startColumn: Math.max(1, f.column) },
        },
      },
    ],
  };
}

/**
 * A SARIF 2.1.0 log, as plain JSON data (its full type is @types/sarif's `Log`, which the
 * package does not make its users install).
 */
export interface SarifLog {
  readonly $schema: string;
  readonly version: '2.1.0';
  readonly runs: readonly object[];
}

/**
 * The report as a SARIF 2.1.0 log: tool.driver.rules lists every rule (so a viewer can show
 * the ones that found nothing), each result points at its dump, line and column.
 */
export function lintSarif(report: LintReport, options: SarifOptions = {}): SarifLog {
  const ids = LINT_RULES.map((r) => r.id);
  const log: Log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'dfw',
            ...(options.version ? { version: options.version, semanticVersion: options.version } : {}),
            rules: ids.map(descriptor),
          },
        },
        results: report.findings.map((f) => result(f, ids.indexOf(f.ruleId))),
      },
    ],
  };
  return log as SarifLog;
}
