// The evaluator on small hand-written dumps: each case one behaviour of the walk or of a match.
// The real-kernel comparison is in test/lab/trace.ts (run by the packet labs).
import { describe, expect, it } from 'vitest';
import { evaluate, parseIpset, parseIptables, prepareRuleset, type Packet } from '../src/index.js';

const pkt = (over: Partial<Packet> = {}): Packet => ({
  family: 4,
  in: 'eth0',
  src: '203.0.113.5',
  dst: '192.0.2.1',
  proto: 'tcp',
  dport: 8080,
  state: 'new',
  ...over,
});

/** A Docker-like dump: the FORWARD chain of `forward` rules, nat publishing 8080 → 172.17.0.2:80. */
function docker(forward: string[], opts: { input?: string[]; nat?: string[]; forwardPolicy?: string } = {}): string {
  return [
    '*filter',
    ':INPUT ACCEPT [0:0]',
    `:FORWARD ${opts.forwardPolicy ?? 'DROP'} [0:0]`,
    ':OUTPUT ACCEPT [0:0]',
    ':DOCKER - [0:0]',
    ':DOCKER-USER - [0:0]',
    ':X - [0:0]',
    ':Y - [0:0]',
    ...(opts.input ?? []),
    '-A FORWARD -j DOCKER-USER',
    ...forward,
    '-A FORWARD -o docker0 -j DOCKER',
    '-A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT',
    'COMMIT',
    '*nat',
    ':PREROUTING ACCEPT [0:0]',
    ':INPUT ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':POSTROUTING ACCEPT [0:0]',
    ':DOCKER - [0:0]',
    '-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER',
    '-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE',
    ...(opts.nat ?? []),
    '-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80',
    'COMMIT',
    '',
  ].join('\n');
}

const local = { localAddresses: ['192.0.2.1'] };
const run = (text: string, p: Partial<Packet> = {}, ipsets?: string) =>
  evaluate(
    prepareRuleset(parseIptables(text), {
      facts: local,
      ...(ipsets !== undefined ? { ipsets: parseIpset(ipsets, 'sets') } : {}),
    }),
    pkt(p),
  );

describe('the walk', () => {
  it('DNAT to a container, forwarded out of docker0 and accepted by DOCKER', () => {
    const e = run(docker([]));
    expect(e.verdict).toBe('accept');
    expect(e).toMatchObject({ dst: '172.17.0.2', dport: 80, delivery: { hook: 'forward', out: 'docker0' } });
    const last = e.path[e.path.length - 1]!;
    expect(last).toMatchObject({ table: 'filter', chain: 'DOCKER', rule: 1, matched: true, line: 11 });
  });

  it('a port nothing publishes goes to INPUT (policy ACCEPT); to a non-local address with no rule, FORWARD policy DROP', () => {
    expect(run(docker([]), { dport: 9999 })).toMatchObject({ verdict: 'accept', delivery: { hook: 'input' } });
    const e = run(docker([]), { dst: '198.51.100.7' });
    expect(e.verdict).toBe('drop');
    expect(e.path[e.path.length - 1]).toMatchObject({ kind: 'policy', text: ':FORWARD DROP [0:0]', rule: 0 });
  });

  it('DROP, REJECT, RETURN, goto and the policy after a goto from the hook chain', () => {
    expect(run(docker(['-A DOCKER-USER -s 203.0.113.0/24 -j DROP'])).verdict).toBe('drop');
    expect(
      run(docker(['-A DOCKER-USER -s 203.0.113.0/24 -j REJECT --reject-with icmp-port-unreachable'])).verdict,
    ).toBe('reject');
    expect(run(docker(['-A DOCKER-USER -j RETURN', '-A DOCKER-USER -j DROP'])).verdict).toBe('accept');
    // goto X from DOCKER-USER: X's end returns to FORWARD (the caller of DOCKER-USER), not to DOCKER-USER.
    expect(run(docker(['-A DOCKER-USER -g X', '-A DOCKER-USER -j DROP'])).verdict).toBe('accept');
    // goto from FORWARD itself: at X's end the FORWARD policy (DROP) applies.
    const t = docker([]).replace('-A FORWARD -j DOCKER-USER', '-A FORWARD -g X');
    expect(run(t).verdict).toBe('drop');
  });

  it('a loop of jumps stops at the depth limit, unknown', () => {
    const e = run(docker(['-A DOCKER-USER -j X', '-A X -j Y', '-A Y -j X']));
    expect(e.verdict).toBe('unknown');
    expect(e.dependsOn[0]!.why).toMatch(/nested more than 64/);
  });

  it('conntrack: --ctstate DNAT and --ctorigdstport see the original port; established passes DOCKER-CT-like rules', () => {
    const rules = ['-A DOCKER-USER -p tcp -m conntrack --ctstate DNAT --ctorigdstport 8080 -j DROP'];
    expect(run(docker(rules)).verdict).toBe('drop');
    expect(run(docker(['-A DOCKER-USER -p tcp -m conntrack --ctorigdstport 80 -j DROP'])).verdict).toBe('accept');
    const est = ['-A DOCKER-USER -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT', '-A DOCKER-USER -j DROP'];
    expect(run(docker(est), { state: 'established' }).verdict).toBe('accept');
    expect(run(docker(est)).verdict).toBe('drop');
  });
});

