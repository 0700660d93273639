// dfw's public API: everything the CLI does goes through these functions. Re-exports only,
// each name listed (docs/library.md); parser internals (tokens, shape caches, the classes of
// parsed nodes) stay inside.
//
//   import { parseIptables, transformDump, loadPolicy, printIptables } from 'dfw';
//   const dump = parseIptables(text, { file: 'rules.v4' });
//   const { dump: out } = transformDump(dump, loadPolicy(yaml, 'dfw.yaml'), { family: 4 });
//   process.stdout.write(printIptables(out));

import * as ipset from './ipset/index.js';

export { DfwError, DfwSyntaxError } from './errors.js';
export type { SourcePosition } from './errors.js';

// the source-text rule, for both formats
export { sourceText } from './source.js';
export type { SourceText } from './source.js';

// iptables dumps: AST, parse, print, JSON form
export { TABLES, BUILTIN_CHAINS } from './iptables/ast.js';
export type {
  BlankLine,
  ChainDecl,
  Command,
  CommandOp,
  CommentLine,
  Counters,
  Family,
  IptablesDump,
  Match,
  Option,
  Rule,
  RuleSpec,
  Statement,
  Table,
  TableName,
  Target,
  TopLevel,
} from './iptables/ast.js';
export { parseIptables, MAX_ARGS, MAX_ARGS_WITH_COUNTERS, MAX_CHAIN_NAME, MAX_LINE_BYTES } from './iptables/parse.js';
export type { ParseOptions } from './iptables/parse.js';
export { printIptables, printIptablesChunks, printRule, printSpec } from './iptables/print.js';
export { iptablesToJson, iptablesFromJson, JSON_VERSION } from './iptables/json.js';
export { rule, chain, table, comment, opt, not, match, jump, goTo } from './iptables/build.js';
export { editRule, editChainDecl, editCommand, editTable, editDump } from './iptables/build.js';
export {
  ruleChain,
  ruleTarget,
  ruleSource,
  ruleDestination,
  ruleInInterface,
  ruleOutInterface,
  ruleProtocol,
  ruleCounters,
  ruleComments,
  ruleMatch,
} from './iptables/rule.js';
export type { Negatable } from './iptables/rule.js';
export { isManaged } from './iptables/managed.js';
export { detectFamily } from './iptables/family.js';

// policy
export { loadPolicy, policyWarnings, referencedSets, type PolicyWarning } from './policy/load.js';
export { compilePolicy, managedTag, managedPrefix, ownedChain, jumpRule, policySetFamilies } from './policy/compile.js';
export type { CompileOptions } from './policy/compile.js';
export type { AllowRule, IpsetSpec, Policy, PortRange, Source } from './policy/types.js';

// transforms
export { familyMatters, transformDump } from './transform/inject.js';
export { forwardReachProblem } from './transform/reach.js';
export type { TransformOptions, TransformResult } from './transform/inject.js';
export { stripDump, stripNoflushText } from './transform/strip.js';
export type { StripOptions } from './transform/strip.js';
export { noflushText, ownedChainText, jumpCommand, type NoflushSources } from './transform/noflush.js';
export { applyPlugins } from './transform/plugins.js';
export type { Plugin, PluginContext, PluginFunction } from './transform/plugins.js';

// Docker facts read from a dump
export { publishedPorts, unpublishedPorts } from './docker/published.js';
export type { PublishedPort } from './docker/published.js';

// Docker's layout read from a dump, and dfw lint (issue 17)
export { dockerLayout, isDockerOwnChain } from './docker/layout.js';
export type {
  DockerLayout,
  LayoutKind,
  LayoutOptions,
  BridgeLayout,
  GatewayMode,
  DockerUserJump,
} from './docker/layout.js';
export {
  lintDumps,
  lintText,
  lintJson,
  lintSarif,
  layoutLine,
  failsAt,
  summary as lintSummary,
  LINT_RULES,
  LINT_JSON_VERSION,
  lintRule,
  SEVERITIES,
} from './analysis/lint/index.js';
export type {
  Finding,
  LintRule,
  Severity,
  LintOptions,
  LintReport,
  SarifLog,
  SarifOptions,
  DumpInput,
} from './analysis/lint/index.js';

// diffs
export { unifiedDiff, withoutSaveDates } from './diff.js';

// ipset dumps: parse, print, reconcile with the policy's sets (the whole API under `ipset`)
export { parseIpset } from './ipset/parse.js';
export type { IpsetParseOptions } from './ipset/parse.js';
export { printIpset } from './ipset/print.js';
export { reconcileIpsets, RECONCILE_MODES } from './ipset/reconcile.js';
export type { ReconcileMode, ReconcileResult, IpsetChange } from './ipset/reconcile.js';
export type { IpsetDump, IpsetLine, IpsetOption } from './ipset/ast.js';
export { editIpsetLine } from './ipset/ast.js';
export { ipsetToJson, ipsetFromJson } from './ipset/json.js';
export { ipset };

// boot and restart persistence: the files `dfw bundle` writes, built in memory (the CLI writes them)
export { buildBundle, compareBundle, bundleOptions, BUNDLE_FILE_NAMES } from './bundle/index.js';
export type { Bundle, BundleFile, BundleDifference, BundleOptions } from './bundle/index.js';

// either kind of dump, recognised by content
export { parseDump, printDump, dumpToJson, dumpFromJson, isIptablesDump } from './dump.js';
export type { Dump } from './dump.js';

// Docker's nftables backend: the policy as one nft table dfw owns, and `nft -j list ruleset` read back
export {
  compileNft,
  scriptText,
  tableText,
  readNftRuleset,
  findTable,
  compareTables,
  nftPublishedPorts,
  nftUnpublishedPorts,
  nftBackendHint,
} from './nft/index.js';
export type {
  FamilyChoice,
  NftRuleset,
  NftTable,
  NftChain,
  NftRule,
  NftSet,
  NftJson,
  NftPublishedPort,
} from './nft/index.js';

// analysis: what the kernel does with one packet, offline (docs/library.md#analysis)
export { prepareRuleset, evaluate, MAX_DEPTH, MAX_STEPS, DEFAULT_SPORT } from './analysis/index.js';
export type { Ruleset, RulesetOptions, Packet, Step, Tri, Verdict, HostFacts, Evaluation } from './analysis/index.js';

// exposure: who can reach each published port, computed with the evaluator (docs/library.md#exposure)
export { exposure, exposureWithPolicy } from './analysis/exposure.js';
export type { ExposureOptions } from './analysis/exposure.js';
export { compareExposure } from './analysis/exposure-compare.js';
export type { ReachPair } from './analysis/exposure-compare.js';
export type { Exposure, PortExposure } from './analysis/exposure-compute.js';
export type { Published } from './analysis/exposure-entries.js';
export type { Reach, RuleRef, SetReach, UnknownPart } from './analysis/exposure-reach.js';
