// `dfw exposure` against real packets: the sources it computes for each published port of the
// lab host are probed from addresses inside and just outside each computed CIDR (and the lab's
// own client addresses), added to the client namespace for the purpose.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addressNumber, addressText, spanOf } from '../../src/analysis/split.js';
import { dfwAsync } from './dfw.js';
import type { ProbeSpec, Seen } from './servers.js';
import { LAB, type Family, type Lab } from './topology.js';

interface Reach {
  kind: string;
  sources: string[];
  unknown: { from: string[] }[];
}
export interface ExposedPort {
  kind: string;
  proto: string;
  ports?: [number, number][];
  to: string[];
  reach: { interface: string; reach: Reach }[];
}

/** `dfw exposure` of the lab host as it is now (its save and its sets), as JSON. */
export async function labExposure(lab: Lab, f: Family): Promise<ExposedPort[]> {
  const dir = mkdtempSync(join(tmpdir(), 'dfw-ex-'));
  try {
    const sets = join(dir, 'ipset.save');
    writeFileSync(sets, lab.ipsetSave());
    const r = await dfwAsync(
      ['exposure', '-', '--ipsets', sets, '--host-address', LAB.hostAddr[f], '--format', 'json'],
      lab.save(f),
    );
    if (r.status !== 0) throw new Error(`dfw exposure exited ${r.status}: ${r.stderr}`);
    return (JSON.parse(r.stdout) as { ports: ExposedPort[] }).ports;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The client's networks (on eth0 of both namespaces): a probe source must be on one of them. */
function onLink(f: Family): { from: bigint; to: bigint }[] {
  return LAB.hostExt[f].map((a) => spanOf(a, f)!);
}

const hostOwn = (f: Family): Set<string> => new Set(LAB.hostExt[f].map((a) => a.replace(/\/\d+$/, '')));

/**
 * Probe sources for a reach: the lab's client addresses, and for every computed CIDR its first and
 * last address and the addresses just outside it, when they lie on a client network (not its
 * network or broadcast address, nor the host's own).
 */
export function probeSources(f: Family, reaches: readonly Reach[]): string[] {
  const nets = onLink(f);
  const own = hostOwn(f);
  const out = new Set<string>(LAB.clients.map((c) => c[f]));
  for (const r of reaches) {
    if (r.kind === 'anyone') continue;
    for (const cidr of r.sources) {
      const s = spanOf(cidr, f)!;
      for (const n of [s.from - 1n, s.from, s.to, s.to + 1n]) {
        const net = nets.find((x) => x.from < n && n < x.to);
        if (net === undefined) continue;
        const a = addressText(n, f);
        if (!own.has(a)) out.add(a);
      }
    }
  }
  return [...out];
}

export const inSources = (f: Family, r: Reach, addr: string): boolean => {
  const n = addressNumber(addr, f)!;
  return r.sources.some((c) => {
    const s = spanOf(c, f)!;
    return s.from <= n && n <= s.to;
  });
};

/** Adds the addresses to the client's eth0 (idempotent: those it has are skipped). */
export function addClientAddresses(lab: Lab, f: Family, addrs: readonly string[]): void {
  const have = new Set(LAB.clients.map((c) => c[f]));
  const cmds = addrs
    .filter((a) => !have.has(a))
    .map((a) => `addr replace ${a}/${LAB.prefix[f]} dev eth0${f === 6 ? ' nodad' : ''}`);
  if (cmds.length > 0) lab.client.ok('ip', ['-batch', '-'], `${cmds.join('\n')}\n`);
}

/** A probe of every published TCP port from every source, expecting what the reach from eth0 says. */
export function exposureProbes(
  lab: Lab,
  f: Family,
  ports: readonly ExposedPort[],
  sources: readonly string[],
  denied: Seen,
): ProbeSpec[] {
  const specs: ProbeSpec[] = [];
  for (const p of LAB.published) {
    const e = ports.find((x) => x.kind === 'dnat' && x.proto === 'tcp' && x.ports?.[0]?.[0] === p.hostPort);
    if (e === undefined) throw new Error(`dfw exposure does not list tcp ${p.hostPort}`);
    const reach = (e.reach.find((r) => r.interface === 'eth0') ?? e.reach.find((r) => r.interface === '*'))!.reach;
    if (reach.unknown.length > 0) throw new Error(`tcp ${p.hostPort}: reach unknown: ${JSON.stringify(reach)}`);
    for (const src of sources)
      specs.push({
        ns: lab.client,
        from: inSources(f, reach, src) ? 'inside' : 'outside',
        src,
        dst: LAB.hostAddr[f],
        port: p.hostPort,
        expect: inSources(f, reach, src) ? 'open' : denied,
        banner: `${p.container}:${p.port}`,
      });
  }
  return specs;
}
