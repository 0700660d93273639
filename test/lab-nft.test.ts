// Issue 15: `dfw nft` proven with real packets on a host whose Docker runs the nftables backend
// (Docker 29: its `docker-bridges` tables, fixtures/nft/docker29.nft; the host: test/lab/
// nft-topology.ts). The same clients, containers, published ports, policy and expected answers
// as the iptables lab (test/lab/suite.ts, policyLets), IPv4 and IPv6.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { describeNetns, inCI } from './support/netns.js';
import { CLI, cliUnavailable, dfw, writePolicy } from './lab/dfw.js';
import { DOCKER29_NFT, NftLab, normalRuleset } from './lab/nft-topology.js';
import { mismatches, probe, startServer, type ProbeSpec, type Seen, type Server } from './lab/servers.js';
import { inbound, policyLets } from './lab/suite.js';
import { FAMILIES, LAB, type ClientAddr } from './lab/topology.js';

type Published = (typeof LAB.published)[number];

describeNetns(
  'lab (nftables backend): dfw nft on a Docker 29 nftables host, real packets',
  () => {
    const cliReason = cliUnavailable();
    if (cliReason !== undefined && !inCI) {
      it.skip(`dfw CLI ${CLI} not usable: ${cliReason}`, () => {});
      return;
    }

    let lab: NftLab | undefined;
    const servers: Server[] = [];
    let dir = '';
    const L = (): NftLab => {
      if (!lab) throw new Error('lab not created');
      return lab;
    };

    /** c1's own connections out to the stranger's address (:9000, and :8443, a port the policy opens). */
    const outbound = (expect: Seen): ProbeSpec[] => {
      const stranger = LAB.clients.find((c) => c.id === 'stranger')!;
      return FAMILIES.flatMap((f) =>
        LAB.clientPorts.map((port) => ({
          ns: L().lab.c1,
          from: 'c1',
          dst: stranger[f],
          port,
          expect,
          banner: `client:${port}`,
        })),
      );
    };

    const asPolicySays = (deny: Seen) => (c: ClientAddr, p: Published) => (policyLets(c.id, p) ? 'open' : deny);

    async function expectProbes(step: string, specs: ProbeSpec[]): Promise<void> {
      const bad = mismatches(await probe(`[nft ${step}]`, specs));
      if (bad.length > 0) L().lab.assertAlive();
      expect(bad, `${step}: probes that did not see what was expected`).toEqual([]);
    }

    beforeAll(async () => {
      const t0 = Date.now();
      dir = mkdtempSync(join(tmpdir(), 'dfw-lab-nft-'));
      lab = NftLab.create();
      const l = lab.lab;
      const started = await Promise.allSettled([
        startServer(l.c1, 'c1', LAB.containers.c1.ports),
        startServer(l.c2, 'c2', LAB.containers.c2.ports),
        startServer(l.client, 'client', LAB.clientPorts),
      ]);
      for (const s of started) if (s.status === 'fulfilled') servers.push(s.value);
      const failed = started.find((s) => s.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
      lab.resetToDocker();
      // Every neighbour resolved once, with a generous timeout (see suite.ts), and the lab proven to work.
      const warm = await probe(
        '[nft warm-up]',
        [...inbound(L().lab, () => 'open').filter((s) => s.port === 8080), ...outbound('open')],
        5000,
      );
      if (mismatches(warm).length > 0) throw new Error(`lab not working: ${mismatches(warm).join('; ')}`);
      console.log(`lab (nftables backend) ready in ${Date.now() - t0} ms`);
    });

    afterAll(() => {
      for (const s of servers) s.stop();
      lab?.destroy();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    beforeEach(() => {
      L().lab.assertAlive();
      L().resetToDocker();
    });

    it('without dfw, every client address reaches every published port, and containers reach out (IPv4 and IPv6)', async () => {
      await expectProbes('no dfw', [...inbound(L().lab, () => 'open'), ...outbound('open')]);
    });

    it("the README pipe: every probe as the policy says, containers' own connections work, Docker's tables unchanged (counters aside); again: no change, --check 0; a hand edit: --check 1", async () => {
      const lab = L();
      const policy = writePolicy(dir, 'drop.yaml');
      // `nft -s list table`: byte for byte but for counter values, which any packet the host
      // sees may change (IPv6 neighbour discovery, late packets of the test before).
      const docker = lab.dockerTables(true);
      await lab.applyPolicy(policy);
      expect(lab.dockerTables(true), "Docker's tables after dfw nft").toEqual(docker);
      await expectProbes('dfw nft', [...inbound(L().lab, asPolicySays('timeout')), ...outbound('open')]);

      const once = normalRuleset(lab.nft(['-j', 'list', 'ruleset']));
      await lab.applyPolicy(policy);
      expect(normalRuleset(lab.nft(['-j', 'list', 'ruleset'])), 'the ruleset after applying it again').toBe(once);
      expect(await lab.check(policy)).toEqual({ status: 0, stderr: '' });

      lab.nft(['insert', 'rule', 'inet', 'dfw-lab', 'forward', 'iifname', 'eth0', 'tcp', 'dport', '22', 'accept']);
      const edited = await lab.check(policy);
      expect(edited.status).toBe(1);
      expect(edited.stderr).toContain('-\t\tiifname "eth0" tcp dport 22 accept');
      await lab.applyPolicy(policy);
      expect(await lab.check(policy)).toEqual({ status: 0, stderr: '' });
      expect(lab.dockerTables(true), "Docker's tables after three applies and a hand edit of dfw's table").toEqual(
        docker,
      );
    });

    it('default: reject: what is not let through is refused (IPv4 and IPv6)', async () => {
      await L().applyPolicy(writePolicy(dir, 'reject.yaml', { default: 'reject' }));
      await expectProbes('dfw nft reject', inbound(L().lab, asPolicySays('refused')));
    });

    it("established: false: the containers' own connections get no replies, the rest as before (IPv4 and IPv6)", async () => {
      await L().applyPolicy(writePolicy(dir, 'noest.yaml', { established: false }));
      await expectProbes('dfw nft established: false', [
        ...outbound('timeout'),
        ...inbound(L().lab, asPolicySays('timeout')),
      ]);
    });

    it('a policy change replaces the table in one transaction: a probe loop meanwhile never reaches a port both policies close', async () => {
      const lab = L();
      const a = writePolicy(dir, 'a.yaml');
      // B differs from A (a set's members, two rules' ports), but closes 8080 and 5432 to the
      // stranger and the c2web client just as A does.
      const b = join(dir, 'b.yaml');
      writeFileSync(
        b,
        readFileSync(a, 'utf8')
          .replace('entries: [192.0.2.10]', 'entries: [192.0.2.10, 198.51.100.0/28]')
          .replace('port: 2222', 'port: 9090')
          .replace('port: 8443', 'port: "8443:8444"'),
      );
      await lab.applyPolicy(a);
      const closed = inbound(L().lab, () => 'open').filter(
        (s) => (s.port === 8080 || s.port === 5432) && (s.from === 'stranger' || s.from === 'c2web'),
      );
      let applying = true;
      const seen: string[] = [];
      let rounds = 0;
      const loop = (async () => {
        // Bounded: at most 40 rounds of 300 ms.
        while (applying && rounds < 40) {
          rounds++;
          const r = await probe(
            `[nft swap ${rounds}]`,
            closed.map((s) => ({ ...s, expect: 'timeout' as const })),
            300,
          );
          for (const x of r) if (x.seen === 'open') seen.push(x.line);
        }
      })();
      for (let i = 0; i < 6; i++) await lab.applyPolicy(i % 2 === 0 ? b : a);
      applying = false;
      await loop;
      expect(rounds, 'probe rounds while the policy was being replaced').toBeGreaterThan(1);
      expect(seen, 'connections that got through while the table was replaced').toEqual([]);
      expect(await lab.check(a)).toEqual({ status: 0, stderr: '' });
    });

    it("boot order: the bundle's dfw.nft loaded before Docker's tables exist, then Docker's ruleset: the policy holds from the first probe", async () => {
      const lab = L();
      const policy = writePolicy(dir, 'boot.yaml');
      const out = join(dir, 'bundle');
      const r = dfw(['bundle', '--backend', 'nft', '--policy', policy, '--out', out]);
      expect(r.status, r.stderr).toBe(0);
      lab.nft(['flush', 'ruleset']);
      lab.nft(['-f', join(out, 'dfw.nft')]);
      lab.nft(['-f', DOCKER29_NFT]);
      await expectProbes('boot', [...inbound(L().lab, asPolicySays('timeout')), ...outbound('open')]);
      expect(await lab.check(policy)).toEqual({ status: 0, stderr: '' });
      // The unit's reload over the running host: the same file again, nothing changes.
      const before = normalRuleset(lab.nft(['-j', 'list', 'ruleset']));
      lab.nft(['-f', join(out, 'dfw.nft')]);
      expect(normalRuleset(lab.nft(['-j', 'list', 'ruleset']))).toBe(before);
    });
  },
  ['nft', 'sysctl'],
);
