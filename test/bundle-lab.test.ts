// Boot persistence, with real packets: the bundle on a Docker-like host made of network
// namespaces (the lab of test/lab/: topology.ts, servers.ts, dfw.ts).
//
// As at boot, the host namespace starts EMPTY (no table, no chain, no set). The bundle's
// dfw-firewall.service is run as systemd would run it: its ExecStart lines, word for word,
// against the files of the bundle (the bundle is written with --prefix = its own folder, and
// --sbin-dir = a folder of links to the lab variant's ipset / iptables tools). THEN Docker starts:
// its chains and rules appear as dockerd makes them (docs/docker.md#who-owns-which-chain: it creates its own chains, keeps
// DOCKER-USER's rules, puts `-j DOCKER-USER` at the top of FORWARD). The first probe after that
// must already see the policy. A Docker restart (simulated) keeps it. A bundle rebuilt from a
// changed policy, loaded over the running host (ExecReload), switches behaviour: a port that
// was open is dropped, one that was dropped is open, the allowlist set is swapped while rules
// use it, and the rules other tools put in DOCKER-USER meanwhile (the CrowdSec bouncer's DROP at
// its top, an admin's rule at its end) stay where they are: the unit refills only the policy's
// own chain and adds the jump only when it is missing. The DOCKER chain variant:
// dfw-reapply.service's pipe, after every Docker start.
//
// nft always (in CI it must run); legacy too when this machine has it (the output says which).
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkBoth, checkIpsets, CLI, cliUnavailable, dfw, policyYaml } from './lab/dfw.js';
import {
  mismatches,
  probe,
  startServer,
  type ProbeResult,
  type ProbeSpec,
  type Seen,
  type Server,
} from './lab/servers.js';
import {
  dockerRuleset,
  FAMILIES,
  LAB,
  Lab,
  normaliseSave,
  toolsFor,
  variantUnavailable,
  type ClientAddr,
  type Family,
  type Variant,
} from './lab/topology.js';
import { inbound } from './lab/suite.js';
import { describeNetns, inCI } from './support/netns.js';

type ClientId = ClientAddr['id'];
type Published = (typeof LAB.published)[number];

/** What a version of the lab policy lets through: the set's member, the port open to anyone, and the fixed rules. */
interface Expectation {
  /** the client in ipfriends / ipfriends6 */
  friend: ClientId;
  /** the published port open to anyone (allow rule https) */
  open: number;
}
const POLICY_A: Expectation = { friend: 'friend', open: 8443 };
const POLICY_B: Expectation = { friend: 'stranger', open: 8080 };

function lets(e: Expectation, client: ClientId, p: Published): boolean {
  if (client === e.friend) return true;
  if (p.hostPort === e.open) return true;
  if (client === 'cidr' && p.hostPort === 2222) return true; // ssh: from the CIDR
  if (client === 'c2web' && p.hostPort === 9090) return true; // container_port 80 of c2
  return false;
}

/**
 * The lab policy (test/lab/dfw.ts) changed: https moves from 8443 to 8080, and the allowlist sets
 * hold the stranger's addresses instead of the friend's.
 */
