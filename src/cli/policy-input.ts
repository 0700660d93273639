// Reading the policy file named by --policy (a CLI concern: the library takes text).
import { PolicyPathError } from '../policy/compile.js';
import { loadPolicy, policyErrorAt, policyWarnings } from '../policy/load.js';
import type { Policy } from '../policy/types.js';
import { readInput, warn } from './io.js';

export interface LoadedPolicy {
  policy: Policy;
  text: string;
  file: string;
}

export function readPolicy(path: string): LoadedPolicy {
  const { text, file } = readInput(path);
  const policy = loadPolicy(text, file);
  // Redundant items are valid: said once, at their place, on stderr (issue 22).
  for (const w of policyWarnings(policy)) warn(policyErrorAt(text, file, w.path, w.reason).message);
  return { policy, text, file };
}

/** Runs `fn`; a problem the compiler finds in the policy is reported at its place in the file. */
export function atPolicyPosition<T>(loaded: LoadedPolicy, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof PolicyPathError) throw policyErrorAt(loaded.text, loaded.file, e.path, e.reason);
    throw e;
  }
}
