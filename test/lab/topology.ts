// The lab: a Docker-like host in network namespaces, loaded with the rules Docker 29 writes.
//
//   CLIENT ns                           HOST ns                              CONTAINER ns (behind docker0)
//   eth0  192.0.2.10/24    friend  ── eth0  192.0.2.1/24            docker0 172.17.0.1/16
//         192.0.2.20/24    c2web            198.51.100.1/24                 2001:db8:17::1/64
//         198.51.100.10/24 cidr             203.0.113.1/24             c1  172.17.0.2  2001:db8:17::2  :80 :22
//         203.0.113.66/24  stranger         2001:db8:1::1/64           c2  172.17.0.3  2001:db8:17::3  :443 :80 :5432
//         2001:db8:1::10/64  friend         2001:db8:2::1/64
//         2001:db8:1::20/64  c2web          2001:db8:3::1/64
//         2001:db8:2::10/64  cidr
//         2001:db8:3::66/64  stranger
//   servers on :9000 and :8443 (targets of the containers' own outgoing connections)
//
// Published (nat DOCKER DNAT, v4 and v6): 8080 → c1:80, 8443 → c2:443, 2222 → c1:22, 9090 → c2:80,
// 5432 → c2:5432. Each server answers one line `<name>:<port>`, so a probe knows who answered.
// ip_forward and IPv6 forwarding are on in HOST only; FORWARD policy is DROP, as dockerd sets it.
// DAD is disabled before any interface exists (and addresses use `nodad`), so no address is tentative.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Netns, type RunResult } from '../support/netns.js';

export type Variant = 'nft' | 'legacy';
export type Family = 4 | 6;
export const FAMILIES: Family[] = [4, 6];

export interface ClientAddr {
  /** short label used in the probe log and in expectations */
  id: 'friend' | 'cidr' | 'c2web' | 'stranger';
  note: string;
  4: string;
  6: string;
}

export const LAB = {
  /** addresses of the host on its external interface eth0 (with prefix) */
  hostExt: {
    4: ['192.0.2.1/24', '198.51.100.1/24', '203.0.113.1/24'],
    6: ['2001:db8:1::1/64', '2001:db8:2::1/64', '2001:db8:3::1/64'],
  },
  /** the address clients connect to (the host's "public" address) */
  hostAddr: { 4: '192.0.2.1', 6: '2001:db8:1::1' } as Record<Family, string>,
  bridge: { 4: '172.17.0.1/16', 6: '2001:db8:17::1/64' } as Record<Family, string>,
  bridgeGw: { 4: '172.17.0.1', 6: '2001:db8:17::1' } as Record<Family, string>,
  bridgeNet: { 4: '172.17.0.0/16', 6: '2001:db8:17::/64' } as Record<Family, string>,
  containers: {
    c1: { 4: '172.17.0.2', 6: '2001:db8:17::2', ports: [80, 22] },
    c2: { 4: '172.17.0.3', 6: '2001:db8:17::3', ports: [443, 80, 5432] },
  },
  prefix: { 4: 24, 6: 64 } as Record<Family, number>,
  clients: [
    { id: 'friend', note: 'in the allowlist set', 4: '192.0.2.10', 6: '2001:db8:1::10' },
    { id: 'cidr', note: 'in the CIDR allowed for one port', 4: '198.51.100.10', 6: '2001:db8:2::10' },
    { id: 'c2web', note: 'allowed to container c2 port 80 only', 4: '192.0.2.20', 6: '2001:db8:1::20' },
    { id: 'stranger', note: 'not allowed at all', 4: '203.0.113.66', 6: '2001:db8:3::66' },
  ] as ClientAddr[],
  /** published ports: host port → container:port (the banner the container's server answers) */
  published: [
    { hostPort: 8080, container: 'c1' as const, port: 80 },
    { hostPort: 8443, container: 'c2' as const, port: 443 },
    { hostPort: 2222, container: 'c1' as const, port: 22 },
    { hostPort: 9090, container: 'c2' as const, port: 80 },
    { hostPort: 5432, container: 'c2' as const, port: 5432 },
  ],
  /**
   * ports of the client's own server, for the containers' outgoing connections: 9000, and 8443,
   * a port the policy opens, whose replies must not pass by the port rule (`--ctdir ORIGINAL`)
   */
  clientPorts: [9000, 8443],
};

