// dfw transform [FILE] --policy P: the main job.
import { publishedPorts, unpublishedPorts } from '../../docker/published.js';
import { DfwError } from '../../errors.js';
import { detectFamily } from '../../iptables/family.js';
import { parseIptables } from '../../iptables/parse.js';
import { printIptablesChunks } from '../../iptables/print.js';
import type { IptablesDump } from '../../iptables/ast.js';
import type { Family, Policy } from '../../policy/types.js';
import type { SetFamily } from '../../policy/compile.js';
import { checkHostSourceSets, type HostSet } from '../../policy/sources.js';
import { optionValue } from '../../ipset/ast.js';
import { parseIpset } from '../../ipset/parse.js';
import { familyMatters, transformDump } from '../../transform/inject.js';
import { applyPlugins } from '../../transform/plugins.js';
import { forwardReachProblem } from '../../transform/reach.js';
import { loadPlugins } from '../plugins.js';
import { nftBackendHint } from '../../nft/backend-hint.js';
import { noflushText, ownedChainText } from '../../transform/noflush.js';
import { defineCommand } from '../command.js';
import { isStdio, readInput, refuseEmpty, refuseStdinTwice, warn, writeOutput } from '../io.js';
import { atPolicyPosition, readPolicy } from '../policy-input.js';
import { containersOption, withContainers } from '../containers-option.js';
import { emitResult, outputOptions, type OutputArgs } from './output-options.js';

interface Args extends OutputArgs {
  file?: string;
  policy: string;
  mode: 'full' | 'noflush';
  family?: number;
  createChain?: boolean;
  plugin?: string[];
  dump?: boolean;
  ipsets?: string;
  pluginTimeout?: number;
  containers?: string;
}

export const transformCommand = defineCommand({
  command: 'transform [file]',
  describe: "Put the policy's rules in the chain it owns (DFW-<name>), jumped to from the top of DOCKER-USER or DOCKER",
  builder: (y) =>
    outputOptions(
      containersOption(y)
        .positional('file', {
          type: 'string',
          describe: 'iptables-save or ip6tables-save dump (default or "-": stdin)',
        })
        .option('policy', { alias: 'p', type: 'string', demandOption: true, describe: 'policy file (YAML or JSON)' })
        .option('mode', {
          choices: ['full', 'noflush'] as const,
          default: 'full' as const,
          describe:
            'full: the whole dump for iptables-restore; noflush: only the owned chain and its jump, for iptables-restore --noflush',
        })
        .option('family', { choices: [4, 6], type: 'number', describe: 'address family (default: from the dump)' })
        .option('create-chain', {
          type: 'boolean',
          default: false,
          describe: 'declare DOCKER-USER (or DOCKER) and a tagged jump to it from FORWARD when the dump has none',
        })
        .option('ipsets', {
          type: 'string',
          describe: 'an ipset save dump: sets the rules may use besides those the policy declares',
        })
        .option('dump', {
          type: 'boolean',
          default: true,
          describe:
            'read an input dump; --no-dump builds the noflush output from the policy alone, as at boot before Docker starts',
        })
        .option('plugin', {
          type: 'string',
          array: true,
          describe: 'ES module exporting transform(dump, context), run after the policy (repeatable, in order)',
        })
        .option('plugin-timeout', {
          type: 'number',
          default: 60,
          describe: 'seconds each plugin may take to load and to run (exit 2 when one takes longer)',
        }),
    )
      .example('iptables-save | $0 transform --policy dfw.yaml | iptables-restore', 'apply a policy')
      .example(
        'iptables-save | $0 transform -p dfw.yaml --mode noflush | iptables-restore --noflush',
        'touch only the owned chain and its jump',
      )
      .example('$0 transform rules.v4 -p dfw.yaml --check', 'exit 1 (diff on stderr) when rules.v4 is not up to date')
      .example('ip6tables-save | $0 transform -p dfw.yaml --diff', 'show what would change')
      .example(
        '$0 transform -p dfw.yaml --mode noflush --no-dump --family 4 | iptables-restore --noflush',
        "at boot: create and fill the policy's own chain before Docker starts",
      )
      .example(
        'iptables-save | $0 transform -p dfw.yaml --plugin ./log-before-drop.mjs',
        'run a user transform after the policy',
      ),
  handler: async (args: Args) => {
    refuseStdinTwice([
      ['--policy', args.policy],
      ...(args.dump === false ? [] : ([['the dump', args.file]] as const)),
      ...(args.ipsets === undefined ? [] : ([['--ipsets', args.ipsets]] as const)),
      ...(args.containers === undefined ? [] : ([['--containers', args.containers]] as const)),
    ]);
    const loaded = withContainers(readPolicy(args.policy), args.containers);
    const policy = loaded.policy;
    if (args.dump === false) return atPolicyPosition(loaded, () => fromPolicyAlone(args, policy));
    const input = readInput(args.file);
    refuseEmpty(input, 'iptables', '--no-dump builds the chain from the policy alone');
    const dump = parseIptables(input.text, { file: input.file });
    const hostSets = args.ipsets === undefined ? undefined : ipsetFamilies(args.ipsets);
    const setFamilies = hostSets?.families;
    if (hostSets !== undefined) atPolicyPosition(loaded, () => checkHostSourceSets(policy, hostSets.sets));
    const family = familyOf(args.family, dump, input.file, () =>
      atPolicyPosition(loaded, () => familyMatters(policy, setFamilies)),
    );
    const plugins = await loadPlugins(args.plugin ?? [], args.pluginTimeout ?? 60);
    const result = atPolicyPosition(loaded, () =>
      transformDump(dump, policy, { family, createChain: args.createChain, setFamilies }),
    );
    const transformed = result.dump;
    if (plugins.length > 0) result.dump = await applyPlugins(result.dump, plugins, { policy, family });
    checkPublished(dump, policy, input.file, family);
    const reach = result.createdChain ? undefined : forwardReachProblem(dump, policy);
    if (reach !== undefined) warn(`${input.file}: ${reach}`);
    const nftHint = nftBackendHint(dump); // a host on Docker's nftables backend needs dfw nft
    if (nftHint !== undefined) warn(`${input.file}: ${nftHint}`);
    const full = (emit: (chunk: string) => void) => printIptablesChunks(result.dump, emit);
    const noflush = args.mode === 'noflush' ? noflushText(result, policy, family, { input: dump, transformed }) : '';
    const output = args.mode === 'full' ? full : (emit: (chunk: string) => void) => emit(noflush);
    return emitResult(args, input, full, output, 'dfw transform');
  },
});

