// dfw exposure [FILE] [B]: who can reach each published port; with --policy, before and after;
// with a second dump (or --diff), one line per port whose reach changed, exit 1 when one grew.
import { compareExposure, type ReachPair } from '../../analysis/exposure-compare.js';
import type { Exposure } from '../../analysis/exposure-compute.js';
import {
  diffLines,
  exposureMarkdown,
  exposureText,
  sideBySideMarkdown,
  sideBySideText,
} from '../../analysis/exposure-format.js';
import { exposure, exposureWithPolicy, type ExposureOptions } from '../../analysis/exposure.js';
import { isIptablesDump, parseDump } from '../../dump.js';
import { DfwError } from '../../errors.js';
import type { IptablesDump } from '../../iptables/ast.js';
import type { IpsetDump } from '../../ipset/ast.js';
import { parseIpset } from '../../ipset/parse.js';
import type { Family } from '../../net/family.js';
import { defineCommand } from '../command.js';
import { readInput, refuseEmpty, refuseStdinTwice, writeOutput } from '../io.js';
import { atPolicyPosition, readPolicy } from '../policy-input.js';
import { containersOption, withContainers } from '../containers-option.js';

interface Args {
  file?: string;
  b?: string;
  ipsets?: string[];
  policy?: string;
  containers?: string;
  external?: string[];
  family?: number;
  format: 'text' | 'json' | 'markdown';
  diff?: boolean;
  hostAddress?: string;
  routed?: boolean;
  o?: string;
}

function readDump(path: string | undefined): { dump: IptablesDump; file: string } {
  const input = readInput(path);
  refuseEmpty(input, 'iptables', 'dfw exposure reads iptables-save or ip6tables-save output');
  const dump = parseDump(input.text, { file: input.file });
  if (!isIptablesDump(dump))
    throw new DfwError(
      `${input.file}: this is an ipset save dump; dfw exposure reads iptables-save output (give the sets with --ipsets)`,
    );
  return { dump, file: input.file };
}

function readSets(path: string): IpsetDump {
  const input = readInput(path);
  return parseIpset(input.text, input.file);
}

/** The usage mistakes, before any file is read. */
function checkUsage(args: Args): void {
  const two = args.b !== undefined;
  const sets = args.ipsets ?? [];
  if (two && args.policy !== undefined)
    throw new DfwError(
      'two dumps and --policy: give two dumps to compare them, or one dump and --policy to see it before and after the policy',
    );
  if (args.diff === true && !two && args.policy === undefined)
    throw new DfwError('--diff compares two exposures: give a second dump (dfw exposure A B) or --policy P');
  if (sets.length > (two ? 2 : 1))
    throw new DfwError(
      two
        ? `--ipsets given ${sets.length} times: give it once (both dumps) or twice (A's sets, then B's)`
        : `--ipsets given ${sets.length} times for one dump: give it once`,
    );
  if (sets.length === 2 && !two) throw new DfwError('--ipsets given twice: that is for two dumps (dfw exposure A B)');
  if (args.external !== undefined && args.external.length === 0)
    throw new DfwError('--external needs at least one interface name');
  refuseStdinTwice([
    ['the dump', args.file],
    ...(two ? ([['the second dump', args.b]] as const) : []),
    ...sets.map((s, i) => [`--ipsets ${i + 1}`, s] as const),
    ...(args.policy === undefined ? [] : ([['--policy', args.policy]] as const)),
    ...(args.containers === undefined ? [] : ([['--containers', args.containers]] as const)),
  ]);
  if (args.containers !== undefined && args.policy === undefined)
    throw new DfwError('--containers resolves the names of a policy: give --policy P with it');
}

function options(args: Args, ipsets: IpsetDump | undefined): ExposureOptions {
  return {
    ...(args.family === 4 || args.family === 6 ? { family: args.family as Family } : {}),
    ...(ipsets === undefined ? {} : { ipsets }),
    ...(args.external === undefined ? {} : { external: args.external }),
    ...(args.hostAddress === undefined ? {} : { hostAddress: args.hostAddress }),
    ...(args.routed === true ? { routed: true } : {}),
  };
}

