// dfw ipset [FILE] --policy P --mode swap|flush|incremental: an `ipset restore` file that brings
// the sets of an `ipset save` dump to the policy's `ipsets:` section.
import { DfwError } from '../../errors.js';
import { looksLikeIpset, parseIpset, reconcileIpsets, type IpsetDump, type ReconcileMode } from '../../ipset/index.js';
import { referencedSets } from '../../policy/load.js';
import { defineCommand } from '../command.js';
import { checkDiffFile, type Input, readInput, refuseStdinTwice, warn, writeOutput, writeOutputs } from '../io.js';
import { readPolicy } from '../policy-input.js';
import { outputOptions, type OutputArgs } from './output-options.js';

interface Args extends OutputArgs {
  file?: string;
  policy: string;
  mode: ReconcileMode;
}

/**
 * The current sets. Without FILE and with a terminal on stdin there are none (a first run);
 * without FILE and with a pipe, stdin is read, so that `ipset save | dfw ipset ...` works.
 */
function currentInput(file: string | undefined): Input | undefined {
  if (file === undefined && process.stdin.isTTY) return undefined;
  return readInput(file);
}

export const ipsetCommand = defineCommand({
  command: 'ipset [file]',
  describe: "Write an ipset restore file that brings the sets of an ipset save dump to the policy's ipsets",
  builder: (y) =>
    outputOptions(
      y
        .positional('file', {
          type: 'string',
          describe:
            '`ipset save` dump of the current sets ("-": stdin; omitted: stdin when it is a pipe, else no sets exist)',
        })
        .option('policy', {
          alias: 'p',
          type: 'string',
          demandOption: true,
          describe: 'policy file (YAML or JSON); its ipsets: section is used',
        })
        .option('mode', {
          choices: ['swap', 'flush', 'incremental'] as const,
          default: 'swap' as const,
          describe:
            'swap: fill a temporary set and swap it in (atomic); flush: create -exist, flush, add; incremental: add -exist / del -exist for the differences',
        }),
    )
      // Same flags as the other rewriting commands; here the diff is of the policy's sets (members and header).
      .option('diff', {
        type: 'string',
        describe:
          "print the unified diff of the policy's sets (current -> wanted) instead of the restore file; with FILE, write the diff to FILE and the restore file as usual",
      })
      .option('check', {
        type: 'boolean',
        default: false,
        describe:
          'write nothing; exit 0 when the sets already match the policy, 1 (diff on stderr) when something would change',
      })
      .example(
        'ipset save | $0 ipset --policy dfw.yaml | ipset restore',
        'bring the sets to the policy, atomically (swap)',
      )
      .example(
        'ipset save | $0 ipset -p dfw.yaml --mode incremental | ipset restore',
        'add and delete only the members that differ',
      )
      .example(
        'ipset save > sets.save; $0 ipset sets.save -p dfw.yaml --check',
        'exit 1 (member diff on stderr) when the sets differ from the policy',
      )
      .example('ipset save | $0 ipset -p dfw.yaml --diff', 'show the member changes as a unified diff')
      .example(
        '$0 ipset -p dfw.yaml --mode flush -o /etc/ipset.conf',
        'the classic create -exist / flush / add file, for a host with no sets yet',
      )
      .epilogue(
        'Sets the policy does not name are never touched; a set whose members already match gets no lines. ' +
          'A set whose type or family must change cannot be swapped: dfw says how to replace it.',
      ),
  handler: (args: Args) => {
    refuseStdinTwice([
      ['--policy', args.policy],
      // Without FILE, the current sets come from stdin unless it is a terminal (currentInput).
      ...(args.file === undefined && process.stdin.isTTY ? [] : ([['the current sets', args.file]] as const)),
    ]);
    const { policy } = readPolicy(args.policy);
    const input = currentInput(args.file);
    let dump: IpsetDump | undefined;
    if (input !== undefined) {
      // Only an unmistakable iptables dump is refused here; anything else gets the parser's error.
      const first = input.text.split('\n').find((l) => l.trim() !== '' && !l.trim().startsWith('#'));
      if (first !== undefined && /^\s*[*:]/.test(first) && !looksLikeIpset(input.text)) {
        throw new DfwError(`${input.file}: this is not an \`ipset save\` dump (it looks like iptables-save output)`);
      }
      dump = parseIpset(input.text, input.file);
    }
    // --check compares: any difference, a header one too, is exit 1 whatever the mode would write.
    const result = reconcileIpsets(dump, policy.ipsets, args.check ? 'swap' : args.mode);

    if (policy.ipsets.length === 0)
      warn(`${args.policy}: the policy has no ipsets: section, so there is nothing to do`);
    const known = new Set([
      ...policy.ipsets.map((s) => s.name),
      ...(dump ? dump.lines.flatMap((l) => (l.kind === 'create' ? [l.set] : [])) : []),
    ]);
    for (const name of referencedSets(policy)) {
      if (!known.has(name))
        warn(`the policy's rules use set ${name}, which neither its ipsets: section nor the current sets define`);
    }
    for (const w of result.warnings) warn(w);

    if (args.check) {
      if (!result.changed) return 0;
      process.stderr.write(result.diff !== '' ? result.diff : result.text);
      return 1;
    }
    if (args.diff === '') {
      writeOutput(result.diff, args.o);
      return 0;
    }
    checkDiffFile(args.diff, [args.file, args.policy]);
    // With --diff FILE, the diff and the restore file are written together: both, or neither.
    writeOutputs([
      ...(args.diff !== undefined ? [{ text: result.diff, path: args.diff }] : []),
      { text: result.text, path: args.o },
    ]);
    return 0;
  },
});
