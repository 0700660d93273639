// The layout fingerprint: a fixture per layout of docs/docker.md (made with the real tools,
// fixtures/gen/gen-lint.sh), each recognised, with its bridges' gateway modes and what was seen.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dockerLayout, type LayoutKind } from '../src/docker/layout.js';
import { parseIptables } from '../src/iptables/parse.js';
import { parseIpset } from '../src/ipset/parse.js';
import { FIXTURES } from './support/fixtures.js';
import { LINT_DIR } from './lint-support.js';

const layoutOf = (file: string, dir = LINT_DIR) =>
  dockerLayout(parseIptables(readFileSync(join(dir, file), 'utf8'), { file }));

const CASES: [string, LayoutKind, Record<string, string | undefined>][] = [
  ['layout-none.v4', 'none', {}],
  ['layout-classic.v4', 'classic', { docker0: 'nat' }],
  ['layout-28-0-0.v4', 'docker-28.0.0', { docker0: 'nat' }],
  ['layout-28.v4', 'docker-28', { docker0: 'nat' }],
  ['layout-29.v4', 'docker-29', { docker0: 'nat' }],
  ['layout-nftables.v4', 'nftables', {}],
  ['layout-swarm.v4', 'classic', { docker_gwbridge: 'nat', docker0: 'nat' }],
  ['layout-gateway-modes.v4', 'docker-29', { 'br-nat': 'nat', 'br-open': 'nat-unprotected', 'br-routed': 'routed' }],
  ['layout-unknown.v4', 'unknown', { docker0: undefined }],
];

describe('layout fingerprint', () => {
  for (const [file, kind, bridges] of CASES) {
    it(`${file}: ${kind}`, () => {
      const l = layoutOf(file);
      expect(l.kind).toBe(kind);
      expect(Object.fromEntries(l.bridges.map((b) => [b.name, b.gatewayMode]))).toEqual(bridges);
      expect(l.swarmIngress).toBe(file === 'layout-swarm.v4');
      if (kind !== 'none') expect(l.seen.length).toBeGreaterThan(0);
    });
  }

  it('an unknown layout says what it saw', () => {
    expect(layoutOf('layout-unknown.v4').seen).toEqual(['filter chain DOCKER', 'filter chain DOCKER-LEGACY']);
  });

  it("28.0.0 is recognised from the ipset dump too, when FORWARD's set match is not what shows it", () => {
    const text = readFileSync(join(LINT_DIR, 'layout-28-0-0.v4'), 'utf8').replace(/^-A FORWARD -m set .*\n/gm, '');
    const ipsets = parseIpset(readFileSync(join(LINT_DIR, 'layout-28-0-0.ipset'), 'utf8'), 'sets');
    expect(dockerLayout(parseIptables(text)).kind).toBe('classic');
    const l = dockerLayout(parseIptables(text), { ipsets });
    expect(l.kind).toBe('docker-28.0.0');
    expect(l.seen).toContain('ipset docker-ext-bridges in the ipset dump');
  });

  it('DOCKER-USER: declared, and where FORWARD jumps to it', () => {
    expect(layoutOf('layout-29.v4').dockerUser).toEqual({
      declared: true,
      line: 18,
      jumps: [{ line: 19, position: 1, dfw: false }],
    });
    expect(layoutOf('orphan-dfw.v4').dockerUser.jumps).toEqual([{ line: 8, position: 1, dfw: true }]);
    expect(layoutOf('orphan-dfw.v4').kind).toBe('none');
  });

  it('the fixtures/iptables dumps of real layouts', () => {
    const dir = join(FIXTURES, 'iptables');
    expect(layoutOf('docker29.nft.v4', dir).kind).toBe('docker-29');
    expect(layoutOf('docker29.legacy.v6', dir).kind).toBe('docker-29');
    expect(layoutOf('docker27.nft.v4', dir).kind).toBe('classic');
    expect(layoutOf('kube-proxy.nft.v4', dir).kind).toBe('none');
  });
});
