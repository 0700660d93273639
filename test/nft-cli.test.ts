// Issue 15, through the CLI: `dfw bundle --backend nft`, and `dfw transform` pointing to
// `dfw nft` on a dump from a host whose Docker runs the nftables backend.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dfw } from './support/cli.js';
import { FIXTURES } from './support/fixtures.js';

const DIR = mkdtempSync(join(tmpdir(), 'dfw-nft-cli-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));
const POLICY = join(FIXTURES, 'nft', 'current', 'policy.yaml');

describe('dfw bundle --backend nft', () => {
  const out = join(DIR, 'bundle');

  it('writes policy.yaml, dfw.nft (= dfw nft --no-dump) and dfw-nft.service, then --check says current', () => {
    const r = dfw(['bundle', '--backend', 'nft', '-p', POLICY, '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['dfw-nft.service', 'dfw.nft', 'policy.yaml']);
    const script = dfw(['nft', '--no-dump', '-p', POLICY]).stdout.replace(/^#.*\n/gm, '');
    expect(readFileSync(join(out, 'dfw.nft'), 'utf8').replace(/^#.*\n/gm, '')).toBe(script);
    const check = dfw(['bundle', '--backend', 'nft', '-p', POLICY, '--out', out, '--check']);
    expect(check.status, check.stderr).toBe(0);
  });

  it('the unit loads dfw.nft before docker.service and docker.socket, after nftables.service, and reloads the same file', () => {
    const unit = readFileSync(join(out, 'dfw-nft.service'), 'utf8');
    expect(unit).toMatch(/^Before=network-pre\.target docker\.service docker\.socket shutdown\.target$/m);
    expect(unit).toMatch(/^After=.*\bnftables\.service$/m);
    expect(unit).toMatch(/^ExecStart=\/usr\/sbin\/nft -f \/etc\/dfw\/dfw\.nft$/m);
    expect(unit).toMatch(/^ExecReload=\/usr\/sbin\/nft -f \/etc\/dfw\/dfw\.nft$/m);
    expect(unit).toMatch(/^WantedBy=multi-user\.target docker\.service$/m);
    const analyze = spawnSync('sh', ['-c', 'command -v systemd-analyze'], { encoding: 'utf8' });
    if (analyze.status !== 0) return; // verified where systemd is installed (CI installs it)
    const units = join(DIR, 'units');
    rmSync(units, { recursive: true, force: true });
    spawnSync('mkdir', ['-p', units]);
    // systemd-analyze checks that ExecStart's program exists: point it at one that does.
    writeFileSync(join(units, 'dfw-nft.service'), unit.replace(/\/usr\/sbin\/nft/g, '/bin/true'));
    const v = spawnSync('systemd-analyze', ['verify', join(units, 'dfw-nft.service')], { encoding: 'utf8' });
    expect(v.stderr.split('\n').filter((l) => l.includes('dfw-nft.service'))).toEqual([]);
  });

  it('switching backends removes the other backend files; --no-ipv6 gives an ip table', () => {
    const r = dfw(['bundle', '-p', POLICY, '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(join(out, 'dfw.nft'))).toBe(false);
    expect(existsSync(join(out, 'rules.v4'))).toBe(true);
    const back = dfw(['bundle', '--backend', 'nft', '--no-ipv6', '-p', POLICY, '--out', out]);
    expect(back.status, back.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['dfw-nft.service', 'dfw.nft', 'policy.yaml']);
    expect(readFileSync(join(out, 'dfw.nft'), 'utf8')).toMatch(/^table ip dfw-lab \{$/m);
  });
});

describe('dfw transform on a host whose Docker runs the nftables backend', () => {
  it('an orphaned -j DOCKER-USER and no Docker chains: a warning that points to dfw nft; exit 0, output written', () => {
    const dump = join(DIR, 'orphan.v4');
    writeFileSync(
      dump,
      '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:DOCKER-USER - [0:0]\n-A FORWARD -j DOCKER-USER\nCOMMIT\n',
    );
    const r = dfw(['transform', dump, '-p', POLICY]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('dfw:lab:default');
    expect(r.stderr).toMatch(/^dfw: warning: .*orphan\.v4: .*likely runs Docker's nftables backend.*dfw nft/m);
  });

  it('a Docker dump (iptables backend) gets no such warning', () => {
    const r = dfw(['transform', join(FIXTURES, 'iptables', 'docker29.nft.v4'), '-p', POLICY]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/nftables backend/);
  });
});

describe('README, nftables section', () => {
  it("the example file is what dfw nft --no-dump prints for the README's policy", () => {
    const readme = readFileSync(join(FIXTURES, '..', 'README.md'), 'utf8');
    const policy = /<!-- tested: policy -->\n```yaml\n([\s\S]*?)```/.exec(readme)![1]!;
    const shown = /The file it prints creates or replaces one table[^\n]*\n\n```\n([\s\S]*?)```/.exec(readme)![1]!;
    const file = join(DIR, 'readme-policy.yaml');
    writeFileSync(file, policy);
    const r = dfw(['nft', '--no-dump', '-p', file]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.replace(/^#.*\n/gm, '')).toBe(shown);
  });
});

describe('dfw nft warnings', () => {
  it("dfw's table of another --family in the ruleset: a warning that both filter; exit 0", () => {
    const input = readFileSync(join(FIXTURES, 'nft', 'current', 'input.json'), 'utf8');
    const r = dfw(['nft', '-p', POLICY, '--family', '4'], input);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^table ip dfw-lab \{$/m);
    expect(r.stderr).toMatch(/table inet dfw-lab \(another --family\) is loaded too .*nft delete table inet dfw-lab/);
  });
});
