// Rules built in code print exactly as iptables-save prints them: checked against the real
// iptables-restore / iptables-save (nft and legacy) in a network namespace.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Rule, Statement, TableName } from '../src/iptables/ast.js';
import { BUILTIN_CHAINS } from '../src/iptables/ast.js';
import { chain, goTo, jump, match, not, opt, rule, table } from '../src/iptables/build.js';
import { printIptables, printRule } from '../src/iptables/print.js';
import { Netns, describeNetns } from './support/netns.js';

const c = (text: string) => opt('--comment', text);

// [table, rule built in code, the line iptables-save prints for it]
const cases: [TableName, Rule, string][] = [
  [
    'filter',
    rule('INPUT', {
      options: [opt('-s', '192.0.2.0/24'), opt('-i', 'eth0'), opt('-p', 'tcp')],
      matches: [match('tcp', opt('--dport', '22'))],
      target: jump('ACCEPT'),
    }),
    '-A INPUT -s 192.0.2.0/24 -i eth0 -p tcp -m tcp --dport 22 -j ACCEPT',
  ],
  // The rule's own options are printed in iptables-save's order whatever order they were given in.
  [
    'filter',
    rule('INPUT', {
      options: [opt('-p', 'udp'), opt('-d', '203.0.113.0/24'), not(opt('-s', '198.51.100.7/32'))],
      matches: [match('udp', opt('--sport', '53'), opt('--dport', '1024:65535'))],
      target: jump('DROP'),
    }),
    '-A INPUT ! -s 198.51.100.7/32 -d 203.0.113.0/24 -p udp -m udp --sport 53 --dport 1024:65535 -j DROP',
  ],
  [
    'filter',
    rule('INPUT', { matches: [match('conntrack', opt('--ctstate', 'RELATED,ESTABLISHED'))], target: jump('ACCEPT') }),
    '-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
  ],
  [
    'filter',
    rule('INPUT', { matches: [match('state', opt('--state', 'NEW'))], target: jump('ACCEPT') }),
    '-A INPUT -m state --state NEW -j ACCEPT',
  ],
  [
    'filter',
    rule('INPUT', {
      options: [opt('-p', 'tcp')],
      matches: [match('multiport', opt('--dports', '80,443,8000:8100'))],
      target: jump('ACCEPT'),
    }),
    '-A INPUT -p tcp -m multiport --dports 80,443,8000:8100 -j ACCEPT',
  ],
  [
    'filter',
    rule('INPUT', { matches: [match('set', opt('--match-set', 'ipf', 'src'))], target: jump('ACCEPT') }),
    '-A INPUT -m set --match-set ipf src -j ACCEPT',
  ],
  [
    'filter',
    rule('INPUT', { matches: [match('comment', c('it\'s "quoted" \\ back'))], target: jump('ACCEPT') }),
    '-A INPUT -m comment --comment "it\\\'s \\"quoted\\" \\\\ back" -j ACCEPT',
  ],
  [
    'filter',
    rule('INPUT', { matches: [match('comment', c('Grüße ☃ 日本語'))], target: jump('ACCEPT') }),
    '-A INPUT -m comment --comment "Grüße ☃ 日本語" -j ACCEPT',
  ],
  [
    'filter',
    rule('INPUT', { matches: [match('comment', c('simple_one-2'))], target: jump('ACCEPT') }),
    '-A INPUT -m comment --comment simple_one-2 -j ACCEPT',
  ],
  [
    'filter',
    rule('INPUT', { matches: [match('comment', c('dfw:web:https'))], target: jump('RETURN') }),
    '-A INPUT -m comment --comment "dfw:web:https" -j RETURN',
  ],
  ['filter', rule('INPUT', { matches: [match('comment', c(''))] }), '-A INPUT -m comment --comment ""'],
  [
    'filter',
    rule('INPUT', {
      matches: [match('limit', opt('--limit', '5/sec'), opt('--limit-burst', '10'))],
      target: jump('LOG', opt('--log-prefix', 'dropped: '), opt('--log-level', '7')),
    }),
    '-A INPUT -m limit --limit 5/sec --limit-burst 10 -j LOG --log-prefix "dropped: " --log-level 7',
  ],
  [
    'filter',
    rule('INPUT', {
      options: [opt('-p', 'icmp')],
      matches: [match('icmp', opt('--icmp-type', '8'))],
      target: jump('ACCEPT'),
    }),
    '-A INPUT -p icmp -m icmp --icmp-type 8 -j ACCEPT',
  ],
  [
    'filter',
    rule('INPUT', {
      options: [opt('-p', 'tcp')],
      matches: [match('tcp', opt('--tcp-flags', 'FIN,SYN,RST,ACK', 'SYN'))],
      target: jump('REJECT', opt('--reject-with', 'tcp-reset')),
    }),
    '-A INPUT -p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK SYN -j REJECT --reject-with tcp-reset',
  ],
  [
    'filter',
    rule('INPUT', { matches: [match('addrtype', opt('--dst-type', 'LOCAL'))], target: jump('RETURN') }),
    '-A INPUT -m addrtype --dst-type LOCAL -j RETURN',
  ],
  [
    'filter',
    rule('INPUT', { matches: [match('iprange', opt('--src-range', '192.0.2.1-192.0.2.9'))], target: jump('DROP') }),
    '-A INPUT -m iprange --src-range 192.0.2.1-192.0.2.9 -j DROP',
  ],
  [
    'filter',
    rule('INPUT', {
      matches: [match('mark', opt('--mark', '0x1/0xff')), match('connmark', not(opt('--mark', '0x2/0xff')))],
      target: jump('ACCEPT'),
    }),
    '-A INPUT -m mark --mark 0x1/0xff -m connmark ! --mark 0x2/0xff -j ACCEPT',
  ],
  [
    'filter',
    rule('INPUT', {
      options: [opt('-p', 'tcp')],
      matches: [match('string', opt('--string', 'GET /"x"'), opt('--algo', 'bm'))],
      target: jump('DROP'),
    }),
    '-A INPUT -p tcp -m string --string "GET /\\"x\\"" --algo bm -j DROP',
  ],
  [
    'filter',
    rule('INPUT', {
      options: [opt('-p', 'tcp')],
      matches: [
        match('tcp', opt('--dport', '22')),
        match('recent', opt('--set'), opt('--name', 'SSH'), opt('--mask', '255.255.255.255'), opt('--rsource')),
      ],
    }),
    '-A INPUT -p tcp -m tcp --dport 22 -m recent --set --name SSH --mask 255.255.255.255 --rsource',
  ],
  [
    'filter',
    rule('INPUT', {
      options: [opt('-p', 'tcp')],
      matches: [
        match(
          'hashlimit',
          opt('--hashlimit-upto', '10/sec'),
          opt('--hashlimit-burst', '5'),
          opt('--hashlimit-mode', 'srcip'),
          opt('--hashlimit-name', 'h1'),
        ),
      ],
      target: jump('ACCEPT'),
    }),
    '-A INPUT -p tcp -m hashlimit --hashlimit-upto 10/sec --hashlimit-burst 5 --hashlimit-mode srcip --hashlimit-name h1 -j ACCEPT',
  ],
  [
    'filter',
    rule('INPUT', {
      matches: [match('u32', opt('--u32', '0x0>>0x16&0x3c@0xc>>0x1a&0x3c@0x0=0x4c0'))],
      target: jump('DROP'),
    }),
    '-A INPUT -m u32 --u32 "0x0>>0x16&0x3c@0xc>>0x1a&0x3c@0x0=0x4c0" -j DROP',
  ],
  [
    'filter',
    rule('INPUT', { options: [opt('-p', 'udp')], matches: [match('udp', opt('--sport', '53'))], target: goTo('MINE') }),
    '-A INPUT -p udp -m udp --sport 53 -g MINE',
  ],
  [
    'filter',
    rule('FORWARD', {
      options: [opt('-i', 'eth0'), opt('-o', 'docker0')],
      matches: [match('conntrack', opt('--ctorigdstport', '8080'), opt('--ctdir', 'ORIGINAL'))],
      target: jump('MINE'),
    }),
    '-A FORWARD -i eth0 -o docker0 -m conntrack --ctorigdstport 8080 --ctdir ORIGINAL -j MINE',
  ],
  [
    'filter',
    rule('OUTPUT', { matches: [match('owner', opt('--uid-owner', '0'))], target: jump('ACCEPT') }),
    '-A OUTPUT -m owner --uid-owner 0 -j ACCEPT',
  ],
  [
    'filter',
    rule('MINE', { target: jump('NFLOG', opt('--nflog-prefix', 'nf x'), opt('--nflog-group', '2')) }),
    '-A MINE -j NFLOG --nflog-prefix "nf x" --nflog-group 2',
  ],
  [
    'filter',
    rule('MINE', {
      options: [opt('-i', 'eth+')],
      target: jump('REJECT', opt('--reject-with', 'icmp-port-unreachable')),
    }),
    '-A MINE -i eth+ -j REJECT --reject-with icmp-port-unreachable',
  ],
  [
    'nat',
    rule('PREROUTING', {
      options: [opt('-d', '192.0.2.1/32'), opt('-p', 'tcp')],
      matches: [match('tcp', opt('--dport', '8080'))],
      target: jump('DNAT', opt('--to-destination', '172.17.0.2:80')),
    }),
    '-A PREROUTING -d 192.0.2.1/32 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80',
  ],
  [
    'nat',
    rule('POSTROUTING', {
      options: [opt('-s', '172.17.0.0/16'), not(opt('-o', 'docker0'))],
      target: jump('MASQUERADE'),
    }),
    '-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE',
  ],
  [
    'nat',
    rule('OUTPUT', {
      options: [opt('-p', 'tcp')],
      matches: [match('tcp', opt('--dport', '80'))],
      target: jump('REDIRECT', opt('--to-ports', '8080')),
    }),
    '-A OUTPUT -p tcp -m tcp --dport 80 -j REDIRECT --to-ports 8080',
  ],
  [
    'nat',
    rule('POSTROUTING', { options: [opt('-o', 'eth0')], target: jump('SNAT', opt('--to-source', '203.0.113.1')) }),
    '-A POSTROUTING -o eth0 -j SNAT --to-source 203.0.113.1',
  ],
  [
    'mangle',
    rule('PREROUTING', { target: jump('MARK', opt('--set-xmark', '0x1/0xffffffff')) }),
    '-A PREROUTING -j MARK --set-xmark 0x1/0xffffffff',
  ],
  [
    'mangle',
    rule('PREROUTING', {
      target: jump('CONNMARK', opt('--restore-mark'), opt('--nfmask', '0xffffffff'), opt('--ctmask', '0xffffffff')),
    }),
    '-A PREROUTING -j CONNMARK --restore-mark --nfmask 0xffffffff --ctmask 0xffffffff',
  ],
  [
    'mangle',
    rule('FORWARD', {
      options: [opt('-p', 'tcp')],
      matches: [match('tcp', opt('--tcp-flags', 'SYN,RST', 'SYN'))],
      target: jump('TCPMSS', opt('--clamp-mss-to-pmtu')),
    }),
    '-A FORWARD -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu',
  ],
  [
    'raw',
    rule('PREROUTING', {
      options: [opt('-p', 'udp')],
      matches: [match('udp', opt('--dport', '53'))],
      target: jump('CT', opt('--notrack')),
    }),
    '-A PREROUTING -p udp -m udp --dport 53 -j CT --notrack',
  ],
  [
    'raw',
    rule('PREROUTING', { options: [opt('-i', 'eth1')], target: jump('CT', opt('--zone', '7')) }),
    '-A PREROUTING -i eth1 -j CT --zone 7',
  ],
];

