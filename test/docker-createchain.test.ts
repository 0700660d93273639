// --create-chain on the ip6tables side of Docker before 23.0 (fixtures/docker/host.v6, saved from
// a real 20.10 daemon: no DOCKER-USER): the tagged FORWARD jump must stay first. Docker puts its
// own FORWARD rules back above it when it restarts (test/docker-workflows-nft.test.ts shows the
// IPv6 ports open to everyone then, before this fix); and after the boot bundle's unit made
// DOCKER-USER, nothing jumps to it until --create-chain adds the jump.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseIptables } from '../src/iptables/parse.js';
import { printIptables } from '../src/iptables/print.js';
import { loadPolicy } from '../src/policy/load.js';
import { transformDump } from '../src/transform/inject.js';
import { noflushText } from '../src/transform/noflush.js';
import { FIXTURES } from './support/fixtures.js';

const HOST_V6 = readFileSync(join(FIXTURES, 'docker', 'host.v6'), 'utf8');
const POLICY = loadPolicy('version: 1\nname: web\nexternal: [eth0]\nallow:\n  - {proto: tcp, port: 80}\n', 'dfw.yaml');
const JUMP = '-A FORWARD -m comment --comment "dfw:web:forward" -j DOCKER-USER';

const apply = (text: string) => transformDump(parseIptables(text), POLICY, { family: 6, createChain: true });

describe('--create-chain on a Docker 20.10 ip6tables dump', () => {
  const first = printIptables(apply(HOST_V6).dump);

  it('the first apply declares DOCKER-USER and puts the jump first in FORWARD', () => {
    const forward = first.split('\n').filter((l) => l.startsWith('-A FORWARD '));
    expect(forward[0]).toBe(JUMP);
    expect(forward).toHaveLength(6);
  });

  it('after a Docker restart (its FORWARD rules above the jump): moved back to the top, -D then -I', () => {
    // What ip6tables-save shows after dockerd 20.10 restarted: its rules inserted above dfw's jump.
    const lines = first.split('\n');
    const restarted = [...lines.filter((l) => l !== JUMP)];
    const lastForward = restarted.map((l) => l.startsWith('-A FORWARD ')).lastIndexOf(true);
    restarted.splice(lastForward + 1, 0, JUMP);
    const dump = restarted.join('\n');
    const result = apply(dump);
    expect(result.movedForward).toBeDefined();
    const out = printIptables(result.dump);
    expect(out.split('\n').filter((l) => l.startsWith('-A FORWARD '))[0]).toBe(JUMP);
    expect(out).toBe(first); // the same state as the first apply
    const noflush = noflushText(result, POLICY, 6).split('\n');
    const del = noflush.indexOf('-D FORWARD -m comment --comment "dfw:web:forward" -j DOCKER-USER');
    const ins = noflush.indexOf('-I FORWARD -m comment --comment "dfw:web:forward" -j DOCKER-USER');
    expect(del).toBeGreaterThan(0);
    expect(ins).toBeGreaterThan(del);
    expect(apply(out).movedForward).toBeUndefined(); // in place: nothing to move
  });

  it('DOCKER-USER made by the boot unit, no jump to it: the jump is added', () => {
    const withChain = HOST_V6.replace(
      ':DOCKER-ISOLATION-STAGE-2 - [0:0]',
      ':DOCKER-ISOLATION-STAGE-2 - [0:0]\n:DOCKER-USER - [0:0]',
    );
    const result = apply(withChain);
    expect(result.createdChain).toBe(false);
    expect(result.addedJump).toBeDefined();
    expect(noflushText(result, POLICY, 6)).toContain(
      `-I FORWARD -m comment --comment "dfw:web:forward" -j DOCKER-USER`,
    );
    expect(noflushText(result, POLICY, 6)).not.toContain(':DOCKER-USER - [0:0]');
  });

  it('without --create-chain, a dump without DOCKER-USER is still refused', () => {
    expect(() => transformDump(parseIptables(HOST_V6), POLICY, { family: 6 })).toThrow(
      /chain DOCKER-USER is not in the filter table/,
    );
  });
});
