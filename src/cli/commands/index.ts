// Every CLI command, in the order `dfw --help` lists them. Add one import and one entry per command.
import type { CommandModule } from 'yargs';
import { bundleCommand } from './bundle.js';
import { completionCommand } from './completion.js';
import { diffCommand } from './diff.js';
import { exposureCommand } from './exposure.js';
import { fmtCommand } from './fmt.js';
import { ipsetCommand } from './ipset.js';
import { lintCommand } from './lint.js';
import { nftCommand } from './nft.js';
import { parseCommand } from './parse.js';
import { stripCommand } from './strip.js';
import { transformCommand } from './transform.js';
import { traceCommand } from './trace.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<object, any>[] = [
  transformCommand,
  stripCommand,
  ipsetCommand,
  bundleCommand,
  nftCommand,
  diffCommand,
  parseCommand,
  fmtCommand,
  exposureCommand,
  traceCommand,
  lintCommand,
  // Issue 20: the shell completion script, made from the entries above (and any added later).
  completionCommand,
];
