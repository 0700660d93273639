// `dfw exposure` against the real kernel (iptables-nft): on the lab's Docker-like host, before and
// after the lab policy, the sources it computes for each published port are probed with real
// connections from addresses inside and just outside each computed CIDR. Namespaces: `…-exnft-*`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeNetns } from './support/netns.js';
import { applyPolicy, cliUnavailable, writePolicy } from './lab/dfw.js';
import { addClientAddresses, exposureProbes, labExposure, probeSources } from './lab/exposure.js';
import { mismatches, probe, startServer, type Server } from './lab/servers.js';
import { FAMILIES, LAB, Lab, variantUnavailable } from './lab/topology.js';

const TOOLS = ['iptables-nft-restore', 'iptables-nft-save', 'ip6tables-nft-restore', 'ip6tables-nft-save', 'ipset'];

describeNetns(
  'dfw exposure against real packets (iptables-nft lab)',
  () => {
    const reason = variantUnavailable('nft') ?? cliUnavailable();
    if (reason !== undefined) {
      it.skip(`not run: ${reason}`, () => {});
      return;
    }
    let lab: Lab | undefined;
    const servers: Server[] = [];
    const dir = mkdtempSync(join(tmpdir(), 'dfw-ex-lab-'));
    const L = (): Lab => {
      if (!lab) throw new Error('lab not created');
      return lab;
    };

    beforeAll(async () => {
      lab = Lab.create('nft', 'ex');
      servers.push(
        ...(await Promise.all([
          startServer(lab.c1, 'c1', LAB.containers.c1.ports),
          startServer(lab.c2, 'c2', LAB.containers.c2.ports),
        ])),
      );
      lab.resetToDocker();
      // Resolve every neighbour once (the first IPv6 solicitations after link-up are lost).
      const warm = await probe(
        '[exposure warm-up]',
        FAMILIES.flatMap((f) =>
          LAB.clients.map((c) => ({
            ns: L().client,
            from: c.id,
            src: c[f],
            dst: LAB.hostAddr[f],
            port: 8080,
            expect: 'open' as const,
          })),
        ),
        5000,
      );
      if (mismatches(warm).length > 0) throw new Error(`lab not working: ${mismatches(warm).join('; ')}`);
    });

    afterAll(() => {
      for (const s of servers) s.stop();
      lab?.destroy();
      rmSync(dir, { recursive: true, force: true });
    });

    it('Docker alone: every published port is open to anyone, and every probe source connects (IPv4 and IPv6)', async () => {
      for (const f of FAMILIES) {
        const ports = await labExposure(L(), f);
        for (const p of ports.filter((x) => x.kind === 'dnat'))
          expect(
            p.reach.map((r) => r.reach.kind),
            `${p.proto} ${p.ports?.[0]?.[0]}`,
          ).toEqual(p.reach.map(() => 'anyone'));
        const specs = exposureProbes(
          L(),
          f,
          ports,
          LAB.clients.map((c) => c[f]),
          'timeout',
        );
        expect(mismatches(await probe(`[exposure docker IPv${f}]`, specs, 3000))).toEqual([]);
      }
    });

    it('the lab policy applied: the computed sources of every port, probed inside and outside each CIDR, agree with the kernel (IPv4 and IPv6)', async () => {
      await applyPolicy(L(), writePolicy(dir, 'policy.yaml'));
      for (const f of FAMILIES) {
        const ports = await labExposure(L(), f);
        const sources = probeSources(
          f,
          ports.flatMap((p) => p.reach.map((r) => r.reach)),
        );
        // Inside and outside: at least one of each for the ports the policy restricts.
        expect(sources.length).toBeGreaterThan(LAB.clients.length);
        addClientAddresses(L(), f, sources);
        const specs = exposureProbes(L(), f, ports, sources, 'timeout');
        expect(specs.some((s) => s.expect === 'open')).toBe(true);
        expect(specs.some((s) => s.expect === 'timeout')).toBe(true);
        const results = await probe(`[exposure policy IPv${f}]`, specs, 3000);
        expect(mismatches(results)).toEqual([]);
      }
    });
  },
  TOOLS,
);
