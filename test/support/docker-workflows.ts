// The README's workflows against a real Docker daemon (20.10, IPv4 and IPv6), for one iptables
// variant; test/docker-workflows-nft.test.ts and -legacy.test.ts run it (two files, so that the
// two daemons run in parallel). One daemon for all the tests of a file, the tests in order: each
// starts from the state the one before left, as on a real host.
//
// Probes are real connections from the client namespace through the host's eth0 to the ports
// Docker publishes: `web` (80 -> 80) and `db` (5432 -> 5432), later `late` (8081 -> 81). The
// README's policy opens port 80 to anyone and every published port to the set ipfriends
// (203.0.113.7, 198.51.100.22, IPv4 only); the rest arriving on eth0 is dropped.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mismatches, probe, type ProbeSpec, type Seen, type Server, startServer } from '../lab/servers.js';
import { CLI } from './cli.js';
import { DockerHost, DK, type Family, type Variant } from './dockerd.js';
import { scratch } from './scratch.js';
import { ROOT } from './fixtures.js';

/** README blocks marked `<!-- tested: ID -->` or `<!-- tested with dockerd: ID -->`, by ID. */
export function readmeBlocks(): Map<string, string> {
  const out = new Map<string, string>();
  const re = /^<!-- tested(?: with dockerd)?: ([\w-]+) -->\n```\w*\n([\s\S]*?)^```$/gm;
  const md = readFileSync(join(ROOT, 'README.md'), 'utf8');
  for (let m = re.exec(md); m !== null; m = re.exec(md)) out.set(m[1]!, m[2]!);
  return out;
}

export function block(id: string): string {
  const b = readmeBlocks().get(id);
  if (b === undefined) throw new Error(`README.md has no block marked ${id}`);
  return b;
}

