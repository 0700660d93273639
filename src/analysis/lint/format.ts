// The lint report as text (for people) and as JSON (for scripts; versioned).
import type { DockerLayout } from '../../docker/layout.js';
import { summary, type LintReport } from './lint.js';
import type { Finding } from './types.js';

/** `Docker 29 (…); bridges: docker0 (nat), br-x (routed)`. */
export function layoutLine(layout: DockerLayout): string {
  const bridges = layout.bridges.map((b) => (b.gatewayMode ? `${b.name} (${b.gatewayMode})` : b.name)).join(', ');
  const seen = layout.kind === 'unknown' && layout.seen.length > 0 ? ` [seen: ${layout.seen.join('; ')}]` : '';
  return `${layout.description}${bridges ? `; bridges: ${bridges}` : ''}${seen}`;
}

export function findingText(f: Finding): string {
  return `${f.file}:${f.line}:${f.column}: ${f.severity} [${f.ruleId}] ${f.message}\n  hint: ${f.hint}\n`;
}

/** What `dfw lint` prints by default: each dump's layout, the findings, a count. */
export function lintText(report: LintReport): string {
  const head = report.dumps.map((d) => `${d.file}: IPv${d.family}, ${layoutLine(d.layout)}\n`).join('');
  const body = report.findings.map(findingText).join('');
  const n = summary(report.findings);
  const counts = `${n.error} error(s), ${n.warning} warning(s), ${n.info} info`;
  const skipped = report.skipped.length > 0 ? `\nnot checked: ${report.skipped.join('; ')}` : '';
  return `${head}${body}${counts}${skipped}\n`;
}

/** The version of the JSON form of a lint report. */
export const LINT_JSON_VERSION = 1;

/** `{ version, dumps: [{ file, family, layout }], findings, summary, skipped }`. */
export function lintJson(report: LintReport): object {
  return {
    version: LINT_JSON_VERSION,
    dumps: report.dumps,
    findings: report.findings,
    summary: summary(report.findings),
    skipped: report.skipped,
  };
}
