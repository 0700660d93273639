// dfw trace as a user runs it: the output, the JSON form, and bad input (exit 2, a clear message,
// nothing on stdout). The evaluator's behaviour is in analysis-evaluate.test.ts; its agreement
// with the kernel in the packet labs (test/lab/trace.ts).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dfw } from './support/cli.js';
import { FIXTURES } from './support/fixtures.js';

const V4 = join(FIXTURES, 'iptables', 'docker29.nft.v4'); // publishes tcp/8080 → 172.17.0.2:80
const V6 = join(FIXTURES, 'iptables', 'docker29.nft.v6');
const base = [
  '--in',
  'eth0',
  '--src',
  '203.0.113.5',
  '--dst',
  '203.0.113.1',
  '--local',
  '203.0.113.1',
  '--dport',
  '8080',
];

describe('dfw trace', () => {
  it('prints every rule met and the verdict (text), exit 0', () => {
    const r = dfw(['trace', V4, ...base]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^packet: tcp 203\.0\.113\.5 -> 203\.0\.113\.1:8080 in eth0, new$/m);
    expect(r.stdout).toMatch(
      /^yes nat DOCKER #1 +line 58 +-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172\.17\.0\.2:80$/m,
    );
    expect(r.stdout).toMatch(/^no {2}raw PREROUTING #1 .*\n {4}-d 172\.17\.0\.2\/32: destination 203\.0\.113\.1$/m);
    expect(r.stdout).toMatch(/^verdict: accept \(forwarded to 172\.17\.0\.2:80 out of docker0\)$/m);
  });

  it('JSON: verdict, path, dependsOn, delivery; a port nothing publishes goes to INPUT', () => {
    const r = dfw(['trace', V4, ...base.slice(0, -1), '9999', '--format', 'json']);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as {
      verdict: string;
      path: { kind: string }[];
      dependsOn: unknown[];
      delivery: unknown;
    };
    expect(j.verdict).toBe('accept');
    expect(j.dependsOn).toEqual([]);
    expect(j.delivery).toEqual({ hook: 'input' });
    expect(j.path.some((s) => s.kind === 'policy')).toBe(true);
  });

  it('without --local the host address is unknown: verdict unknown with the rules it depends on, exit 0', () => {
    const r = dfw([
      'trace',
      V4,
      '--in',
      'eth0',
      '--src',
      '203.0.113.5',
      '--dst',
      '203.0.113.1',
      '--dport',
      '8080',
      '--format',
      'json',
    ]);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as { verdict: string; dependsOn: { why: string }[] };
    expect(j.verdict).toBe('unknown');
    expect(j.dependsOn.map((s) => s.why).join('\n')).toMatch(/--local/);
  });

  it('a dump that matches a set, without --ipsets: unknown, not an error', () => {
    const dump = '*filter\n:INPUT DROP [0:0]\n-A INPUT -m set --match-set allow src -j ACCEPT\nCOMMIT\n';
    const r = dfw(['trace', '-', ...base.slice(0, -1), '22'], dump);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^verdict: unknown/m);
    expect(r.stdout).toMatch(/set allow: no ipset dump given \(--ipsets\)/);
  });

  it('IPv6', () => {
    const r = dfw([
      'trace',
      V6,
      '--in',
      'eth0',
      '--src',
      '2001:db8:3::5',
      '--dst',
      '2001:db8::1',
      '--local',
      '2001:db8::1',
      '--dport',
      '8080',
    ]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^verdict: (accept|drop|reject) /m);
  });

  const bad: [string, string[], RegExp][] = [
    [
      'a source that is not an address',
      ['--src', '203.0.113.500'],
      /--src "203\.0\.113\.500": expected an IPv4 or IPv6 address/,
    ],
    [
      'a destination that is a name',
      ['--dst', 'example.org'],
      /--dst "example\.org": expected an IPv4 or IPv6 address/,
    ],
    [
      'an IPv6 source with an IPv4 dump',
      ['--src', '2001:db8::5'],
      /source 2001:db8::5 is an IPv6 address, but the dump is an IPv4 dump/,
    ],
    ['--family 6 on an IPv4 dump', ['--family', '6'], /--family 6 given, but the dump is an IPv4 dump/],
    [
      'a port without tcp/udp/sctp',
      ['--proto', 'icmp'],
      /protocol icmp has no ports: --dport and --sport need tcp, udp or sctp/,
    ],
    ['a port out of range', ['--dport', '65536'], /--dport "65536": expected a port number 0-65535/],
    ['a port that is not a number', ['--sport', 'http'], /--sport "http": expected a port number 0-65535/],
    ['tcp without a destination port', ['--dport', ''], /--dport "": expected a port number/],
    ['an unknown protocol', ['--proto', 'tpc'], /protocol "tpc" is not known/],
    ['--reply without --state established', ['--reply'], /--reply needs --state established/],
    [
      'a --local of the other family',
      ['--local', '2001:db8::1'],
      /--local 2001:db8::1 is an IPv6 address, but the trace is IPv4/,
    ],
    ['a --route that is not CIDR=IF', ['--route', '10.0.0.0/8'], /--route "10\.0\.0\.0\/8": expected CIDR=INTERFACE/],
    ['an interface with a wildcard', ['--in', 'eth+'], /interface "eth\+": expected the name of the interface/],
    ['a state that is not one', ['--state', 'related'], /Invalid values:[\s\S]*state/],
    ['--in given twice', ['--in', 'eth1'], /--in given twice/],
  ];
  it.each(bad)('%s: exit 2, the reason, nothing on stdout', (_what, extra, message) => {
    // Later options win over `base` for the packet (yargs keeps the last), except where repeating is the point.
    const args = extra[0] === '--in' && extra[1] === 'eth1' ? [...base, ...extra] : mergeArgs(base, extra);
    const r = dfw(['trace', V4, ...args]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
  });

  it('missing --in: usage error, exit 2', () => {
    const r = dfw(['trace', V4, '--src', '203.0.113.5', '--dst', '203.0.113.1', '--dport', '80']);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/Missing required argument: in/);
  });

  it('a dump that does not parse: FILE:LINE:COL, exit 2', () => {
    const r = dfw(['trace', '-', ...base], '*filter\n-A INPUT -j\nCOMMIT\n');
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^<stdin>:2:/);
  });
});

/** `base` with the options of `extra` replacing the same options (a flag alone is appended). */
function mergeArgs(b: string[], extra: string[]): string[] {
  const out = [...b];
  for (let i = 0; i < extra.length; i++) {
    const flag = extra[i]!;
    const value = extra[i + 1];
    const at = out.indexOf(flag);
    if (value === undefined || value.startsWith('--')) {
      out.push(flag);
      continue;
    }
    if (at >= 0) out.splice(at, 2, flag, value);
    else out.push(flag, value);
    i++;
  }
  return out;
}
