// The packet lab's host as Docker 29 leaves it under its nftables backend ("firewall-backend":
// "nftables", Docker 29.0 to 29.7): the same namespaces, addresses, containers and published
// ports as the iptables lab (topology.ts), but no iptables rules at all; Docker's rules are the
// two `docker-bridges` tables of fixtures/nft/docker29.nft, written by hand from the layout in
// docs/docker.md#the-nftables-backend (DNAT in nat-prerouting-and-output with comment "DNAT",
// raw-PREROUTING "DROP DIRECT ACCESS", filter-forward-in__docker0 ending in "UNPUBLISHED PORT
// DROP"). Like dockerd under that backend, nothing here touches iptables; forwarding is on
// (Docker does not enable it under nftables: the host's admin does).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { FIXTURES } from '../support/fixtures.js';
import type { RunResult } from '../support/netns.js';
import { dfwAsync } from './dfw.js';
import { Lab } from './topology.js';

export const DOCKER29_NFT = join(FIXTURES, 'nft', 'docker29.nft');

export class NftLab {
  private constructor(readonly lab: Lab) {}

  static create(): NftLab {
    return new NftLab(Lab.create('nft'));
  }

  get host() {
    return this.lab.host;
  }

  destroy(): void {
    this.lab.destroy();
  }

  /** nft in the host namespace; throws with nft's message when it fails. */
  nft(args: string[], input?: string): string {
    const r = this.host.run('nft', args, input);
    if (r.status !== 0) throw new Error(`nft ${args.join(' ')} failed (${r.status}): ${r.stderr.trim()}`);
    return r.stdout;
  }

  /** The same, without blocking the event loop (probes run meanwhile). */
  nftAsync(args: string[], input?: string): Promise<RunResult> {
    return new Promise((resolve) => {
      const child = spawn('ip', ['netns', 'exec', this.host.name, 'nft', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('close', (code) => {
        clearTimeout(killer);
        resolve({ status: code ?? -1, stdout, stderr });
      });
      child.stdin.end(input ?? '');
    });
  }

  /**
   * An empty ruleset (this lab's own namespace: dfw itself never flushes a ruleset), then
   * Docker's tables, as after a boot where Docker started and nothing else ran.
   */
  resetToDocker(): void {
    this.nft(['flush', 'ruleset']);
    this.nft(['-f', DOCKER29_NFT]);
  }

  /**
   * `nft list table <f> docker-bridges` for ip and ip6: what must stay byte for byte. With
   * `stateless`, `nft -s` (no counter values: probes that passed Docker's rules count).
   */
  dockerTables(stateless = false): string[] {
    return ['ip', 'ip6'].map((f) => this.nft([...(stateless ? ['-s'] : []), 'list', 'table', f, 'docker-bridges']));
  }

  /** The README pipe: `nft -j list ruleset | dfw nft -p P [ARGS] | nft -f -`. */
  async applyPolicy(policy: string, args: string[] = []): Promise<string> {
    const dump = await this.nftAsync(['-j', 'list', 'ruleset']);
    if (dump.status !== 0) throw new Error(`nft -j list ruleset failed: ${dump.stderr}`);
    const r = await dfwAsync(['nft', '--policy', policy, ...args], dump.stdout);
    if (r.status !== 0) throw new Error(`dfw nft exited ${r.status}: ${r.stderr}`);
    const load = await this.nftAsync(['-f', '-'], r.stdout);
    if (load.status !== 0) throw new Error(`nft -f - failed (${load.status}): ${load.stderr}`);
    return r.stdout;
  }

  /** `nft -j list ruleset | dfw nft -p P --check`: its exit code and stderr. */
  async check(policy: string): Promise<{ status: number; stderr: string }> {
    const r = await dfwAsync(['nft', '--policy', policy, '--check'], this.nft(['-j', 'list', 'ruleset']));
    return { status: r.status, stderr: r.stderr };
  }
}

/**
 * `nft -j list ruleset` without what differs between two listings of the same state: handles
 * (a replaced table is numbered anew), counter values, and the order of the tables (a replaced
 * table is listed after the others). One object a line, each table's objects in nft's order.
 */
export function normalRuleset(text: string): string {
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (v === null || typeof v !== 'object') return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (k === 'handle') continue;
      out[k] = k === 'packets' || k === 'bytes' ? 0 : strip(x);
    }
    return out;
  };
  const groups = new Map<string, string[]>();
  for (const item of (JSON.parse(text) as { nftables: Record<string, Record<string, unknown>>[] }).nftables) {
    const body = Object.values(item)[0] ?? {};
    const key = 'metainfo' in item ? '' : `${String(body.family)} ${String(body.table ?? body.name)}`;
    groups.set(key, [...(groups.get(key) ?? []), JSON.stringify(strip(item))]);
  }
  return [...groups.keys()]
    .sort()
    .flatMap((k) => groups.get(k)!)
    .join('\n');
}