function report(args: Args, e: Exposure, file: string): string {
  if (args.format === 'json') return `${JSON.stringify(e, null, 2)}\n`;
  return args.format === 'markdown' ? exposureMarkdown(e, file) : exposureText(e, file);
}

/** Both sides, or (--diff, or two dumps) the changed lines; exit 1 when a port's reach grew. */
function compared(args: Args, before: Exposure, after: Exposure, title: string, diff: boolean): number {
  const pairs: ReachPair[] = compareExposure(before, after);
  const more = pairs.some((p) => p.more);
  let text: string;
  if (args.format === 'json')
    text = `${JSON.stringify(diff ? { more, changes: pairs.filter((p) => p.changed) } : { more, before, after, pairs }, null, 2)}\n`;
  else if (diff)
    text = diffLines(pairs)
      .map((l) => `${l}\n`)
      .join('');
  else text = args.format === 'markdown' ? sideBySideMarkdown(pairs, title) : sideBySideText(pairs, title);
  writeOutput(text, args.o);
  return diff && more ? 1 : 0;
}

export const exposureCommand = defineCommand({
  command: 'exposure [file] [b]',
  describe: 'Who can open a connection to each published port, from each external interface (computed offline)',
  builder: (y) =>
    y
      .positional('file', { type: 'string', describe: 'iptables-save or ip6tables-save dump (default or "-": stdin)' })
      .positional('b', { type: 'string', describe: 'a second dump: print what changed from FILE to it' })
      .option('ipsets', {
        type: 'string',
        array: true,
        describe: "the host's ipset save dump (set members); twice with two dumps: A's, then B's",
      })
      .option('policy', { alias: 'p', type: 'string', describe: 'show the reach before and after this policy' })
      .option('containers', containersOption.spec)
      .option('external', {
        type: 'string',
        array: true,
        describe: 'external interfaces to report (default: those the rules name, and any other)',
      })
      .option('family', { choices: [4, 6], type: 'number', describe: 'address family (default: from the dump)' })
      .option('format', { choices: ['text', 'json', 'markdown'] as const, default: 'text' as const })
      .option('diff', {
        type: 'boolean',
        describe: 'only the ports whose reach changed (implied by a second dump); exit 1 when one grew',
      })
      .option('host-address', {
        type: 'string',
        describe: 'the host address clients connect to, for ports published on every address',
      })
      .option('routed', {
        type: 'boolean',
        describe:
          "also DNATs to addresses that are not the host's (kube-proxy's cluster and load-balancer IPs), reached when packets are routed to the host",
      })
      .option('o', { alias: 'output', type: 'string', describe: 'write to this file instead of stdout' })
      .example('iptables-save | $0 exposure - --ipsets <(ipset save)', 'who can reach what, now')
      .example('$0 exposure rules.v4 -p dfw.yaml', 'before and after the policy')
      .example('$0 exposure golden.v4 new.v4', 'review gate: exit 1 when a port became reachable by more sources'),
  handler: (args: Args) => {
    checkUsage(args);
    const sets = (args.ipsets ?? []).map(readSets);
    const a = readDump(args.file);
    if (args.b !== undefined) {
      const b = readDump(args.b);
      const ea = exposure(a.dump, options(args, sets[0]));
      const eb = exposure(b.dump, options(args, sets[1] ?? sets[0]));
      return compared(args, ea, eb, `${a.file} -> ${b.file}`, true);
    }
    if (args.policy !== undefined) {
      const loaded = withContainers(readPolicy(args.policy), args.containers);
      const { before, after } = atPolicyPosition(loaded, () =>
        exposureWithPolicy(a.dump, loaded.policy, options(args, sets[0])),
      );
      const title = `IPv${after.family} exposure of ${a.file}, before and after ${loaded.file}`;
      return compared(args, before, after, title, args.diff === true);
    }
    writeOutput(report(args, exposure(a.dump, options(args, sets[0])), a.file), args.o);
    return 0;
  },
});
