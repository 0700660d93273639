// dfw trace [FILE] --in IF --src A --dst A --dport N: what the kernel does with one packet,
// offline (docs/design.md#seeing-what-a-ruleset-does). Prints every rule met and the verdict;
// exit 0 when printed, whatever the verdict, 2 on bad input.
import { evaluate } from '../../analysis/evaluate.js';
import { prepareRuleset } from '../../analysis/ruleset.js';
import type { Evaluation, HostFacts, Packet, Step } from '../../analysis/types.js';
import { parseAddr, parseNet } from '../../analysis/net.js';
import { DfwError } from '../../errors.js';
import { detectFamily } from '../../iptables/family.js';
import { parseIptables } from '../../iptables/parse.js';
import { parseIpset } from '../../ipset/parse.js';
import { defineCommand } from '../command.js';
import { readInput, refuseEmpty, refuseStdinTwice, writeOutput } from '../io.js';

interface Args {
  file?: string;
  in: string;
  src: string;
  dst: string;
  proto: string;
  dport?: string;
  sport?: string;
  state: 'new' | 'established';
  reply?: boolean;
  ipsets?: string;
  family?: number;
  local?: string[];
  route?: string[];
  format: 'text' | 'json';
  o?: string;
}

export const traceCommand = defineCommand({
  command: 'trace [file]',
  describe: 'Follow one packet through the dump offline: every rule it meets, and the verdict',
  builder: (y) =>
    y
      .positional('file', { type: 'string', describe: 'iptables-save or ip6tables-save dump (default or "-": stdin)' })
      .option('in', { type: 'string', demandOption: true, describe: 'the interface the packet arrives on (eth0)' })
      .option('src', { type: 'string', demandOption: true, describe: 'source address' })
      .option('dst', { type: 'string', demandOption: true, describe: 'destination address (before any DNAT)' })
      .option('proto', { type: 'string', default: 'tcp', describe: 'tcp, udp, sctp, icmp, ipv6-icmp or a number' })
      .option('dport', { type: 'string', describe: 'destination port (tcp, udp, sctp)' })
      .option('sport', { type: 'string', describe: 'source port (default 40000, an ephemeral one)' })
      .option('state', {
        choices: ['new', 'established'] as const,
        default: 'new' as const,
        describe: 'the connection the packet belongs to: a new one, or an established one',
      })
      .option('reply', {
        type: 'boolean',
        default: false,
        describe: 'with --state established: the packet answers a connection opened from the other side',
      })
      .option('ipsets', { type: 'string', describe: 'an ipset save dump: the members of the sets the rules match' })
      .option('family', { choices: [4, 6], type: 'number', describe: 'address family (default: from the dump)' })
      .option('local', {
        type: 'string',
        array: true,
        describe: "the host's addresses, all of them (default: those the dump implies, which may be partial)",
      })
      .option('route', {
        type: 'string',
        array: true,
        describe: 'a route, CIDR=IF (172.17.0.0/16=docker0, 0.0.0.0/0=eth0); default: the bridges the dump implies',
      })
      .option('format', { choices: ['text', 'json'] as const, default: 'text' as const, describe: 'output format' })
      .option('o', { alias: 'output', type: 'string', describe: 'write to this file instead of stdout' })
      .example(
        'iptables-save | $0 trace --in eth0 --src 203.0.113.5 --dst 192.0.2.1 --local 192.0.2.1 --dport 8080',
        'who answers a new connection to published port 8080?',
      )
      .example(
        '$0 trace rules.v4 --ipsets sets.save --in eth0 --src 198.51.100.7 --dst 192.0.2.1 --local 192.0.2.1 --dport 22 --format json',
        'the same as JSON, with set members',
      )
      .epilogue('Exit 0 when the trace is printed (whatever the verdict), 2 on bad input.'),
  handler: (args: Args) => {
    refuseStdinTwice([
      ['the dump', args.file],
      ...(args.ipsets === undefined ? [] : ([['--ipsets', args.ipsets]] as const)),
    ]);
    const input = readInput(args.file);
    refuseEmpty(input, 'iptables', 'trace reads an iptables-save dump');
    const dump = parseIptables(input.text, { file: input.file });
    const ipsets = args.ipsets === undefined ? undefined : readIpsets(args.ipsets);
    const packet = packetOf(args, detectFamily(dump), input.file);
    const facts = factsOf(args, packet.family);
    const rs = prepareRuleset(dump, { family: packet.family, ...(ipsets ? { ipsets } : {}), facts });
    const e = evaluate(rs, packet);
    const out =
      args.format === 'json'
        ? `${JSON.stringify({ ...e, packet, facts: rs.facts }, null, 2)}\n`
        : traceText(e, packet, rs.given);
    writeOutput(out, args.o);
    return 0;
  },
});