function policyB(chain: 'DOCKER-USER' | 'DOCKER'): string {
  const a = policyYaml({ chain });
  const b = a
    .replace('port: 8443', 'port: 8080')
    .replace('entries: [192.0.2.10]', 'entries: [203.0.113.66]')
    .replace('entries: ["2001:db8:1::10"]', 'entries: ["2001:db8:3::66"]');
  if ((a.match(/8443|192\.0\.2\.10\]|2001:db8:1::10"\]/g) ?? []).length !== 3 || b === a)
    throw new Error('the lab policy changed: update policyB()');
  return b;
}

const asPolicy =
  (e: Expectation) =>
  (c: ClientAddr, p: Published): Seen =>
    lets(e, c.id, p) ? 'open' : 'timeout';
const everyPortOpen = (): Seen => 'open';

/** Container c1's own connections out to the stranger (replies pass by the established rule). */
function outbound(lab: Lab): ProbeSpec[] {
  const stranger = LAB.clients.find((c) => c.id === 'stranger')!;
  return FAMILIES.flatMap((f) =>
    LAB.clientPorts.map((port) => ({
      ns: lab.c1,
      from: 'c1',
      dst: stranger[f],
      port,
      expect: 'open' as Seen,
      banner: `client:${port}`,
    })),
  );
}

/**
 * Docker starting on this host, as dockerd does it: the ruleset of a started Docker 29
 * (topology.ts dockerRuleset) loaded with --noflush, without `:DOCKER-USER` when that chain exists
 * (dockerd creates it only when missing, and never flushes it). On an empty FORWARD, Docker's
 * `-A FORWARD -j DOCKER-USER` is its first rule.
 */
function dockerStarts(lab: Lab): void {
  for (const f of FAMILIES) {
    const exists = /^:DOCKER-USER /m.test(lab.save(f));
    const text = dockerRuleset(f)
      .split('\n')
      .filter((l) => !(exists && l.startsWith(':DOCKER-USER ')))
      .join('\n');
    lab.restore(f, text, { noflush: true });
  }
}

/** The words of a unit's command line, as systemd splits them (spaces; '…' quotes a word). */
function words(line: string): string[] {
  const out: string[] = [];
  const re = /'([^']*)'|(\S+)/g;
  for (let m = re.exec(line); m !== null; m = re.exec(line)) out.push(m[1] ?? m[2]!);
  return out;
}

function commandsOf(unit: string, key: 'ExecStart' | 'ExecReload'): string[] {
  return unit
    .split('\n')
    .filter((l) => l.startsWith(`${key}=`))
    .map((l) => l.slice(key.length + 1));
}

const TOOLS = [
  'iptables-nft-restore',
  'iptables-nft-save',
  'ip6tables-nft-restore',
  'ip6tables-nft-save',
  'ipset',
  'bash',
];

