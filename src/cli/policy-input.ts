// Reading the policy file named by --policy (a CLI concern: the library takes text).
import { loadPolicy } from '../policy/load.js';
import type { Policy } from '../policy/types.js';
import { readInput } from './io.js';

export function readPolicy(path: string): Policy {
  const { text, file } = readInput(path);
  return loadPolicy(text, file);
}
