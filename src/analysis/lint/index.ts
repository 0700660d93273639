// dfw lint as a library: run the rules, then print the report in one of three forms.
export { lintDumps, summary, failsAt } from './lint.js';
export type { LintOptions, LintReport } from './lint.js';
export { lintText, lintJson, layoutLine, LINT_JSON_VERSION } from './format.js';
export { lintSarif } from './sarif.js';
export type { SarifLog, SarifOptions } from './sarif.js';
export { LINT_RULES, lintRule } from './registry.js';
export { SEVERITIES, atLeast } from './types.js';
export type { Finding, LintRule, Severity } from './types.js';
export type { DumpInput } from './context.js';
