// The evaluator's public API (`import { prepareRuleset, evaluate } from 'dfw'`): re-exports only.
export { prepareRuleset, type Ruleset, type RulesetOptions } from './ruleset.js';
export { evaluate, MAX_DEPTH, MAX_STEPS } from './evaluate.js';
export { DEFAULT_SPORT } from './start.js';
export type { Packet, Step, Tri, Verdict, HostFacts, Evaluation } from './types.js';
