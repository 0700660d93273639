// The public API of dfw's ipset side (`import { ipset } from 'dfw'`): re-exports only, listed.
export {
  type BlankLine,
  type CommandLine,
  type CommentLine,
  type CommitLine,
  type CreateLine,
  type EntryLine,
  type IpsetDump,
  type IpsetLine,
  type IpsetOption,
  type PairLine,
  type SetsLine,
  type SourceText,
  commentLine,
  createLine,
  dump,
  editIpsetLine,
  entryLine,
  optionValue,
  pairLine,
  setsLine,
} from './ast.js';
export { parseIpset, parseEntryText, type IpsetParseOptions } from './parse.js';
export { printIpset, printLine, canonicalLine } from './print.js';
export { ipsetToJson, ipsetFromJson } from './json.js';
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
export {
  type SetSpec,
  type ValidSet,
  type SpecProblem,
  type SpecResult,
  checkSetSpec,
  resolveSetSpec,
} from './set-spec.js';
