// dfw strip [FILE] --policy P | --all: remove managed rules.
import { DfwError } from '../../errors.js';
import { parseIptables } from '../../iptables/parse.js';
import { printIptablesChunks } from '../../iptables/print.js';
import { stripDump } from '../../transform/strip.js';
import { defineCommand } from '../command.js';
import { readInput, refuseEmpty, refuseStdinTwice } from '../io.js';
import { readPolicy } from '../policy-input.js';
import { emitResult, outputOptions, type OutputArgs } from './output-options.js';

interface Args extends OutputArgs {
  file?: string;
  policy?: string;
  all?: boolean;
}

export const stripCommand = defineCommand({
  command: 'strip [file]',
  describe: "Remove a policy's managed rules (or every dfw rule with --all); nothing else changes",
  builder: (y) =>
    outputOptions(
      y
        .positional('file', { type: 'string', describe: 'iptables-save dump (default or "-": stdin)' })
        .option('policy', { alias: 'p', type: 'string', describe: 'policy file whose rules to remove' })
        .option('all', { type: 'boolean', default: false, describe: 'remove every rule tagged dfw:' }),
    )
      .example('iptables-save | $0 strip -p dfw.yaml | iptables-restore', 'undo a policy')
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
    const stripped = stripDump(
      parseIptables(input.text, { file: input.file }),
      name === undefined ? {} : { policy: name },
    );
    const out = (emit: (chunk: string) => void) => printIptablesChunks(stripped, emit);
    return emitResult(args, input, out, out, 'dfw strip');
  },
});