export const DOCKER_CHAINS = ['DOCKER', 'DOCKER-BRIDGE', 'DOCKER-CT', 'DOCKER-FORWARD', 'DOCKER-INTERNAL'];

function hostMask(f: Family): string {
  return f === 4 ? '/32' : '/128';
}

function dnatTarget(f: Family, addr: string, port: number): string {
  return f === 4 ? `${addr}:${port}` : `[${addr}]:${port}`;
}

/** The rules of Docker's own filter chains and of nat DOCKER; `reordered` is what a restart may give. */
function dockerChainRules(f: Family, reordered = false): { filter: string[]; nat: string[] } {
  const accepts: string[] = [];
  for (const name of ['c1', 'c2'] as const) {
    const c = LAB.containers[name];
    for (const p of c.ports) {
      accepts.push(`-A DOCKER -d ${c[f]}${hostMask(f)} ! -i docker0 -o docker0 -p tcp -m tcp --dport ${p} -j ACCEPT`);
    }
  }
  const dnat = LAB.published.map(
    (p) =>
      `-A DOCKER ! -i docker0 -p tcp -m tcp --dport ${p.hostPort} -j DNAT --to-destination ${dnatTarget(f, LAB.containers[p.container][f], p.port)}`,
  );
  if (reordered) {
    accepts.reverse();
    dnat.reverse();
  }
  return {
    filter: [
      ...accepts,
      '-A DOCKER ! -i docker0 -o docker0 -j DROP',
      '-A DOCKER-BRIDGE -o docker0 -j DOCKER',
      '-A DOCKER-CT -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      '-A DOCKER-FORWARD -j DOCKER-CT',
      '-A DOCKER-FORWARD -j DOCKER-INTERNAL',
      '-A DOCKER-FORWARD -j DOCKER-BRIDGE',
      '-A DOCKER-FORWARD -i docker0 -j ACCEPT',
    ],
    nat: dnat,
  };
}

/** What Docker 29 (iptables backend, default bridge with IPv6 on) leaves in iptables-save / ip6tables-save. */
export function dockerRuleset(f: Family): string {
  const { filter, nat } = dockerChainRules(f);
  const loopback = f === 4 ? '127.0.0.0/8' : '::1/128';
  return [
    '*raw',
    ':PREROUTING ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ...(['c1', 'c2'] as const).map(
      (c) => `-A PREROUTING -d ${LAB.containers[c][f]}${hostMask(f)} ! -i docker0 -j DROP`,
    ),
    'COMMIT',
    '*filter',
    ':INPUT ACCEPT [0:0]',
    ':FORWARD DROP [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ...DOCKER_CHAINS.map((c) => `:${c} - [0:0]`),
    ':DOCKER-USER - [0:0]',
    '-A FORWARD -j DOCKER-USER',
    '-A FORWARD -j DOCKER-FORWARD',
    ...filter,
    'COMMIT',
    '*nat',
    ':PREROUTING ACCEPT [0:0]',
    ':INPUT ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':POSTROUTING ACCEPT [0:0]',
    ':DOCKER - [0:0]',
    '-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER',
    `-A OUTPUT ! -d ${loopback} -m addrtype --dst-type LOCAL -j DOCKER`,
    `-A POSTROUTING -s ${LAB.bridgeNet[f]} ! -o docker0 -j MASQUERADE`,
    ...nat,
    'COMMIT',
    '',
  ].join('\n');
}

/**
 * A `--noflush` restore file doing what dockerd does to its own chains when it starts: each DOCKER*
 * chain except DOCKER-USER is flushed (a `:CHAIN` line flushes an existing user chain, docs/format.md#what-a-restore-flushes)
 * and rebuilt, here in a different order. DOCKER-USER is not mentioned, so it is left alone.
 */
export function dockerRestartFile(f: Family): string {
  const { filter, nat } = dockerChainRules(f, true);
  return [
    '*filter',
    ...DOCKER_CHAINS.map((c) => `:${c} - [0:0]`),
    ...filter,
    'COMMIT',
    '*nat',
    ':DOCKER - [0:0]',
    ...nat,
    'COMMIT',
    '',
  ].join('\n');
}

export interface Tools {
  save: Record<Family, string>;
  restore: Record<Family, string>;
  ipt: Record<Family, string>;
}

export function toolsFor(v: Variant): Tools {
  return {
    save: { 4: `iptables-${v}-save`, 6: `ip6tables-${v}-save` },
    restore: { 4: `iptables-${v}-restore`, 6: `ip6tables-${v}-restore` },
    ipt: { 4: `iptables-${v}`, 6: `ip6tables-${v}` },
  };
}

