// dfw strip [FILE] --policy P | --all: remove managed rules, jumps and owned chains.
import { DfwError } from '../../errors.js';
import { detectFamily } from '../../iptables/family.js';
import { parseIptables } from '../../iptables/parse.js';
import { printIptablesChunks } from '../../iptables/print.js';
import { stripDump, stripNoflushText } from '../../transform/strip.js';
import { defineCommand } from '../command.js';
import { readInput, refuseEmpty, refuseStdinTwice } from '../io.js';
import { readPolicy } from '../policy-input.js';
import { emitResult, outputOptions, type OutputArgs } from './output-options.js';

interface Args extends OutputArgs {
  file?: string;
  policy?: string;
  all?: boolean;
  mode: 'full' | 'noflush';
}

export const stripCommand = defineCommand({
  command: 'strip [file]',
  describe:
    "Remove a policy's managed rules, its jump and its chain (or every dfw rule and chain with --all); nothing else changes",
  builder: (y) =>
    outputOptions(
      y
        .positional('file', { type: 'string', describe: 'iptables-save dump (default or "-": stdin)' })
        .option('policy', { alias: 'p', type: 'string', describe: 'policy file whose rules to remove' })
        .option('all', {
          type: 'boolean',
          default: false,
          describe: 'remove every rule tagged dfw: and every dfw chain',
        })
        .option('mode', {
          choices: ['full', 'noflush'] as const,
          default: 'full' as const,
          describe:
            'full: the whole dump for iptables-restore; noflush: only the deletes, for iptables-restore --noflush',
        }),
    )
      .example('iptables-save | $0 strip -p dfw.yaml --mode noflush | iptables-restore --noflush', 'undo a policy')
      .example('iptables-save | $0 strip --all --diff', 'show every dfw rule'),
  handler: (args: Args) => {
    if ((args.policy === undefined) === !args.all) throw new DfwError('give either --policy FILE or --all');
    refuseStdinTwice(
      args.policy === undefined
        ? []
        : [
            ['--policy', args.policy],
            ['the dump', args.file],
          ],
    );
    const name = args.policy === undefined ? undefined : readPolicy(args.policy).policy.name;
    const input = readInput(args.file);
    refuseEmpty(input);
    const dump = parseIptables(input.text, { file: input.file });
    const options = name === undefined ? {} : { policy: name };
    const stripped = stripDump(dump, options);
    const full = (emit: (chunk: string) => void) => printIptablesChunks(stripped, emit);
    const output =
      args.mode === 'full'
        ? full
        : (emit: (chunk: string) => void) => emit(stripNoflushText(dump, options, detectFamily(dump) ?? 4));
    return emitResult(args, input, full, output, 'dfw strip');
  },
});