/** A folder with `dfw` (the built CLI) for README blocks run as written. */
export function dfwBin(work: string): string {
  const bin = join(work, 'dfw-bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'dfw'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
  chmodSync(join(bin, 'dfw'), 0o755);
  return bin;
}

export const ipStr = (f: Family, a: string) => (f === 4 ? a : `[${a}]`);

/** Probe specs: `who` from the client to the host's address and `port`. */
export function to(
  h: DockerHost,
  f: Family,
  who: keyof typeof DK.clients,
  port: number,
  expect: Seen,
  banner?: string,
): ProbeSpec {
  return { ns: h.client, from: `${who}/v${f}`, src: DK.clients[who][f], dst: DK.hostAddr[f], port, expect, banner };
}

/** The README policy's verdicts for web (80) and db (5432), or Docker's alone (everything open). */
export function readmeProbes(
  h: DockerHost,
  policy: boolean,
  extra: [port: number, banner: string][] = [],
): ProbeSpec[] {
  const closed = (ok: boolean): Seen => (ok ? 'open' : 'timeout');
  const specs: ProbeSpec[] = [];
  for (const [port, banner] of [[80, 'web:80'], [5432, 'db:5432'], ...extra] as [number, string][]) {
    const b = (s: Seen) => (s === 'open' ? banner : undefined);
    const v = (f: Family, who: keyof typeof DK.clients) => {
      // Port 80 is open to anyone; the rest only to ipfriends, an IPv4 set.
      const seen = closed(!policy || port === 80 || (f === 4 && who !== 'stranger'));
      specs.push(to(h, f, who, port, seen, b(seen)));
    };
    v(4, 'friend');
    v(4, 'friend2');
    v(4, 'stranger');
    if (h.options.ipv6) {
      v(6, 'friend');
      v(6, 'stranger');
    }
  }
  return specs;
}

export async function expectProbes(tag: string, specs: ProbeSpec[]): Promise<void> {
  expect(mismatches(await probe(tag, specs))).toEqual([]);
}

export function expectRun(r: { status: number; stdout: string; stderr: string }, what: string): string {
  if (r.status !== 0) throw new Error(`${what} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** iptables-save without dates and counters: two saves of one state are equal. */
export function normalised(text: string): string {
  return text.replace(/^# .*\n/gm, '').replace(/\[\d+:\d+\]/g, '[0:0]');
}

export interface Ctx {
  h: DockerHost;
  work: string;
  bin: string;
  server: Server | undefined;
}

/** A container's own outgoing connection to the client's server, v4 and v6: the answer it read. */
export function egress(h: DockerHost, container: string, f: Family): string {
  const r = spawnSync(
    '/usr/bin/docker',
    ['-H', `unix://${h.sock}`, 'exec', container, 'nc', '-w', '3', DK.clients.friend[f], String(DK.clientPort)],
    { encoding: 'utf8', timeout: 15_000 },
  );
  return (r.stdout ?? '').trim();
}

/** beforeAll/afterAll of a file: the daemon, the two containers, the client's server; all removed after. */
export function dockerHostFixture(variant: Variant, make: (v: Variant) => DockerHost, work: () => string): Ctx {
  const ctx = {} as Ctx;
  beforeAll(async () => {
    ctx.work = work();
    ctx.bin = dfwBin(ctx.work);
    ctx.h = make(variant);
    await ctx.h.start();
    ctx.h.serve('web', ['80:80'], 80);
    ctx.h.serve('db', ['5432:5432'], 5432);
    ctx.server = await startServer(ctx.h.client, 'client', [DK.clientPort]);
    await ctx.h.waitServing([
      ['web', 80],
      ['db', 5432],
    ]);
  }, 120_000);
  afterAll(async () => {
    ctx.server?.stop();
    if (ctx.h === undefined) return;
    await ctx.h.destroy();
    expect(ctx.h.leftovers()).toEqual([]);
  }, 120_000);
  return ctx;
}

/** Sets, then v4 and v6 as the README says for this host (its pipe without the IPv6 line, then the 20.10 IPv6 block). */
export function applyReadme(ctx: Ctx): void {
  const pipe = block('pipe')
    .split('\n')
    .filter((l) => !l.startsWith('ip6tables-save'))
    .join('\n');
  expectRun(ctx.h.sh(pipe, ctx.work, ctx.bin), 'the README pipe (IPv6 line left out, as it says for this host)');
  if (ctx.h.options.ipv6)
    expectRun(ctx.h.sh(block('docker20-v6'), ctx.work, ctx.bin), 'the README block for IPv6 on Docker 20.10');
}

export function runUnitLines(ctx: Ctx, unitFile: string): void {
  const lines = readFileSync(unitFile, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('ExecStart='))
    .map((l) => l.slice('ExecStart='.length));
  expect(lines.length).toBeGreaterThan(0);
  for (const l of lines) expectRun(ctx.h.sh(l, ctx.work), `${unitFile}: ${l}`);
}

const save = (h: DockerHost) => ({ 4: normalised(h.save(4)), 6: normalised(h.save(6)) });

/**
 * The workflows of the README against a real daemon whose `iptables` is `variant`. IPv6 with the
 * nft variant only: ip6tables-legacy 1.8.9 `-C` finds an IPv6 DNAT rule "present" whenever the
 * chain holds any DNAT rule (`ip6tables-legacy -t nat -C DOCKER -p tcp --dport 5432 -j DNAT
 * --to-destination [fd00:17::3]:5432` exits 0 next to the rule for port 80), and Docker 20.10
 * checks with -C before it appends: on a legacy host only the first published port gets its
 * IPv6 DNAT, whatever dfw does.
 */
export function workflows(variant: Variant): void {
  const tmp = scratch(`dfw-dkw-${variant}-`);
  const ipv6 = variant === 'nft';
  const ctx = dockerHostFixture(
    variant,
    (v) => DockerHost.create({ variant: v, ipv6, label: v.slice(0, 3) }),
    () => tmp.folder('work'),
  );
  const v6block = () => {
    if (ipv6) sh(block('docker20-v6'));
  };
  const sh = (script: string) => expectRun(ctx.h.sh(script, ctx.work, ctx.bin), script);

  it('before any policy, Docker publishes every port to everyone', async () => {
    writeFileSync(join(ctx.work, 'dfw.yaml'), block('policy'));
    await expectProbes('docker alone', readmeProbes(ctx.h, false));
  });

  it("the README's pipe, with --check on the live host (exit 0), then probes as the policy says", async () => {
    applyReadme(ctx);
    await expectProbes('after the pipe', readmeProbes(ctx.h, true));
  });

  it('a second apply changes nothing', () => {
    const before = save(ctx.h);
    applyReadme(ctx);
    expect(save(ctx.h)).toEqual(before);
  });

  it("the containers' own outgoing connections pass (replies come back on eth0)", () => {
    expect(egress(ctx.h, 'web', 4)).toBe(`client:${DK.clientPort}`);
    if (ipv6) expect(egress(ctx.h, 'db', 6)).toBe(`client:${DK.clientPort}`);
  });

  it('a container started after the policy is filtered as the policy says', async () => {
    ctx.h.serve('late', ['8081:81'], 81);
    await ctx.h.waitServing([['late', 81]]);
    await expectProbes('late container', readmeProbes(ctx.h, true, [[8081, 'late:81']]));
  });

  it('dockerd restarted: the policy holds (IPv6: once the README block runs again)', async () => {
    await ctx.h.restart();
    await ctx.h.waitServing([
      ['web', 80],
      ['db', 5432],
      ['late', 81],
    ]);
    // IPv4: Docker keeps DOCKER-USER and jumps to it first; nothing to do.
    sh('iptables-save | dfw transform --policy dfw.yaml --check');
    await expectProbes(
      'after restart, v4',
      readmeProbes(ctx.h, true, [[8081, 'late:81']]).filter((p) => p.from.endsWith('v4')),
    );
    v6block();
    await expectProbes('after restart and the v6 block', readmeProbes(ctx.h, true, [[8081, 'late:81']]));
  });

  it('strip removes every rule and chain of the policy; Docker alone decides again', async () => {
    sh('iptables-save | dfw strip --policy dfw.yaml --mode noflush | iptables-restore --noflush');
    if (ipv6) sh('ip6tables-save | dfw strip --policy dfw.yaml --mode noflush | ip6tables-restore --noflush');
    const after = save(ctx.h);
    for (const f of [4, 6] as const) {
      expect(after[f]).not.toContain('dfw:');
      expect(after[f]).not.toContain('DFW-');
    }
    await expectProbes('after strip', readmeProbes(ctx.h, false));
  });

  it('boot order: the bundle loaded before dockerd starts holds at the first probe (IPv4; IPv6 once the README block runs)', async () => {
    await ctx.h.stop();
    // A reboot: no rule, no set; Docker's containers come back when it starts (restart=always).
    for (const t of ['filter', 'nat'])
      for (const cmd of ['iptables', 'ip6tables']) sh(`${cmd} -w -t ${t} -F && ${cmd} -w -t ${t} -X`);
    sh('ipset destroy');
    const etc = join(ctx.work, 'etc-dfw');
    sh(`dfw bundle --policy dfw.yaml --out ${etc} --prefix ${etc} --sbin-dir ${join(ctx.h.dir, 'bin')}`);
    runUnitLines(ctx, join(etc, 'dfw-firewall.service'));
    await ctx.h.start();
    await ctx.h.waitServing([
      ['web', 80],
      ['db', 5432],
    ]);
    await expectProbes(
      'boot, first probe, v4',
      readmeProbes(ctx.h, true).filter((p) => p.from.endsWith('v4')),
    );
    sh('iptables-save | dfw transform --policy dfw.yaml --check');
    // IPv6 on 20.10: no jump to DOCKER-USER until the README's block runs.
    v6block();
    await expectProbes('boot, after the v6 block', readmeProbes(ctx.h, true));
  });

  it('DOCKER chain mode: dfw-reapply.service after each daemon start', async () => {
    // Leave DOCKER-USER: the same policy in the DOCKER chain (its rules move, its chain stays).
    writeFileSync(join(ctx.work, 'docker-chain.yaml'), block('policy').replace('chain: DOCKER-USER', 'chain: DOCKER'));
    sh('iptables-save | dfw strip --policy dfw.yaml --mode noflush | iptables-restore --noflush');
    if (ipv6) sh('ip6tables-save | dfw strip --policy dfw.yaml --mode noflush | ip6tables-restore --noflush');
    const etc = join(ctx.work, 'etc-dfw-docker');
    sh(
      `dfw bundle --policy docker-chain.yaml --out ${etc} --prefix ${etc} --sbin-dir ${join(ctx.h.dir, 'bin')} --dfw-path ${join(ctx.bin, 'dfw')} --no-ipv6`,
    );
    runUnitLines(ctx, join(etc, 'dfw-firewall.service'));
    runUnitLines(ctx, join(etc, 'dfw-reapply.service'));
    const v4 = () => readmeProbes(ctx.h, true).filter((p) => p.from.endsWith('v4'));
    await expectProbes('DOCKER chain, applied', v4());
    await ctx.h.restart();
    await ctx.h.waitServing([
      ['web', 80],
      ['db', 5432],
    ]);
    expect(ctx.h.save(4)).not.toContain('dfw:web:jump'); // Docker flushed DOCKER, and the jump with it
    runUnitLines(ctx, join(etc, 'dfw-reapply.service'));
    await expectProbes('DOCKER chain, re-applied after restart', v4());
    sh(`iptables-save | dfw transform --policy ${join(etc, 'policy.yaml')} --check`);
  });

  it("the README's classic hand-made DOCKER rules, then its move to DOCKER-USER, as written", async () => {
    sh(`iptables-save | dfw strip --policy docker-chain.yaml --mode noflush | iptables-restore --noflush`);
    sh('ipset destroy');
    sh(block('classic'));
    const v4 = () => readmeProbes(ctx.h, true).filter((p) => p.from.endsWith('v4'));
    await expectProbes('classic', v4());
    // /etc/dfw becomes a folder of the test; the IPv6 line is left out, as README says for a host
    // whose Docker writes no DOCKER-USER in ip6tables.
    const migrate = block('migrate')
      .replaceAll('/etc/dfw', join(ctx.work, 'etc-dfw-migrate'))
      .split('\n')
      .filter((l) => !l.startsWith('ip6tables-save'))
      .join('\n');
    sh(migrate);
    expect(ctx.h.save(4)).not.toMatch(/^-A DOCKER -i eth0/m);
    await expectProbes('migrated', v4());
  });
}