describe('three values', () => {
  it('an unknown match whose two outcomes agree keeps the verdict; when they differ the verdict is unknown with the rule', () => {
    expect(run(docker(['-A DOCKER-USER -m mark --mark 0x1 -j ACCEPT'])).verdict).toBe('accept');
    const e = run(docker(['-A DOCKER-USER -m mark --mark 0x1 -j DROP']));
    expect(e.verdict).toBe('unknown');
    expect(e.dependsOn.map((s) => s.text)).toEqual(['-A DOCKER-USER -m mark --mark 0x1 -j DROP']);
    expect(e.dependsOn[0]!.why).toMatch(/-m mark is not modelled/);
  });

  it('a false test beside an unknown one makes the rule false', () => {
    expect(run(docker(['-A DOCKER-USER -s 198.51.100.0/24 -m mark --mark 0x1 -j DROP'])).verdict).toBe('accept');
  });

  it('a set without --ipsets is unknown, with it the members decide (hash:net, hash:ip,port, list:set, !)', () => {
    const rule = ['-A DOCKER-USER -m set ! --match-set allow src -j DROP'];
    const e = run(docker(rule));
    expect(e.verdict).toBe('unknown');
    expect(e.dependsOn[0]!.why).toMatch(/no ipset dump given/);
    const sets = 'create allow hash:net family inet\nadd allow 203.0.113.0/24\n';
    expect(run(docker(rule), {}, sets).verdict).toBe('accept');
    expect(run(docker(rule), { src: '198.51.100.1' }, sets).verdict).toBe('drop');
    const pair = ['-A DOCKER-USER -m set --match-set web src,dst -j DROP'];
    const web = 'create web hash:ip,port family inet\nadd web 203.0.113.5,tcp:80\n';
    // dst port after DNAT is 80 (filter sees the rewritten packet).
    expect(run(docker(pair), {}, web).verdict).toBe('drop');
    expect(run(docker(pair), { src: '203.0.113.6' }, web).verdict).toBe('accept');
    const list = 'create a hash:ip family inet\nadd a 203.0.113.5\ncreate l list:set\nadd l a\n';
    expect(run(docker(['-A DOCKER-USER -m set --match-set l src -j DROP']), {}, list).verdict).toBe('drop');
    expect(run(docker(['-A DOCKER-USER -m set --match-set missing src -j DROP']), {}, list).verdict).toBe('unknown');
  });

  it('without local addresses, a host address is unknown (never guessed), and the answer says why', () => {
    const e = evaluate(prepareRuleset(parseIptables(docker([]))), pkt());
    expect(e.verdict).toBe('unknown');
    expect(e.dependsOn.some((s) => /--local/.test(s.why))).toBe(true);
  });
});

describe('bad packets', () => {
  const rs = prepareRuleset(parseIptables(docker([])), { facts: local });
  it.each([
    [{ src: '203.0.113.500' }, /source "203.0.113.500" is not an IPv4 or IPv6 address/],
    [{ dst: '2001:db8::1' }, /destination 2001:db8::1 is an IPv6 address, but the dump is an IPv4 dump/],
    [{ family: 6 as const, src: '2001:db8::5', dst: '2001:db8::1' }, /IPv6 packet, but the dump is an IPv4 dump/],
    [{ proto: 'icmp' }, /protocol icmp has no ports/],
    [{ dport: 70000 }, /destination port 70000 is not a port/],
    [{ dport: undefined }, /needs a destination port/],
    [{ in: '' }, /interface "": expected the name/],
    [{ proto: 'bogus' }, /protocol "bogus" is not known/],
  ])('%j', (over, message) => {
    expect(() => evaluate(rs, pkt(over as Partial<Packet>))).toThrow(message);
  });
});
