// The public API of dfw's ipset side: re-exports only.
export * from './ast.js';
export { parseIpset, countParses, type IpsetParseOptions } from './parse.js';
export { printIpset, printLine, canonicalLine } from './print.js';
export { looksLikeIpset } from './detect.js';
export { type Member, normalizeElement, normalizeEntryOptions, memberKey, optionText } from './members.js';
export { type SetHeader, readHeader, headerOptions, headerDifferences } from './header.js';
export { checkComment, checkRestoreLine } from './limits.js';
export { checkSetName, SET_NAME_MAX } from './set-name.js';
export { SET_TYPES, SET_TYPE_INFO, type SetTypeName, setTypeOf, commandOf } from './settypes.js';
export {
  type ReconcileMode,
  type ReconcileResult,
  type IpsetChange,
  type ResolvedSet,
  RECONCILE_MODES,
  reconcileIpsets,
  resolveIpsets,
} from './reconcile.js';
export { type SetState, type DumpStateOptions, dumpState } from './state.js';
export { parseEntryText } from './parse.js';
export {
  type SetSpec,
  type ValidSet,
  type SpecProblem,
  type SpecResult,
  checkSetSpec,
  resolveSetSpec,
} from './set-spec.js';