/**
 * No dump, as at boot: the noflush output declares the policy's own chain and fills it; the jump
 * from DOCKER-USER is added, when missing, by the command the file's header shows.
 */
function fromPolicyAlone(args: Args, policy: Policy): number {
  if (!isStdio(args.file)) throw new DfwError('--no-dump takes no input FILE');
  if (args.mode !== 'noflush')
    throw new DfwError(
      '--no-dump writes only --mode noflush output: a full restore file would flush every table Docker filled',
    );
  if (policy.chain !== 'DOCKER-USER') {
    throw new DfwError(
      '--no-dump needs chain DOCKER-USER: Docker flushes the DOCKER chain when it starts, so rules there must be applied after it (pipe iptables-save through dfw transform --mode noflush)',
    );
  }
  if (args.check || args.diff !== undefined)
    throw new DfwError('--check and --diff compare with an input dump: they do not go with --no-dump');
  writeOutput(ownedChainText(policy, args.family === 6 ? 6 : 4), args.o);
  return 0;
}

/** Families and types of the sets in an ipset save dump (--ipsets FILE). */
function ipsetFamilies(path: string): { families: Map<string, SetFamily>; sets: Map<string, HostSet> } {
  const { text, file } = readInput(path);
  const families = new Map<string, SetFamily>();
  const sets = new Map<string, HostSet & { members: string[] }>();
  for (const line of parseIpset(text, file).lines) {
    if (line.kind === 'add') sets.get(line.set)?.members.push(line.entry);
    if (line.kind !== 'create') continue;
    families.set(line.set, line.type === 'list:set' ? 'any' : optionValue(line.options, 'family') === 'inet6' ? 6 : 4);
    sets.set(line.set, { type: line.type, members: [] });
  }
  return { families, sets };
}

function familyOf(flag: number | undefined, dump: IptablesDump, file: string, matters: () => boolean): Family {
  const found = detectFamily(dump);
  if (flag === 4 || flag === 6) {
    if (found !== undefined && found !== flag)
      throw new DfwError(`${file}: --family ${flag} given, but the dump is an IPv${found} dump`);
    return flag;
  }
  if (found !== undefined || !matters()) return found ?? 4;
  throw new DfwError(
    `${file}: give --family 4 or --family 6: the dump has no "# Generated by iptables-save" (or ip6tables-save) line and no address that tells its family, and the policy's rules differ between IPv4 and IPv6 (ip6tables-restore rejects IPv4 rules)`,
  );
}

/** A typo in a port would silently open nothing: say so (exit code unchanged). */
function checkPublished(dump: IptablesDump, policy: Policy, file: string, family: Family): void {
  checkSnapshotPorts(dump, policy, file, family);
  const missing = unpublishedPorts(dump, policy);
  if (missing.length === 0) return;
  const list =
    publishedPorts(dump)
      .map((p) => `${p.proto}/${p.hostPort}${p.loopbackOnly === true ? ` (on ${p.hostAddress} only)` : ''}`)
      .join(', ') || 'none';
  for (const { rule, port } of missing) {
    const text = port.from === port.to ? `${port.from}` : `${port.from}:${port.to}`;
    warn(
      `${file}: allow rule ${rule.name}: ${rule.proto} port ${text} is not published by any DNAT rule in the nat table (published: ${list})`,
    );
  }
}

/**
 * A port the --containers snapshot says a named container publishes, which no DNAT rule of the
 * dump publishes: the snapshot is older than the dump (the container was re-created on another
 * port, or is gone). The rule opens nothing until both are saved again (exit code unchanged).
 */
function checkSnapshotPorts(dump: IptablesDump, policy: Policy, file: string, family: Family): void {
  if (!dump.items.some((i) => i.kind === 'table' && i.name === 'nat')) return;
  const live = new Set(publishedPorts(dump).map((p) => `${p.proto}/${p.hostPort}`));
  for (const rule of policy.allow) {
    for (const t of rule.published ?? []) {
      if (t.family !== family || live.has(`${rule.proto}/${t.hostPort}`)) continue;
      warn(
        `${file}: allow rule ${rule.name}: the --containers snapshot has ${rule.proto} port ${t.hostPort} published, no DNAT rule of the dump has: is the snapshot older than the dump? Save both again`,
      );
    }
  }
}
