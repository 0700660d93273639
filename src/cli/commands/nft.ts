// dfw nft [FILE] --policy P: the policy as one nftables table dfw owns, for hosts whose Docker
// runs the nftables backend. FILE is `nft -j list ruleset` output: it gives Docker's published
// ports (for warnings) and dfw's table as it is now (for --check and --diff).
import { unifiedDiff } from '../../diff.js';
import { DfwError } from '../../errors.js';
import {
  compareTables,
  compileNft,
  findTable,
  hasDockerTables,
  nftUnpublishedPorts,
  readNftRuleset,
  scriptText,
  type FamilyChoice,
  type NftRuleset,
  type NftTable,
} from '../../nft/index.js';
import type { Policy } from '../../policy/types.js';
import { defineCommand } from '../command.js';
import { isStdio, readInput, refuseStdinTwice, warn, writeOutput, writeOutputs } from '../io.js';
import { atPolicyPosition, readPolicy } from '../policy-input.js';
import { containersOption, withContainers } from '../containers-option.js';
import { outputOptions, type OutputArgs } from './output-options.js';

interface Args extends OutputArgs {
  file?: string;
  policy: string;
  family: '4' | '6' | 'both';
  dump?: boolean;
  containers?: string;
}

export const nftCommand = defineCommand({
  command: 'nft [file]',
  describe: "Write an nft -f file that creates or replaces the policy's own table (Docker's nftables backend)",
  builder: (y) =>
    outputOptions(
      containersOption(y)
        .positional('file', {
          type: 'string',
          describe: 'nft -j list ruleset output (default or "-": stdin)',
        })
        .option('policy', { alias: 'p', type: 'string', demandOption: true, describe: 'policy file (YAML or JSON)' })
        .option('family', {
          type: 'string',
          choices: ['4', '6', 'both'] as const,
          default: 'both' as const,
          describe: 'both: one inet table for IPv4 and IPv6; 4 or 6: an ip or ip6 table for that family alone',
        })
        .option('dump', {
          type: 'boolean',
          default: true,
          describe:
            'read the ruleset; --no-dump builds the file from the policy alone, as at boot before Docker starts',
        }),
    )
      .example('nft -j list ruleset | $0 nft -p dfw.yaml | nft -f -', "apply the policy: replaces dfw's table only")
      .example(
        'nft -j list ruleset | $0 nft -p dfw.yaml --check',
        "exit 1 (diff on stderr) when dfw's table is not what the policy says",
      )
      .example('nft -j list ruleset | $0 nft -p dfw.yaml --diff', 'show what would change in the table')
      .example('$0 nft -p dfw.yaml --no-dump -o /etc/dfw/dfw.nft', 'the file for boot, loaded before Docker starts')
      .epilogue(
        'The file holds `table F dfw-NAME`, `delete table F dfw-NAME` and the table: nft -f applies it in one transaction, ' +
          'creating the table when it is missing and replacing it otherwise; no other table is touched. ' +
          "--check compares the live table with the policy's by normalised printing (set members merged and sorted; handles and counter values ignored).",
      ),
  handler: (args: Args) => {
    if (args.containers !== undefined)
      refuseStdinTwice([
        ['--policy', args.policy],
        ['--containers', args.containers],
        ...(args.dump === false ? [] : ([['the ruleset', args.file]] as const)),
      ]);
    const loaded = withContainers(readPolicy(args.policy), args.containers);
    const choice: FamilyChoice = args.family === 'both' ? 'both' : args.family === '6' ? 6 : 4;
    const wanted = atPolicyPosition(loaded, () => compileNft(loaded.policy, choice));
    const script = scriptText(wanted, scriptHeader(loaded.policy, wanted));
    if (args.dump === false) {
      if (!isStdio(args.file)) throw new DfwError('--no-dump takes no input FILE');
      if (args.check || args.diff !== undefined)
        throw new DfwError('--check and --diff compare with a ruleset: they do not go with --no-dump');
      writeOutput(script, args.o);
      return 0;
    }
    const input = readInput(args.file);
    const ruleset = readNftRuleset(input.text, input.file);
    checkPublished(ruleset, loaded.policy, input.file);
    for (const t of ruleset.tables) {
      // Left by a run with another --family: both tables filter, and the older one is never updated.
      if (t.name === wanted.name && t.family !== wanted.family)
        warn(
          `${input.file}: table ${t.family} ${t.name} (another --family) is loaded too and filters as well: remove it with nft delete table ${t.family} ${t.name}`,
        );
    }
    const cmp = compareTables(findTable(ruleset, wanted.family, wanted.name), wanted);
    const diff = () =>
      unifiedDiff(
        cmp.live,
        cmp.wanted,
        `${input.file} (table ${wanted.family} ${wanted.name})`,
        `${loaded.file} (dfw nft)`,
      );
    if (args.check) {
      if (cmp.same) return 0;
      process.stderr.write(diff());
      return 1;
    }
    if (args.diff === '') {
      writeOutput(diff(), args.o);
      return 0;
    }
    writeOutputs([
      ...(args.diff !== undefined ? [{ text: diff(), path: args.diff }] : []),
      { text: script, path: args.o },
    ]);
    return 0;
  },
});

function scriptHeader(policy: Policy, t: NftTable): string[] {
  return [
    `Written by dfw nft from policy ${policy.name}; do not edit, run dfw nft again.`,
    `nft -f applies this file in one transaction: it creates table ${t.family} ${t.name} when missing, deletes it and`,
    'creates it anew with the policy. No other table is touched; Docker keeps its own.',
  ];
}

/** A typo in a port would silently open nothing: say so (exit code unchanged). */
function checkPublished(rs: NftRuleset, policy: Policy, file: string): void {
  if (!hasDockerTables(rs)) {
    warn(
      `${file}: the ruleset has no docker-bridges table: Docker has not started yet, or it runs the iptables backend (then use dfw transform)`,
    );
    return;
  }
  for (const { rule, port } of nftUnpublishedPorts(rs, policy)) {
    const text = port.from === port.to ? `${port.from}` : `${port.from}:${port.to}`;
    warn(
      `${file}: allow rule ${rule.name}: ${rule.proto} port ${text} is not published by any DNAT rule in table docker-bridges`,
    );
  }
}