function readIpsets(path: string) {
  const { text, file } = readInput(path);
  return parseIpset(text, file);
}

function port(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535)
    throw new DfwError(`${flag} ${JSON.stringify(text)}: expected a port number 0-65535`);
  return Number(text);
}

function packetOf(args: Args, found: 4 | 6 | undefined, file: string): Packet {
  const src = parseAddr(args.src);
  if (src === undefined) throw new DfwError(`--src ${JSON.stringify(args.src)}: expected an IPv4 or IPv6 address`);
  if (parseAddr(args.dst) === undefined)
    throw new DfwError(`--dst ${JSON.stringify(args.dst)}: expected an IPv4 or IPv6 address`);
  const flag = args.family === 4 || args.family === 6 ? args.family : undefined;
  if (flag !== undefined && found !== undefined && flag !== found)
    throw new DfwError(`${file}: --family ${flag} given, but the dump is an IPv${found} dump`);
  const family = flag ?? found ?? src.family;
  if (args.reply && args.state !== 'established') throw new DfwError('--reply needs --state established');
  const dport = port('--dport', args.dport);
  const sport = port('--sport', args.sport);
  return {
    family,
    in: args.in,
    src: args.src,
    dst: args.dst,
    proto: args.proto,
    ...(dport !== undefined ? { dport } : {}),
    ...(sport !== undefined ? { sport } : {}),
    state: args.state,
    ...(args.reply ? { direction: 'reply' as const } : {}),
  };
}

function factsOf(args: Args, family: 4 | 6): Partial<HostFacts> {
  const facts: { localAddresses?: string[]; routes?: { name: string; cidr: string }[] } = {};
  if (args.local !== undefined) {
    for (const a of args.local) {
      const p = parseAddr(a);
      if (p === undefined) throw new DfwError(`--local ${JSON.stringify(a)}: expected an address of the host`);
      if (p.family !== family)
        throw new DfwError(`--local ${a} is an IPv${p.family} address, but the trace is IPv${family}`);
    }
    facts.localAddresses = args.local;
  }
  if (args.route !== undefined) {
    facts.routes = args.route.map((r) => {
      const [cidr = '', name = ''] = r.split('=');
      const net = parseNet(cidr);
      if (net === undefined || name === '' || /\s/.test(name))
        throw new DfwError(`--route ${JSON.stringify(r)}: expected CIDR=INTERFACE (172.17.0.0/16=docker0)`);
      if (net.family !== family) throw new DfwError(`--route ${r} is IPv${net.family}, but the trace is IPv${family}`);
      return { name, cidr };
    });
  }
  return facts;
}

const MATCHED: Record<string, string> = { true: 'yes', false: 'no', unknown: '?' };

function stepLine(s: Step): string {
  const where = `${s.table} ${s.chain}${s.kind === 'rule' || s.kind === undefined ? ` #${s.rule}` : ''}`;
  const line = s.line !== undefined ? `line ${s.line}` : '';
  const head = `${MATCHED[String(s.matched)]!.padEnd(3)} ${where.padEnd(28)} ${line.padEnd(10)} ${s.text}`;
  return s.matched === true && s.why === 'matched' ? head : `${head}\n${' '.repeat(4)}${s.why}`;
}

function traceText(e: Evaluation, p: Packet, given: Partial<HostFacts>): string {
  const ports = p.dport !== undefined ? `:${p.dport}` : '';
  const list = (xs: readonly string[] | undefined) =>
    xs === undefined ? 'as the dump implies' : xs.join(' ') || 'none';
  const lines = [
    `packet: ${p.proto} ${p.src} -> ${p.dst}${ports} in ${p.in}, ${p.state}${p.direction === 'reply' ? ' (reply)' : ''}`,
    `host: local ${list(given.localAddresses)}; routes ${list(given.routes?.map((r) => `${r.cidr}=${r.name}`))}`,
    '',
    ...e.path.map(stepLine),
    '',
  ];
  const to = `${e.dst}${e.dport !== undefined ? `:${e.dport}` : ''}`;
  const where =
    e.delivery.hook === 'input'
      ? `delivered to the host (${to})`
      : `forwarded to ${to} out of ${e.delivery.out ?? 'an interface no known route names'}`;
  lines.push(`verdict: ${e.verdict} (${where})`);
  if (e.verdict === 'unknown') {
    lines.push('depends on:');
    for (const s of e.dependsOn)
      lines.push(
        `  ${s.table} ${s.chain}${s.kind === 'rule' ? ` #${s.rule}` : ''}${s.line !== undefined ? ` (line ${s.line})` : ''}: ${s.text}`,
        `    ${s.why}`,
      );
  }
  return `${lines.join('\n')}\n`;
}