/** Counters and date comments differ between two saves of the same state. */
export function normaliseSave(text: string): string {
  return text.replace(/^# (Generated by|Completed on) .*\n/gm, '').replace(/\[\d+:\d+\]/g, '[0:0]');
}

function must(r: RunResult, what: string): string {
  if (r.status !== 0) throw new Error(`${what} failed (${r.status}): ${r.stderr.trim()}`);
  return r.stdout;
}

export class Lab {
  readonly tools: Tools;

  private constructor(
    readonly variant: Variant,
    readonly host: Netns,
    readonly client: Netns,
    readonly c1: Netns,
    readonly c2: Netns,
  ) {
    this.tools = toolsFor(variant);
  }

  /**
   * Creates the namespaces, links and addresses. Deletes what it made if anything fails.
   * `prefix` starts every namespace label, so that labs of different tests are told apart.
   */
  static create(variant: Variant, prefix = ''): Lab {
    const made: Netns[] = [];
    try {
      const mk = (label: string) => {
        const ns = Netns.create(`${prefix}${variant}-${label}`);
        made.push(ns);
        // No DAD anywhere, set before the interfaces exist so that they inherit it.
        ns.ok('sysctl', ['-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0']);
        return ns;
      };
      const host = mk('host');
      const client = mk('client');
      const c1 = mk('c1');
      const c2 = mk('c2');
      host.ok('sysctl', ['-qw', 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1']);

      const hostCmds = [
        `link add eth0 type veth peer name eth0 netns ${client.name}`,
        'link add docker0 type bridge',
        `link add veth-c1 type veth peer name eth0 netns ${c1.name}`,
        `link add veth-c2 type veth peer name eth0 netns ${c2.name}`,
        'link set veth-c1 master docker0',
        'link set veth-c2 master docker0',
        ...LAB.hostExt[4].map((a) => `addr add ${a} dev eth0`),
        ...LAB.hostExt[6].map((a) => `addr add ${a} dev eth0 nodad`),
        `addr add ${LAB.bridge[4]} dev docker0`,
        `addr add ${LAB.bridge[6]} dev docker0 nodad`,
        'link set eth0 up',
        'link set docker0 up',
        'link set veth-c1 up',
        'link set veth-c2 up',
      ];
      host.ok('ip', ['-batch', '-'], hostCmds.join('\n') + '\n');

      const clientCmds = [
        ...LAB.clients.flatMap((c) => [
          `addr add ${c[4]}/${LAB.prefix[4]} dev eth0`,
          `addr add ${c[6]}/${LAB.prefix[6]} dev eth0 nodad`,
        ]),
        'link set eth0 up',
      ];
      client.ok('ip', ['-batch', '-'], clientCmds.join('\n') + '\n');

      for (const [ns, c] of [
        [c1, LAB.containers.c1],
        [c2, LAB.containers.c2],
      ] as const) {
        const cmds = [
          `addr add ${c[4]}/16 dev eth0`,
          `addr add ${c[6]}/64 dev eth0 nodad`,
          'link set eth0 up',
          `route add default via ${LAB.bridgeGw[4]}`,
          `route add default via ${LAB.bridgeGw[6]}`,
        ];
        ns.ok('ip', ['-batch', '-'], cmds.join('\n') + '\n');
      }

      const lab = new Lab(variant, host, client, c1, c2);
      lab.waitNoTentative();
      return lab;
    } catch (e) {
      for (const ns of made) ns.delete();
      throw e;
    }
  }

  get namespaces(): Netns[] {
    return [this.host, this.client, this.c1, this.c2];
  }

  /**
   * Throws when a namespace of the lab has disappeared: on a shared machine, another test run's
   * global setup deletes every `dfwt-*` namespace, which breaks this lab in the middle of a test.
   */
  assertAlive(): void {
    const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    const names = new Set((r.stdout ?? '').split('\n').map((l) => l.split(' ')[0]));
    const gone = this.namespaces.filter((ns) => !names.has(ns.name)).map((ns) => ns.name);
    if (gone.length > 0)
      throw new Error(
        `lab namespaces vanished: ${gone.join(', ')} (deleted from outside, e.g. by another test run's global setup)`,
      );
  }

  /** Deletes every namespace of the lab, by name. Idempotent. */
  destroy(): void {
    for (const ns of this.namespaces) ns.delete();
    rmSync(lockFileFor(this.host), { force: true });
  }

  /** Bounded wait (3 s) for IPv6 addresses to leave the tentative state. */
  private waitNoTentative(): void {
    const deadline = Date.now() + 3000;
    for (;;) {
      const pending = this.namespaces.filter((ns) => ns.ok('ip', ['-6', 'addr', 'show', 'tentative']).trim() !== '');
      if (pending.length === 0) return;
      if (Date.now() > deadline)
        throw new Error(`IPv6 addresses still tentative in ${pending.map((n) => n.name).join(', ')}`);
      spinWait(100);
    }
  }

  /**
   * Runs an iptables tool in the host namespace with a lock file of its own. The legacy tools
   * take /run/xtables.lock, one for the whole machine, and wait for it without end (1.8.9): a
   * lab whose netfilter state is private to its namespace must not queue behind other users.
   */
  private xt(cmd: string, args: string[], input?: string): RunResult {
    return this.host.run('env', [`XTABLES_LOCKFILE=${lockFileFor(this.host)}`, cmd, ...args], input);
  }

  save(f: Family): string {
    return must(this.xt(this.tools.save[f], []), this.tools.save[f]);
  }

  restore(f: Family, text: string, opts: { noflush?: boolean } = {}): void {
    const args = opts.noflush ? ['--noflush'] : [];
    must(this.xt(this.tools.restore[f], args, text), `${this.tools.restore[f]} ${args.join(' ')}`);
  }

  ipt(f: Family, args: string[]): string {
    return must(this.xt(this.tools.ipt[f], args), `${this.tools.ipt[f]} ${args.join(' ')}`);
  }

  ipsetSave(): string {
    return must(this.host.run('ipset', ['save']), 'ipset save');
  }

  ipsetRestore(text: string): void {
    must(this.host.run('ipset', ['restore'], text), 'ipset restore');
  }

  /** Back to a freshly started Docker: its ruleset (every table flushed and reloaded), no ipsets. */
  resetToDocker(): void {
    for (const f of FAMILIES) this.restore(f, dockerRuleset(f));
    // Sets are no longer referenced once the rules are replaced; destroy them all.
    must(this.host.run('ipset', ['destroy']), 'ipset destroy');
  }

  /**
   * A Docker daemon restart as dockerd does it: its own chains flushed and rebuilt (in another
   * order), the `-j DOCKER-USER` jump moved back to the top of FORWARD, DOCKER-USER left alone.
   */
  simulateDockerRestart(): void {
    for (const f of FAMILIES) {
      this.restore(f, dockerRestartFile(f), { noflush: true });
      // Separate commands: nft 1.8.9 has bugs with -D/-I mixes inside one restore (docs/format.md#commands-inside-a-table).
      this.ipt(f, ['-D', 'FORWARD', '-j', 'DOCKER-USER']);
      this.ipt(f, ['-I', 'FORWARD', '1', '-j', 'DOCKER-USER']);
    }
  }

  /** The rules of one chain of the filter table, as `-S` prints them. */
  chainRules(f: Family, chain: string): string[] {
    return this.ipt(f, ['-S', chain])
      .split('\n')
      .filter((l) => l.startsWith('-A '));
  }
}

/** The xtables lock file of one namespace (see Lab.xt). */
function lockFileFor(ns: Netns): string {
  return join(tmpdir(), `${ns.name}.xtables.lock`);
}

function spinWait(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Why a variant cannot run here (undefined when it can): tries its tools in a throwaway namespace. */
export function variantUnavailable(v: Variant): string | undefined {
  const t = toolsFor(v);
  let ns: Netns | undefined;
  try {
    ns = Netns.create(`${v}-probe`);
    const lock = `XTABLES_LOCKFILE=${lockFileFor(ns)}`;
    for (const f of FAMILIES) {
      const r = ns.run('env', [lock, t.restore[f], '--test'], '*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n');
      if (r.status !== 0) return `${t.restore[f]} --test failed: ${r.stderr.trim() || `exit ${r.status}`}`;
      const s = ns.run('env', [lock, t.save[f]]);
      if (s.status !== 0) return `${t.save[f]} failed: ${s.stderr.trim() || `exit ${s.status}`}`;
    }
    return undefined;
  } catch (e) {
    return String(e);
  } finally {
    if (ns) {
      ns.delete();
      rmSync(lockFileFor(ns), { force: true });
    }
  }
}
