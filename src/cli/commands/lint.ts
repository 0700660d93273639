// dfw lint [FILE...]: the Docker layout of a dump and the firewall mistakes it shows, as text,
// JSON or SARIF. Exit 0 when nothing is at or above --severity, 1 when something is, 2 on bad input.
import { DfwError } from '../../errors.js';
import { lintDumps, lintJson, lintSarif, lintText, failsAt, type Severity } from '../../analysis/lint/index.js';
import type { DumpInput } from '../../analysis/lint/context.js';
import type { Family } from '../../iptables/ast.js';
import { detectFamily } from '../../iptables/family.js';
import { parseIptables } from '../../iptables/parse.js';
import { parseIpset } from '../../ipset/parse.js';
import { defineCommand } from '../command.js';
import { readInput, refuseEmpty, refuseStdinTwice, writeOutput } from '../io.js';
import { readPolicy } from '../policy-input.js';
import { containersOption, withContainers } from '../containers-option.js';

declare const __DFW_VERSION__: string | undefined;

interface Args {
  files?: string[];
  ipsets?: string;
  policy?: string;
  containers?: string;
  family?: 4 | 6;
  format: 'text' | 'json' | 'sarif';
  severity: Severity;
  o?: string;
}

function readDumps(files: readonly string[], family: Family | undefined): DumpInput[] {
  if (files.length > 2)
    throw new DfwError(`give at most two dumps (one iptables-save, one ip6tables-save), not ${files.length}`);
  if (files.length === 2 && family !== undefined)
    throw new DfwError(
      '--family is for one dump whose family the dump does not tell; with two dumps each tells its own',
    );
  const inputs = files.map((f) => {
    const input = readInput(f);
    refuseEmpty(input, 'iptables', 'lint reads iptables-save output');
    const dump = parseIptables(input.text, { file: input.file });
    const found = detectFamily(dump);
    if (family !== undefined && found !== undefined && found !== family)
      throw new DfwError(`${input.file}: --family ${family} given, but the dump is an IPv${found} dump`);
    const fam = family ?? found ?? 4;
    return { dump, file: input.file, family: fam };
  });
  if (inputs.length === 2 && inputs[0]!.family === inputs[1]!.family)
    throw new DfwError(
      `${inputs[0]!.file} and ${inputs[1]!.file} are both IPv${inputs[0]!.family} dumps: give one of each family`,
    );
  return inputs;
}

function render(args: Args, report: ReturnType<typeof lintDumps>): string {
  if (args.format === 'json') return `${JSON.stringify(lintJson(report), null, 2)}\n`;
  if (args.format === 'sarif') {
    const version = typeof __DFW_VERSION__ === 'string' ? __DFW_VERSION__ : undefined;
    return `${JSON.stringify(lintSarif(report, version ? { version } : {}), null, 2)}\n`;
  }
  return lintText(report);
}

export const lintCommand = defineCommand({
  command: 'lint [files..]',
  describe: "Name the dump's Docker layout and find the firewall mistakes it shows (text, JSON or SARIF)",
  builder: (y) =>
    y
      .positional('files', {
        type: 'string',
        array: true,
        describe: 'iptables-save and/or ip6tables-save output (one of each at most; default or "-": stdin)',
      })
      .option('ipsets', { type: 'string', describe: 'ipset save output of the same host (checks the sets rules use)' })
      .option('policy', { alias: 'p', type: 'string', describe: 'the dfw policy meant for the host' })
      .option('containers', containersOption.spec)
      .option('family', {
        type: 'number',
        choices: [4, 6] as const,
        describe: 'the family of a single dump that does not say',
      })
      .option('format', {
        choices: ['text', 'json', 'sarif'] as const,
        default: 'text' as const,
        describe: 'output form',
      })
      .option('severity', {
        choices: ['error', 'warning', 'info'] as const,
        default: 'warning' as const,
        describe: 'exit 1 when a finding is at or above this severity',
      })
      .option('o', { alias: 'output', type: 'string', describe: 'write to this file (atomically) instead of stdout' })
      .example('iptables-save | $0 lint', 'the layout and the findings, as text')
      .example('$0 lint rules.v4 rules.v6 -p dfw.yaml --format sarif -o dfw.sarif', 'SARIF for code scanning')
      .example('ip6tables-save | $0 lint --family 6 --severity error', 'exit 1 only on errors'),
  handler: (args: Args) => {
    const files = args.files === undefined || args.files.length === 0 ? ['-'] : args.files.map(String);
    refuseStdinTwice([
      ...files.map((f) => ['a dump', f] as const),
      ...(args.ipsets === undefined ? [] : ([['--ipsets', args.ipsets]] as const)),
      ...(args.policy === undefined ? [] : ([['--policy', args.policy]] as const)),
      ...(args.containers === undefined ? [] : ([['--containers', args.containers]] as const)),
    ]);
    if (args.containers !== undefined && args.policy === undefined)
      throw new DfwError('--containers resolves the names of a policy: give --policy P with it');
    const policy =
      args.policy === undefined ? undefined : withContainers(readPolicy(args.policy), args.containers).policy;
    const ipsets =
      args.ipsets === undefined
        ? undefined
        : (() => {
            const input = readInput(args.ipsets);
            return parseIpset(input.text, input.file);
          })();
    const dumps = readDumps(files, args.family);
    const report = lintDumps(dumps, { ...(policy ? { policy } : {}), ...(ipsets ? { ipsets } : {}) });
    writeOutput(render(args, report), args.o);
    return failsAt(report.findings, args.severity) ? 1 : 0;
  },
});