it('each rule built in code prints as the line iptables-save prints', () => {
  expect(cases.length).toBeGreaterThanOrEqual(20);
  for (const [, r, text] of cases) expect(printRule(r)).toBe(text);
});

/** A dump with every case, each table declaring its built-in chains and MINE. */
function dumpText(): string {
  const tables = (['filter', 'nat', 'mangle', 'raw'] as const).map((name) => {
    const body: Statement[] = BUILTIN_CHAINS[name].map((ch) => chain(ch, 'ACCEPT'));
    if (name === 'filter') body.push(chain('MINE'));
    // iptables-save groups rules by chain in declaration order.
    const order = body.map((s) => (s.kind === 'chain' ? s.name : ''));
    const rules = cases.filter(([t]) => t === name).map(([, r]) => r);
    rules.sort((a, b) => order.indexOf(a.chain) - order.indexOf(b.chain));
    return table(name, [...body, ...rules]);
  });
  return printIptables({ kind: 'iptables', items: tables, finalNewline: true });
}

function ruleLines(text: string): string[] {
  return text.split('\n').filter((l) => l.startsWith('-A '));
}

describeNetns(
  'rules built in code, loaded with the real iptables-restore and saved back',
  () => {
    for (const variant of ['nft', 'legacy'] as const) {
      let ns: Netns;
      beforeAll(() => {
        ns = Netns.create(`build-${variant}`);
        ns.ok('ipset', ['create', 'ipf', 'hash:ip']);
      });
      afterAll(() => ns?.delete());

      it(`${variant}: iptables-${variant}-save prints every rule exactly as dfw did`, () => {
        const text = dumpText();
        ns.ok(`iptables-${variant}-restore`, [], text);
        const saved = ns.ok(`iptables-${variant}-save`, []);
        // Legacy prints tables most recently used first: compare the rules, table by table order aside.
        expect(ruleLines(saved).sort()).toEqual(ruleLines(text).sort());
        for (const [, , line] of cases) expect(saved.split('\n')).toContain(line);
      });
    }
  },
  ['iptables-nft-restore', 'iptables-legacy-restore', 'ipset'],
);