function which(cmd: string): string {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} not found`);
  return r.stdout.trim();
}

function bundleLab(variant: Variant): void {
  const reason = variantUnavailable(variant);
  const cliReason = cliUnavailable();
  console.log(
    `bundle lab: iptables-${variant}: ${reason === undefined ? 'runs' : `NOT RUN: ${reason}`}; dfw CLI: ${cliReason ?? 'usable'}`,
  );
  if (reason !== undefined && !(variant === 'nft' && inCI)) {
    it.skip(`iptables-${variant} not run: ${reason}`, () => {});
    return;
  }

  let dir = '';
  /** A host, its clients and containers, with servers; fresh (empty) for each describe. */
  async function bootLab(label: string, servers: Server[]): Promise<Lab> {
    const lab = Lab.create(variant);
    const started = await Promise.allSettled([
      startServer(lab.c1, 'c1', LAB.containers.c1.ports),
      startServer(lab.c2, 'c2', LAB.containers.c2.ports),
      startServer(lab.client, 'client', LAB.clientPorts),
    ]);
    for (const s of started) if (s.status === 'fulfilled') servers.push(s.value);
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) {
      lab.destroy();
      throw (failed as PromiseRejectedResult).reason;
    }
    // The host is empty, as at boot: no rule, no chain but the built-in ones, no set.
    for (const f of FAMILIES)
      expect(
        lab
          .save(f)
          .split('\n')
          .filter((l) => /^(-A |:\S+ - )/.test(l)),
        `IPv${f} ruleset at boot`,
      ).toEqual([]);
    expect(lab.ipsetSave()).toBe('');
    // Neighbours resolved once, with no firewall (the first IPv6 solicitations after a link comes
    // up are lost, topology.ts): host ↔ containers, client addresses ↔ host. No DNAT yet, so the
    // host itself refuses the connections to its published ports.
    const warm: ProbeSpec[] = [];
    for (const f of FAMILIES) {
      for (const name of ['c1', 'c2'] as const) {
        const c = LAB.containers[name];
        warm.push({ ns: lab.host, from: 'host', dst: c[f], port: 80, expect: 'open', banner: `${name}:80` });
        warm.push({
          ns: name === 'c1' ? lab.c1 : lab.c2,
          from: name,
          dst: LAB.bridgeGw[f],
          port: 9,
          expect: 'refused',
        });
      }
      for (const c of LAB.clients)
        warm.push({ ns: lab.client, from: c.id, src: c[f], dst: LAB.hostAddr[f], port: 8080, expect: 'refused' });
    }
    const w = await probe(`[${variant} ${label} warm-up]`, warm, 5000);
    if (mismatches(w).length > 0) throw new Error(`lab not working: ${mismatches(w).join('; ')}`);
    return lab;
  }

  /** Folder links named as the units name the tools, to this variant's tools. */
  function sbinFor(): string {
    const sbin = join(dir, 'sbin');
    mkdirSync(sbin, { recursive: true });
    const t = toolsFor(variant);
    const links: [string, string][] = [
      ['ipset', which('ipset')],
      ['iptables-restore', which(t.restore[4])],
      ['iptables-save', which(t.save[4])],
      ['ip6tables-restore', which(t.restore[6])],
      ['ip6tables-save', which(t.save[6])],
      ['iptables', which(t.ipt[4])],
      ['ip6tables', which(t.ipt[6])],
    ];
    // xtables-*-multi picks the tool from the name it is called by: a link named iptables-restore
    // to iptables-nft-restore runs as iptables-restore of the nft variant.
    for (const [name, target] of links) symlinkSync(target, join(sbin, name));
    return sbin;
  }

  /** dfw on the "host": a wrapper running the built CLI. */
  function dfwFor(): string {
    const bin = join(dir, 'bin');
    mkdirSync(bin, { recursive: true });
    const path = join(bin, 'dfw');
    writeFileSync(path, `#!/bin/sh\nexec '${process.execPath}' '${CLI}' "$@"\n`);
    chmodSync(path, 0o755);
    return path;
  }

  /** dfw bundle --policy P --out ETC --prefix ETC ...: the bundle, installed where its units say. */
  function writeBundle(etc: string, policyText: string, paths: { sbin: string; dfw: string }): string[] {
    mkdirSync(etc, { recursive: true });
    const src = join(dir, 'policy-source.yaml');
    writeFileSync(src, policyText);
    const r = dfw([
      'bundle',
      '--policy',
      src,
      '--out',
      etc,
      '--prefix',
      etc,
      '--sbin-dir',
      paths.sbin,
      '--dfw-path',
      paths.dfw,
    ]);
    if (r.status !== 0) throw new Error(`dfw bundle exited ${r.status}: ${r.stderr}`);
    return r.stdout.split('\n').filter(Boolean);
  }

  /** Runs a unit's ExecStart or ExecReload lines in the host namespace, in order, as systemd does (stops at the first failure). */
  function runUnit(lab: Lab, unitPath: string, key: 'ExecStart' | 'ExecReload'): void {
    const unit = readFileSync(unitPath, 'utf8');
    const cmds = commandsOf(unit, key);
    expect(cmds.length, `${unitPath} has ${key} lines`).toBeGreaterThan(0);
    for (const cmd of cmds) {
      const r = lab.host.run(
        'env',
        [`XTABLES_LOCKFILE=${join(dir, 'xtables.lock')}`, ...words(cmd)],
        undefined,
        30_000,
      );
      if (r.status !== 0) throw new Error(`${key}=${cmd} exited ${r.status}: ${r.stderr}`);
    }
  }

  function managed(lab: Lab, f: Family, chain: string): string[] {
    return lab.chainRules(f, chain).filter((r) => r.includes('dfw:'));
  }

  /** The lab policy's own chain and the jump to it from `chain`. */
  const OWNED = 'DFW-lab';
  const jumpFrom = (chain: string) => `-A ${chain} -m comment --comment "dfw:lab:jump" -j ${OWNED}`;

  async function expectProbes(lab: Lab, step: string, specs: ProbeSpec[]): Promise<ProbeResult[]> {
    const results = await probe(`[${variant} ${step}]`, specs);
    const bad = mismatches(results);
    if (bad.length > 0) lab.assertAlive();
    expect(bad, `${step}: probes that did not see what was expected`).toEqual([]);
    return results;
  }

  beforeAll(() => {
    if (reason !== undefined) throw new Error(`iptables-${variant} cannot run: ${reason}`);
    if (cliReason !== undefined) throw new Error(`dfw CLI not usable: ${cliReason}`);
    dir = mkdtempSync(join(tmpdir(), `dfw-bundle-lab-${variant}-`));
    sbinFor();
    dfwFor();
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /**
   * A lab booted for one describe block (fresh, as at boot), with the folder its bundle goes
   * to; its servers and namespaces go when the block ends.
   */
  function bootedLab(label: string) {
    let lab: Lab | undefined;
    const servers: Server[] = [];
    beforeAll(async () => {
      lab = await bootLab(label, servers);
    });
    afterAll(() => {
      for (const s of servers) s.stop();
      lab?.destroy();
    });
    return {
      lab: (): Lab =>
        lab ??
        (() => {
          throw new Error('lab not created');
        })(),
      etc: (): string => join(dir, label, 'etc'),
      paths: () => ({ sbin: join(dir, 'sbin'), dfw: join(dir, 'bin', 'dfw') }),
    };
  }

  describe('DOCKER-USER: dfw-firewall.service at boot, before Docker', () => {
    const booted = bootedLab('user');
    const L = booted.lab;

    it('boot: the unit loads the sets, then the owned chain and the jump from DOCKER-USER (v4 and v6), on an empty host; no jump from FORWARD yet', () => {
      const lab = L();
      const wrote = writeBundle(booted.etc(), policyYaml(), booted.paths());
      expect(wrote.map((p) => p.slice(booted.etc().length + 1))).toEqual([
        'policy.yaml',
        'ipset.restore',
        'rules.v4',
        'rules.v6',
        'dfw-firewall.service',
      ]);
      runUnit(lab, join(booted.etc(), 'dfw-firewall.service'), 'ExecStart');
      for (const f of FAMILIES) {
        expect(managed(lab, f, OWNED).length, `IPv${f} ${OWNED}`).toBe(6);
        expect(lab.chainRules(f, 'DOCKER-USER'), `IPv${f} DOCKER-USER`).toEqual([jumpFrom('DOCKER-USER')]);
        expect(lab.save(f)).not.toMatch(/-A FORWARD/);
      }
      // Started again (systemctl restart): no second jump.
      const state = FAMILIES.map((f) => normaliseSave(lab.save(f)));
      runUnit(lab, join(booted.etc(), 'dfw-firewall.service'), 'ExecStart');
      FAMILIES.forEach((f, i) => expect(normaliseSave(lab.save(f))).toBe(state[i]));
      expect(lab.ipsetSave()).toMatch(/^add ipfriends 192\.0\.2\.10$/m);
      expect(lab.ipsetSave()).toMatch(/^add ipfriends6 2001:db8:1::10$/m);
      expect(lab.ipsetSave()).not.toMatch(/dfwtmp/);
    });

    it('Docker starts: it keeps DOCKER-USER, its jump is first in FORWARD, and the policy holds from the first probe (IPv4 and IPv6)', async () => {
      const lab = L();
      const before = FAMILIES.map((f) => lab.chainRules(f, 'DOCKER-USER'));
      dockerStarts(lab);
      FAMILIES.forEach((f, i) => {
        expect(lab.chainRules(f, 'FORWARD')[0]).toBe('-A FORWARD -j DOCKER-USER');
        expect(lab.chainRules(f, 'DOCKER-USER')).toEqual(before[i]);
      });
      await expectProbes(lab, 'boot bundle, docker started', [...inbound(lab, asPolicy(POLICY_A)), ...outbound(lab)]);
      const policy = join(booted.etc(), 'policy.yaml');
      expect(
        await checkBoth(lab, policy),
        'iptables-save | dfw transform --check: the pipe would change nothing',
      ).toEqual([]);
      expect(await checkIpsets(lab, policy)).toBeUndefined();
    });

    it('a Docker restart (simulated) keeps the policy', async () => {
      const lab = L();
      const before = FAMILIES.map((f) => [...lab.chainRules(f, 'DOCKER-USER'), ...lab.chainRules(f, OWNED)]);
      lab.simulateDockerRestart();
      FAMILIES.forEach((f, i) =>
        expect([...lab.chainRules(f, 'DOCKER-USER'), ...lab.chainRules(f, OWNED)]).toEqual(before[i]),
      );
      await expectProbes(lab, 'boot bundle, docker restarted', [...inbound(lab, asPolicy(POLICY_A)), ...outbound(lab)]);
    });

    it('a bundle rebuilt from a changed policy, loaded over the running host (systemctl reload) where other tools wrote to DOCKER-USER: the set is swapped while rules use it, then the rules switch, and the foreign rules stay in place', async () => {
      const lab = L();
      // The CrowdSec bouncer's DROP at the top of DOCKER-USER (its set bans the CIDR client), and
      // an admin's rule at the end: a reload must keep both where they are.
      const cidr = LAB.clients.find((c) => c.id === 'cidr')!;
      const foreign = FAMILIES.map((f) => {
        const set = f === 4 ? 'crowdsec-blacklists' : 'crowdsec6-blacklists';
        lab.ipsetRestore(`create ${set} hash:ip family ${f === 4 ? 'inet' : 'inet6'}\nadd ${set} ${cidr[f]}\n`);
        const top = ['-m', 'set', '--match-set', set, 'src', '-j', 'DROP'];
        const end = ['-s', f === 4 ? '203.0.113.99' : '2001:db8:99::99', '-j', 'DROP'];
        lab.ipt(f, ['-I', 'DOCKER-USER', '1', ...top]);
        lab.ipt(f, ['-A', 'DOCKER-USER', ...end]);
        return { top, end, rules: lab.chainRules(f, 'DOCKER-USER') };
      });
      const banned =
        (e: Expectation) =>
        (c: ClientAddr, p: Published): Seen =>
          c.id === 'cidr' ? 'timeout' : asPolicy(e)(c, p);
      const unitBefore = readFileSync(join(booted.etc(), 'dfw-firewall.service'), 'utf8');
      const wrote = writeBundle(booted.etc(), policyB('DOCKER-USER'), booted.paths());
      expect(
        wrote.map((p) => p.slice(booted.etc().length + 1)),
        'the unit itself does not change',
      ).toEqual(['policy.yaml', 'ipset.restore', 'rules.v4', 'rules.v6']);
      expect(readFileSync(join(booted.etc(), 'dfw-firewall.service'), 'utf8')).toBe(unitBefore);

      // ExecReload, one line at a time, probing in between: first the sets (ipset restore), in use.
      const [sets, ...rules] = commandsOf(unitBefore, 'ExecReload');
      expect(sets).toMatch(/ipset restore -file /);
      const run = (cmd: string) => {
        const r = lab.host.run('env', [`XTABLES_LOCKFILE=${join(dir, 'xtables.lock')}`, ...words(cmd)]);
        if (r.status !== 0) throw new Error(`${cmd} exited ${r.status}: ${r.stderr}`);
      };
      run(sets!);
      expect(lab.ipsetSave()).toMatch(/^add ipfriends 203\.0\.113\.66$/m);
      expect(lab.ipsetSave()).not.toMatch(/192\.0\.2\.10|dfwtmp/);
      expect(lab.host.ok('ipset', ['list', 'ipfriends'])).toMatch(/^References: 1$/m);
      await expectProbes(lab, 'new sets, old rules', inbound(lab, banned({ friend: 'stranger', open: POLICY_A.open })));

      for (const cmd of rules) run(cmd);
      FAMILIES.forEach((f, i) =>
        expect(lab.chainRules(f, 'DOCKER-USER'), `IPv${f}: DOCKER-USER after the reload`).toEqual(foreign[i]!.rules),
      );
      await expectProbes(lab, 'new bundle', [...inbound(lab, banned(POLICY_B)), ...outbound(lab)]);
      const policy = join(booted.etc(), 'policy.yaml');
      expect(await checkIpsets(lab, policy)).toBeUndefined();
      // The bouncer's rule is above the jump: --check says the jump is not first.
      expect(await checkBoth(lab, policy)).toHaveLength(2);
      FAMILIES.forEach((f, i) => {
        lab.ipt(f, ['-D', 'DOCKER-USER', ...foreign[i]!.top]);
        lab.ipt(f, ['-D', 'DOCKER-USER', ...foreign[i]!.end]);
      });
      expect(await checkBoth(lab, policy)).toEqual([]);
    });

    it('loading the same bundle again changes nothing; Docker restarting again keeps the new policy', async () => {
      const lab = L();
      const state = FAMILIES.map((f) => normaliseSave(lab.save(f)));
      const sets = lab.ipsetSave().replace(/ initval 0x[0-9a-f]+/g, '');
      runUnit(lab, join(booted.etc(), 'dfw-firewall.service'), 'ExecReload');
      FAMILIES.forEach((f, i) => expect(normaliseSave(lab.save(f))).toBe(state[i]));
      expect(lab.ipsetSave().replace(/ initval 0x[0-9a-f]+/g, '')).toBe(sets);
      lab.simulateDockerRestart();
      await expectProbes(lab, 'new bundle, docker restarted', inbound(lab, asPolicy(POLICY_B)));
    });
  });

  describe('DOCKER chain: dfw-reapply.service after every Docker start', () => {
    const booted = bootedLab('docker');
    const L = booted.lab;

    it('boot: dfw-firewall.service creates the sets only; Docker starts; until dfw-reapply runs, every published port is open (the window DOCKER-USER does not have)', async () => {
      const lab = L();
      const wrote = writeBundle(booted.etc(), policyYaml({ chain: 'DOCKER' }), booted.paths());
      expect(wrote.map((p) => p.slice(booted.etc().length + 1))).toEqual([
        'policy.yaml',
        'ipset.restore',
        'dfw-firewall.service',
        'dfw-reapply.service',
      ]);
      runUnit(lab, join(booted.etc(), 'dfw-firewall.service'), 'ExecStart');
      for (const f of FAMILIES) expect(lab.save(f)).not.toMatch(/^-A /m);
      expect(lab.ipsetSave()).toMatch(/^add ipfriends 192\.0\.2\.10$/m);
      dockerStarts(lab);
      await expectProbes(lab, 'DOCKER chain, docker started, before dfw-reapply', inbound(lab, everyPortOpen));
    });

    it('dfw-reapply.service (bash -o pipefail: iptables-save | dfw transform | iptables-restore --noflush) puts the policy in DOCKER (IPv4 and IPv6)', async () => {
      const lab = L();
      runUnit(lab, join(booted.etc(), 'dfw-reapply.service'), 'ExecStart');
      for (const f of FAMILIES) {
        expect(lab.chainRules(f, 'DOCKER')[0]).toBe(jumpFrom('DOCKER'));
        expect(managed(lab, f, OWNED).length).toBe(6);
      }
      await expectProbes(lab, 'DOCKER chain, re-applied', inbound(lab, asPolicy(POLICY_A)));
      expect(await checkBoth(lab, join(booted.etc(), 'policy.yaml'))).toEqual([]);
    });

    it('a Docker restart wipes the jump; dfw-reapply.service run again (PartOf=docker.service) puts it back, once', async () => {
      const lab = L();
      lab.simulateDockerRestart();
      for (const f of FAMILIES) expect(managed(lab, f, 'DOCKER')).toEqual([]);
      await expectProbes(lab, 'DOCKER chain, docker restarted', inbound(lab, everyPortOpen));
      runUnit(lab, join(booted.etc(), 'dfw-reapply.service'), 'ExecStart');
      await expectProbes(lab, 'DOCKER chain, re-applied after the restart', inbound(lab, asPolicy(POLICY_A)));
      const state = FAMILIES.map((f) => normaliseSave(lab.save(f)));
      runUnit(lab, join(booted.etc(), 'dfw-reapply.service'), 'ExecReload');
      FAMILIES.forEach((f, i) =>
        expect(normaliseSave(lab.save(f)), `IPv${f}: applied twice, no duplicate`).toBe(state[i]),
      );
    });

    it('a container started after dfw-reapply ran: its ACCEPT rule goes to the head of DOCKER (Docker 28+), above the policy, and the port opens to everyone; dfw-reapply run again puts the policy back on top', async () => {
      const lab = L();
      const c2 = LAB.containers.c2;
      for (const f of FAMILIES) {
        lab.ipt(f, [
          '-I',
          'DOCKER',
          '1',
          '-d',
          `${c2[f]}/${f === 4 ? 32 : 128}`,
          '!',
          '-i',
          'docker0',
          '-o',
          'docker0',
          '-p',
          'tcp',
          '-m',
          'tcp',
          '--dport',
          '5432',
          '-j',
          'ACCEPT',
        ]);
      }
      const bypassed = (c: ClientAddr, p: Published): Seen =>
        p.hostPort === 5432 || lets(POLICY_A, c.id, p) ? 'open' : 'timeout';
      await expectProbes(lab, 'DOCKER chain, a container rule above the policy', inbound(lab, bypassed));
      runUnit(lab, join(booted.etc(), 'dfw-reapply.service'), 'ExecReload');
      for (const f of FAMILIES) expect(lab.chainRules(f, 'DOCKER')[0]).toBe(jumpFrom('DOCKER'));
      await expectProbes(lab, 'DOCKER chain, re-applied over the container rule', inbound(lab, asPolicy(POLICY_A)));
    });

    it('a changed policy: new bundle, sets swapped in use (dfw-firewall reload), then dfw-reapply reload: the behaviour switches', async () => {
      const lab = L();
      const wrote = writeBundle(booted.etc(), policyB('DOCKER'), booted.paths());
      expect(wrote.map((p) => p.slice(booted.etc().length + 1))).toEqual(['policy.yaml', 'ipset.restore']);
      runUnit(lab, join(booted.etc(), 'dfw-firewall.service'), 'ExecReload');
      expect(lab.ipsetSave()).not.toMatch(/dfwtmp/);
      runUnit(lab, join(booted.etc(), 'dfw-reapply.service'), 'ExecReload');
      for (const f of FAMILIES) expect(managed(lab, f, OWNED).length).toBe(6);
      await expectProbes(lab, 'DOCKER chain, new bundle', [...inbound(lab, asPolicy(POLICY_B)), ...outbound(lab)]);
      expect(await checkBoth(lab, join(booted.etc(), 'policy.yaml'))).toEqual([]);
      expect(await checkIpsets(lab, join(booted.etc(), 'policy.yaml'))).toBeUndefined();
    });

    it('pipefail: when dfw fails in the pipe (a broken policy), the unit fails and the rules stay as they were', () => {
      const lab = L();
      const state = FAMILIES.map((f) => normaliseSave(lab.save(f)));
      const policy = join(booted.etc(), 'policy.yaml');
      const good = readFileSync(policy, 'utf8');
      writeFileSync(policy, good.replace('default: drop', 'default: maybe'));
      try {
        const [v4] = commandsOf(readFileSync(join(booted.etc(), 'dfw-reapply.service'), 'utf8'), 'ExecStart');
        const r = lab.host.run('env', [`XTABLES_LOCKFILE=${join(dir, 'xtables.lock')}`, ...words(v4!)]);
        expect(r.status).toBe(2);
        expect(r.stderr).toMatch(/default: expected drop or reject|default/);
      } finally {
        writeFileSync(policy, good);
      }
      FAMILIES.forEach((f, i) => expect(normaliseSave(lab.save(f))).toBe(state[i]));
    });
  });
}

for (const variant of ['nft', 'legacy'] as Variant[]) {
  describeNetns(
    `bundle lab (iptables-${variant}): boot, Docker start and restart, policy change, with real packets`,
    () => bundleLab(variant),
    TOOLS,
  );
}
