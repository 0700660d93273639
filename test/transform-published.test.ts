// A policy port that no DNAT rule publishes is a warning (stderr, exit code unchanged):
// a typo there would silently open nothing.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { unpublishedPorts } from '../src/docker/published.js';
import { parseIptables } from '../src/iptables/parse.js';
import { loadPolicy } from '../src/policy/load.js';
import { dfw } from './support/cli.js';
import { FIXTURES } from './support/fixtures.js';
import { readFileSync } from 'node:fs';

const dump = join(FIXTURES, 'iptables', 'docker29.nft.v4'); // publishes tcp/8080, udp/5353, tcp/8443, tcp/5432
const dir = mkdtempSync(join(tmpdir(), 'dfw-published-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function policy(ports: string): string {
  const file = join(dir, `${ports.replace(/\W/g, '_')}.yaml`);
  writeFileSync(file, `version: 1\nname: t\nexternal: [eth0]\nallow:\n${ports}\n`);
  return file;
}

describe('published ports', () => {
  it('published ports give no warning (single port, range, udp)', () => {
    const p = policy(
      '  - {name: web, proto: tcp, port: 8080}\n  - {name: dns, proto: udp, port: 5353}\n  - {name: span, proto: tcp, port: "8400:8500"}',
    );
    const r = dfw(['transform', dump, '-p', p]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
  });

  it('a port nothing publishes is a warning naming the rule and listing what is published; exit 0, output written', () => {
    const p = policy('  - {name: typo, proto: tcp, port: 8081}\n  - {name: wrongproto, proto: udp, port: 8080}');
    const r = dfw(['transform', dump, '-p', p]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('dfw:t:typo');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /allow rule typo: tcp port 8081 is not published by any DNAT rule in the nat table \(published: .*tcp\/8080.*\)/,
    );
    expect(lines[1]).toMatch(/allow rule wrongproto: udp port 8080 is not published/);
    for (const port of ['tcp/8080', 'udp/5353', 'tcp/8443', 'tcp/5432']) expect(lines[0]).toContain(port);
  });

  it('the quick look and the full parse agree (library)', () => {
    const d = parseIptables(readFileSync(dump, 'utf8'));
    const pol = loadPolicy(
      'version: 1\nname: t\nexternal: [eth0]\nallow:\n  - {name: a, proto: tcp, port: [8080, 8443, 9999, "5000:5500"]}\n',
      'p.yaml',
    );
    // 5000:5500 overlaps only tcp/5432, which the dump publishes on 127.0.0.1 only (issue 22 item 14).
    expect(unpublishedPorts(d, pol).map((x) => x.port)).toEqual([
      { from: 9999, to: 9999 },
      { from: 5000, to: 5500 },
    ]);
  });

  it('no nat table (a dump of the filter table alone): nothing to check, no warning', () => {
    const d = parseIptables(
      '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:DOCKER-USER - [0:0]\nCOMMIT\n',
    );
    const pol = loadPolicy(
      'version: 1\nname: t\nexternal: [eth0]\nallow:\n  - {name: a, proto: tcp, port: 1}\n',
      'p.yaml',
    );
    expect(unpublishedPorts(d, pol)).toEqual([]);
  });
});
