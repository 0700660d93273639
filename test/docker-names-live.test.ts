// Containers by name on a real Docker daemon (issue 18): the README's names policy and commands,
// run as written, with real packets from the client namespace. `web` publishes 80, `api` and `db`
// publish ports no rule names, `shop-web-1` and `shop-web-2` carry the labels docker compose sets
// (project shop, service web). Then web is removed and re-created with a new address: the rules,
// which never name an address, stay right, and a re-apply from the new snapshot changes nothing;
// re-created on another host port, it stays closed until the re-apply.
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { block, dockerHostFixture, expectProbes, expectRun, to } from './support/docker-workflows.js';
import { DockerHost, describeDocker, type Family, serveCommand } from './support/dockerd.js';
import type { ProbeSpec, Seen } from './lab/servers.js';
import { scratch } from './support/scratch.js';

describeDocker('container names against a real dockerd (iptables-nft, IPv4 and IPv6)', () => {
  const tmp = scratch('dfw-dkn-');
  const ctx = dockerHostFixture(
    'nft',
    (v) => DockerHost.create({ variant: v, ipv6: true, label: 'names' }),
    () => tmp.folder('work'),
  );
  const sh = (script: string) => expectRun(ctx.h.sh(script, ctx.work, ctx.bin), script);
  /**
   * The README's names block (IPv4), then its IPv6 side the way README "IPv6 on Docker before
   * 23.0" says for this 20.10 host (--create-chain).
   */
  const apply = () => {
    sh(block('names'));
    sh(
      'ip6tables-save | dfw transform --policy names.yaml --containers containers.json --mode noflush --create-chain | ip6tables-restore --noflush',
    );
  };
  const open = (ok: boolean): Seen => (ok ? 'open' : 'timeout');

  /** As the policy says: web (80) from ipfriends (IPv4), shop's web (9080, 9081) from 198.51.100.0/24, nothing else. */
  function expected(webPort = 80): ProbeSpec[] {
    const specs: ProbeSpec[] = [];
    const add = (f: Family, who: 'friend' | 'friend2' | 'stranger', port: number, ok: boolean, banner: string) =>
      specs.push(to(ctx.h, f, who, port, open(ok), ok ? banner : undefined));
    for (const f of [4, 6] as const) {
      add(f, 'friend', webPort, f === 4, 'web:80');
      add(f, 'friend2', webPort, f === 4, 'web:80');
      add(f, 'stranger', webPort, false, 'web:80');
      add(f, 'friend', 5432, false, 'db:5432');
      add(f, 'friend2', 8081, false, 'api:81');
      for (const [port, name] of [
        [9080, 'shop-web-1'],
        [9081, 'shop-web-2'],
      ] as const) {
        add(f, 'friend2', port, f === 4, `${name}:80`);
        add(f, 'friend', port, false, `${name}:80`);
      }
    }
    return specs;
  }

  const compose = (n: number) => [
    '--label',
    'com.docker.compose.project=shop',
    '--label',
    'com.docker.compose.service=web',
    '--label',
    `com.docker.compose.container-number=${n}`,
  ];

  it('the README names policy, applied as written: probes as it says', async () => {
    ctx.h.serve('api', ['8081:81'], 81);
    ctx.h.runContainer(
      'shop-web-1',
      ['--restart', 'always', '-p', '9080:80', ...compose(1)],
      serveCommand('shop-web-1:80', 80),
    );
    ctx.h.runContainer(
      'shop-web-2',
      ['--restart', 'always', '-p', '9081:80', ...compose(2)],
      serveCommand('shop-web-2:80', 80),
    );
    await ctx.h.waitServing([
      ['api', 81],
      ['shop-web-1', 80],
      ['shop-web-2', 80],
    ]);
    writeFileSync(join(ctx.work, 'names.yaml'), block('names-policy'));
    apply();
    const rules = ctx.h.save(4);
    expect(rules).toContain('--ctorigdstport 9080 --ctdir ORIGINAL -m tcp --dport 80'); // the label selected both
    expect(rules).toContain('--ctorigdstport 9081 --ctdir ORIGINAL -m tcp --dport 80');
    await expectProbes('names', expected());
  });

  it('web re-created with a new address: the rules still hold; a re-apply from a new snapshot changes nothing', async () => {
    const before = ctx.h.address('web', 4);
    // dfw's own lines (its chain, its jumps); Docker's change with the container's address.
    const dfwLines = () =>
      (ctx.h.save(4) + ctx.h.save(6)).split('\n').filter((l) => l.includes('DFW-') || l.includes('dfw:'));
    const saved = dfwLines();
    expect(saved.length).toBeGreaterThan(10);
    ctx.h.docker(['rm', '-f', 'web']);
    ctx.h.serve('filler', [], 7); // takes web's old address
    ctx.h.serve('web', ['80:80'], 80);
    await ctx.h.waitServing([['web', 80]]);
    expect(ctx.h.address('web', 4)).not.toBe(before);
    await expectProbes('re-created, not re-applied', expected());
    apply();
    expect(dfwLines()).toEqual(saved);
    await expectProbes('re-created, re-applied', expected());
  });

  it('web re-created on another host port: closed until re-applied from a new snapshot, then as the policy says', async () => {
    ctx.h.docker(['rm', '-f', 'web']);
    ctx.h.serve('web', ['8000:80'], 80);
    await ctx.h.waitServing([['web', 80]]);
    const web8000 = expected(8000).filter((p) => p.port === 8000);
    await expectProbes(
      'new port, old rules',
      web8000.map((p) => ({ ...p, expect: 'timeout' as Seen, banner: undefined })),
    );
    // The README policy says port: 80, which web no longer publishes: the policy must follow.
    writeFileSync(join(ctx.work, 'names.yaml'), block('names-policy').replace('port: 80', 'port: 8000'));
    apply();
    await expectProbes('new port, re-applied', web8000);
  });
});
