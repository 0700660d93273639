#!/usr/bin/env node
// Deterministic generator of benchmark dumps for dfw.
//
// - iptables-save dumps shaped like a kube-proxy (iptables mode) node that also runs Docker 29
//   (iptables backend): filter + nat (+ raw for Docker), thousands of KUBE-SVC-/KUBE-SEP- chains,
//   printed exactly as `iptables-save -c` (nft variant) prints them: built-in chains in hook
//   order, then user chains sorted by strcmp, rules grouped by chain, `[p:b]` counters, canonical
//   option order (docs/format.md#iptables-save-output, docs/format.md#the-canonical-form-of-a-rule).
// - an `ipset save` dump with a large hash:net set and the policy's `ipfriends` set.
//
// Same arguments, same bytes: a seeded PRNG (no Math.random), a fixed date in the header, and
// chain hashes computed like kube-proxy does (sha256 → base32 → 16 chars), which is
// deterministic too.
//
// Addresses: pods, services and Docker networks use 10.x / 172.x as text only (such dumps are
// only ever loaded with `--test`). `--testnet` maps every address to TEST-NET ranges
// (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24) so that a dump can be restored for real in a
// throw-away namespace to check that it is a save fixpoint.
//
// CLI:
//   node test/bench/gen.mjs --lines 100000 [--no-docker] [--testnet] [--seed 1] [-o FILE]
//   node test/bench/gen.mjs --ipset --members 100000 [--testnet] [--seed 1] [-o FILE]
import { createHash } from 'node:crypto';
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// ---------------------------------------------------------------------------------------------
// PRNG: mulberry32, seeded. Good enough for shapes; never Math.random.
export function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    /** integer in [lo, hi] */
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (arr) => arr[Math.floor(next() * arr.length)],
    chance: (p) => next() < p,
  };
}

// ---------------------------------------------------------------------------------------------
// Canonical text helpers (docs/format.md#the-canonical-form-of-a-rule, docs/format.md#quoting).

/** xtables_save_string(): unquoted when non-empty and only [A-Za-z0-9_-], else quoted. */
export function saveString(s) {
  if (s.length > 0 && /^[A-Za-z0-9_-]+$/.test(s)) return s;
  return `"${s.replace(/[\\"']/g, (c) => `\\${c}`)}"`;
}

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
function base32(buf) {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of buf) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += B32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31];
  return out;
}

/** kube-proxy's portProtoHash: first 16 chars of base32(sha256(s)). */
function kubeHash(s) {
  return base32(createHash('sha256').update(s).digest()).slice(0, 16);
}

/** `-m statistic --probability p`, as iptables-save prints it: lround(2^31 p) / 2^31, %.11f. */
export function probability(p) {
  return (Math.round(p * 2 ** 31) / 2 ** 31).toFixed(11);
}

function ip4(n) {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}
function ip4n(a, b, c, d) {
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

/**
 * Address plan. Real mode uses 10.x / 172.x (text only); testnet mode folds every address into
 * the three TEST-NET /24s (duplicates are harmless for a fixpoint check).
 */
function addressPlan(testnet) {
  const TESTNETS = [ip4n(192, 0, 2, 0), ip4n(198, 51, 100, 0), ip4n(203, 0, 113, 0)];
  const fold = (i) => ip4(TESTNETS[i % 3] + 1 + (Math.floor(i / 3) % 254));
  if (testnet) {
    return {
      clusterCidr: '198.51.100.0/24',
      pod: (i) => fold(i),
      service: (i) => fold(i + 7),
      external: (i) => fold(i + 11),
      bridgeNet: (b) => ({ cidr: `${ip4(TESTNETS[b % 3])}/24`, host: (c) => ip4(TESTNETS[b % 3] + 2 + (c % 250)) }),
      member: (i) => fold(i),
      memberNet: (i) => `${ip4(TESTNETS[i % 3] + (Math.floor(i / 3) % 64) * 4)}/30`,
    };
  }
  const podBase = ip4n(10, 64, 0, 0); // cluster CIDR 10.64.0.0/11
  const svcBase = ip4n(10, 96, 0, 0); // service CIDR 10.96.0.0/12
  return {
    clusterCidr: '10.64.0.0/11',
    pod: (i) => ip4(podBase + 2 + i + Math.floor(i / 250) * 6), // skip .0/.1/.255-ish per /24
    service: (i) => ip4(svcBase + 1 + i),
    // LoadBalancer / external IPs: TEST-NET-3, wrapping
    external: (i) => ip4(ip4n(203, 0, 113, 1) + (i % 254)),
    // docker0 is 172.17.0.0/16; user bridges get a /24 each from 172.18.0.0/15 on
    bridgeNet: (b) => {
      if (b === 0) return { cidr: '172.17.0.0/16', host: (c) => ip4(ip4n(172, 17, 0, 2) + c) };
      const base = ip4n(172, 18, 0, 0) + (b - 1) * 256;
      return { cidr: `${ip4(base)}/24`, host: (c) => ip4(base + 2 + (c % 250)) };
    },
    member: (i) => ip4(ip4n(10, 0, 0, 0) + 1 + i * 3),
    memberNet: (i) => {
      // a blocklist-like mix of hosts (printed without /32 by ipset) and small aligned nets,
      // all distinct and all inside 10.0.0.0/8 for up to 1M members
      const k = i >>> 2;
      switch (i % 4) {
        case 0:
          return ip4(ip4n(10, 128, 0, 0) + k * 7); // 10.128.0.0/10
        case 1:
          return `${ip4(ip4n(10, 0, 0, 0) + k * 16)}/28`; // 10.0.0.0/10
        case 2:
          return `${ip4(ip4n(10, 64, 0, 0) + k * 16)}/29`; // 10.64.0.0/10
        default:
          return `${ip4(ip4n(10, 192, 0, 0) + k * 16)}/30`; // 10.192.0.0/10
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// iptables-save dump

const HEADER_DATE = 'Sat Nov 28 04:51:43 2026';
const FOOTER_DATE = 'Sat Nov 28 04:51:44 2026';
const BUILTIN = {
  raw: ['PREROUTING', 'OUTPUT'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
};

class Table {
  constructor(name, rnd, counters) {
    this.name = name;
    this.rnd = rnd;
    this.counters = counters;
    this.policies = new Map(); // built-in chain → [policy, counters]
    this.chains = new Map(); // chain → rule lines (without `[p:b] `)
    this.lines = 4; // # Generated, *table, COMMIT, # Completed
    for (const c of BUILTIN[name]) this.chain(c);
  }
  policy(chain, pol) {
    this.policies.set(chain, pol);
  }
  chain(name) {
    if (!this.chains.has(name)) {
      this.chains.set(name, []);
      this.lines++;
    }
    return name;
  }
  add(chain, spec) {
    const rules = this.chains.get(chain);
    if (!rules) throw new Error(`rule for undeclared chain ${chain} in ${this.name}`);
    rules.push(spec === '' ? `-A ${chain}` : `-A ${chain} ${spec}`);
    this.lines++;
  }
  /** How many lines print() will produce. */
  lineCount() {
    return this.lines;
  }
  counter() {
    // Most rules of a big node never match; some carry traffic.
    const r = this.rnd;
    if (!this.counters || r.chance(0.7)) return '[0:0] ';
    const p = r.chance(0.9) ? r.int(1, 5000) : r.int(5000, 90_000_000);
    return `[${p}:${p * r.int(52, 1400)}] `;
  }
  *print(prog) {
    yield `# Generated by ${prog} on ${HEADER_DATE}`;
    yield `*${this.name}`;
    const builtins = BUILTIN[this.name];
    const users = [...this.chains.keys()].filter((c) => !builtins.includes(c)).sort(strcmp);
    const order = [...builtins, ...users];
    for (const c of builtins) {
      const pol = this.policies.get(c) ?? 'ACCEPT';
      const p = this.counters ? this.rnd.int(0, 2_000_000) : 0;
      const b = p * (this.counters ? this.rnd.int(60, 900) : 0);
      yield `:${c} ${pol} [${p}:${b}]`;
    }
    for (const c of users) yield `:${c} - [0:0]`;
    for (const c of order) for (const line of this.chains.get(c)) yield this.counter() + line;
    yield 'COMMIT';
    yield `# Completed on ${FOOTER_DATE}`;
  }
}

function strcmp(a, b) {
  // Byte order. Chain names here are ASCII, where UTF-16 order equals byte order.
  return a < b ? -1 : a > b ? 1 : 0;
}

const NAMESPACES = ['default', 'kube-system', 'monitoring', 'ingress-nginx', 'payments', 'search', 'auth', 'media'];
const PORTS = [
  { name: 'http', proto: 'tcp', port: 80, target: 8080 },
  { name: 'https', proto: 'tcp', port: 443, target: 8443 },
  { name: 'grpc', proto: 'tcp', port: 9090, target: 9090 },
  { name: 'metrics', proto: 'tcp', port: 9100, target: 9100 },
  { name: 'dns', proto: 'udp', port: 53, target: 53 },
  { name: 'dns-tcp', proto: 'tcp', port: 53, target: 53 },
  { name: 'redis', proto: 'tcp', port: 6379, target: 6379 },
  { name: 'syslog', proto: 'udp', port: 514, target: 5514 },
];

/**
 * Builds an iptables-save dump of about `lines` lines.
 * @param {{lines: number, docker?: boolean, testnet?: boolean, seed?: number, counters?: boolean}} o
 * @returns {string}
 */
export function generateIptables(o) {
  const lines = Math.max(200, Math.floor(o.lines));
  const docker = o.docker !== false;
  const counters = o.counters !== false;
  const rnd = prng(o.seed ?? 1);
  const A = addressPlan(Boolean(o.testnet));

  const raw = new Table('raw', rnd, counters);
  const filter = new Table('filter', rnd, counters);
  const nat = new Table('nat', rnd, counters);

  // --- Docker 29, iptables backend (docs/docker.md#docker-29). About 4% of the lines.
  const containers = docker ? Math.max(4, Math.round(lines / 100)) : 0;
  if (docker) {
    filter.policy('FORWARD', 'DROP');
    for (const c of ['DOCKER', 'DOCKER-BRIDGE', 'DOCKER-CT', 'DOCKER-FORWARD', 'DOCKER-INTERNAL', 'DOCKER-USER'])
      filter.chain(c);
    nat.chain('DOCKER');
    filter.add('FORWARD', '-j DOCKER-USER');
    filter.add('FORWARD', '-j DOCKER-FORWARD');
    filter.add('DOCKER-FORWARD', '-j DOCKER-CT');
    filter.add('DOCKER-FORWARD', '-j DOCKER-INTERNAL');
    filter.add('DOCKER-FORWARD', '-j DOCKER-BRIDGE');
    nat.add('PREROUTING', '-m addrtype --dst-type LOCAL -j DOCKER');
    // userland-proxy=false form (docs/docker.md#the-userland-proxy-off): no `! -d 127.0.0.0/8`.
    nat.add('OUTPUT', '-m addrtype --dst-type LOCAL -j DOCKER');
  }
  const bridges = [];
  if (docker) {
    const nBridges = 1 + Math.ceil(containers / 24);
    for (let b = 0; b < nBridges; b++) {
      const name = b === 0 ? 'docker0' : `br-${createHash('sha256').update(`net-${b}`).digest('hex').slice(0, 12)}`;
      bridges.push({ name, net: A.bridgeNet(b), internal: b > 0 && b % 17 === 0, ctrs: 0 });
    }
    // Containers with published ports; host ports are unique, 8080 is always there (the policy allows it).
    const dockerAccepts = [];
    const dnats = [];
    for (let c = 0; c < containers; c++) {
      const br = bridges[1 + (c % (bridges.length - 1))] ?? bridges[0];
      if (br.internal) continue;
      const addr = br.net.host(br.ctrs++);
      const cport = rnd.pick([80, 443, 3000, 5432, 6379, 8000, 9000]);
      const hport = c === 0 ? 8080 : 10000 + c;
      const proto = rnd.chance(0.9) ? 'tcp' : 'udp';
      dockerAccepts.push(
        `-d ${addr}/32 ! -i ${br.name} -o ${br.name} -p ${proto} -m ${proto} --dport ${cport} -j ACCEPT`,
      );
      dnats.push(`! -i ${br.name} -p ${proto} -m ${proto} --dport ${hport} -j DNAT --to-destination ${addr}:${cport}`);
      raw.add('PREROUTING', `-d ${addr}/32 ! -i ${br.name} -j DROP`);
    }
    for (const r of dockerAccepts) filter.add('DOCKER', r);
    for (const br of bridges) {
      if (!br.internal) filter.add('DOCKER', `! -i ${br.name} -o ${br.name} -j DROP`);
    }
    for (const br of bridges) {
      if (br.internal) {
        filter.add('DOCKER-INTERNAL', `-s ${br.net.cidr} ! -d ${br.net.cidr} -i ${br.name} -j DROP`);
        filter.add('DOCKER-INTERNAL', `! -s ${br.net.cidr} -d ${br.net.cidr} -o ${br.name} -j DROP`);
        continue;
      }
      filter.add('DOCKER-BRIDGE', `-o ${br.name} -j DOCKER`);
      filter.add('DOCKER-CT', `-o ${br.name} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`);
      filter.add('DOCKER-FORWARD', `-i ${br.name} -j ACCEPT`);
      nat.add('POSTROUTING', `-s ${br.net.cidr} ! -o ${br.name} -j MASQUERADE`);
      nat.add('POSTROUTING', `-o ${br.name} -m addrtype --src-type LOCAL -j MASQUERADE`);
    }
    for (const r of dnats) nat.add('DOCKER', r);
  }

  // --- kube-proxy, iptables mode.
  for (const c of [
    'KUBE-EXTERNAL-SERVICES',
    'KUBE-FIREWALL',
    'KUBE-FORWARD',
    'KUBE-KUBELET-CANARY',
    'KUBE-NODEPORTS',
    'KUBE-PROXY-CANARY',
    'KUBE-PROXY-FIREWALL',
    'KUBE-SERVICES',
  ])
    filter.chain(c);
  for (const c of [
    'KUBE-KUBELET-CANARY',
    'KUBE-MARK-MASQ',
    'KUBE-NODEPORTS',
    'KUBE-POSTROUTING',
    'KUBE-PROXY-CANARY',
    'KUBE-SERVICES',
  ])
    nat.chain(c);
  const CT_NEW = '-m conntrack --ctstate NEW';
  filter.add('INPUT', `${CT_NEW} -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL`);
  filter.add('INPUT', '-m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS');
  filter.add(
    'INPUT',
    `${CT_NEW} -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES`,
  );
  filter.add('INPUT', '-j KUBE-FIREWALL');
  filter.add('FORWARD', `${CT_NEW} -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL`);
  filter.add('FORWARD', '-m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD');
  filter.add('FORWARD', `${CT_NEW} -m comment --comment "kubernetes service portals" -j KUBE-SERVICES`);
  filter.add(
    'FORWARD',
    `${CT_NEW} -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES`,
  );
  filter.add('OUTPUT', `${CT_NEW} -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL`);
  filter.add('OUTPUT', `${CT_NEW} -m comment --comment "kubernetes service portals" -j KUBE-SERVICES`);
  filter.add('OUTPUT', '-j KUBE-FIREWALL');
  filter.add(
    'KUBE-FIREWALL',
    '-m comment --comment "kubernetes firewall for dropping marked packets" -m mark --mark 0x8000/0x8000 -j DROP',
  );
  filter.add('KUBE-FORWARD', '-m conntrack --ctstate INVALID -j DROP');
  filter.add(
    'KUBE-FORWARD',
    '-m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT',
  );
  filter.add(
    'KUBE-FORWARD',
    '-m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
  );
  nat.add('PREROUTING', '-m comment --comment "kubernetes service portals" -j KUBE-SERVICES');
  nat.add('OUTPUT', '-m comment --comment "kubernetes service portals" -j KUBE-SERVICES');
  nat.add('POSTROUTING', '-m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING');
  nat.add('KUBE-MARK-MASQ', '-j MARK --set-xmark 0x4000/0x4000');
  nat.add('KUBE-POSTROUTING', '-m mark ! --mark 0x4000/0x4000 -j RETURN');
  nat.add('KUBE-POSTROUTING', '-j MARK --set-xmark 0x4000/0x0');
  nat.add(
    'KUBE-POSTROUTING',
    '-m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
  );

  // Services are added until the dump reaches `lines` (minus the final KUBE-SERVICES rule).
  const target = lines - 1;
  let svcIndex = 0;
  let podIndex = 0;
  let extIndex = 0;
  let nodePort = 30000;
  const nodePortRules = [];
  const hasRaw = docker;
  const current = () => (hasRaw ? raw.lineCount() : 0) + filter.lineCount() + nat.lineCount() + nodePortRules.length;
  // Bounded: every service adds at least one line, so at most `lines` services.
  for (let guard = 0; guard < lines && current() < target; guard++) {
    const ns = rnd.pick(NAMESPACES);
    const svc = `svc-${svcIndex}`;
    const clusterIp = A.service(svcIndex++);
    const nPorts = rnd.chance(0.75) ? 1 : rnd.int(2, 3);
    const kind = rnd.next(); // ClusterIP, NodePort or LoadBalancer
    const nodeport = kind > 0.8;
    const lb = kind > 0.95;
    const lbIp = lb ? A.external(extIndex++) : undefined;
    const affinity = rnd.chance(0.05);
    // endpoints: 0 (a few), 1-3 (most), up to 20 (some)
    const r = rnd.next();
    const nEp = r < 0.03 ? 0 : r < 0.85 ? rnd.int(1, 3) : rnd.int(4, 20);
    const eps = [];
    for (let e = 0; e < nEp; e++) eps.push(A.pod(podIndex++));
    const usedPorts = new Set();
    for (let p = 0; p < nPorts; p++) {
      let port = rnd.pick(PORTS);
      for (let t = 0; t < 8 && usedPorts.has(port.name); t++) port = rnd.pick(PORTS);
      if (usedPorts.has(port.name)) break;
      usedPorts.add(port.name);
      const spn = `${ns}/${svc}:${port.name}`;
      const proto = port.proto;
      const hash = kubeHash(spn + proto);
      const svcChain = `KUBE-SVC-${hash}`;
      const extChain = `KUBE-EXT-${hash}`;
      const mp = `-p ${proto} -m comment --comment`;
      const np = nodeport ? nodePort++ : 0;
      if (eps.length === 0) {
        filter.add(
          'KUBE-SERVICES',
          `-d ${clusterIp}/32 ${mp} ${saveString(`${spn} has no endpoints`)} -m ${proto} --dport ${port.port} -j REJECT --reject-with icmp-port-unreachable`,
        );
        if (nodeport) {
          filter.add(
            'KUBE-EXTERNAL-SERVICES',
            `${mp} ${saveString(`${spn} has no endpoints`)} -m addrtype --dst-type LOCAL -m ${proto} --dport ${np} -j REJECT --reject-with icmp-port-unreachable`,
          );
        }
        continue;
      }
      nat.chain(svcChain);
      nat.add(
        'KUBE-SERVICES',
        `-d ${clusterIp}/32 ${mp} ${saveString(`${spn} cluster IP`)} -m ${proto} --dport ${port.port} -j ${svcChain}`,
      );
      nat.add(
        svcChain,
        `! -s ${A.clusterCidr} -d ${clusterIp}/32 ${mp} ${saveString(`${spn} cluster IP`)} -m ${proto} --dport ${port.port} -j KUBE-MARK-MASQ`,
      );
      if (nodeport) {
        nat.chain(extChain);
        nodePortRules.push([`${mp} ${saveString(spn)} -m ${proto} --dport ${np} -j ${extChain}`]);
        nat.add(
          extChain,
          `-m comment --comment ${saveString(`masquerade traffic for ${spn} external destinations`)} -j KUBE-MARK-MASQ`,
        );
        nat.add(extChain, `-j ${svcChain}`);
        if (lb) {
          nat.add(
            'KUBE-SERVICES',
            `-d ${lbIp}/32 ${mp} ${saveString(`${spn} loadbalancer IP`)} -m ${proto} --dport ${port.port} -j ${extChain}`,
          );
        }
      }
      for (let e = 0; e < eps.length; e++) {
        const ep = `${eps[e]}:${port.target}`;
        const sep = `KUBE-SEP-${kubeHash(spn + proto + ep)}`;
        nat.chain(sep);
        const left = eps.length - e;
        const comment = `-m comment --comment ${saveString(`${spn} -> ${ep}`)}`;
        const stat = left > 1 ? ` -m statistic --mode random --probability ${probability(1 / left)}` : '';
        if (affinity) {
          nat.add(
            svcChain,
            `${comment} -m recent --rcheck --seconds 10800 --reap --name ${sep} --mask 255.255.255.255 --rsource -j ${sep}`,
          );
        }
        nat.add(svcChain, `${comment}${stat} -j ${sep}`);
        nat.add(sep, `-s ${eps[e]}/32 -m comment --comment ${saveString(spn)} -j KUBE-MARK-MASQ`);
        const rec = affinity ? ` -m recent --set --name ${sep} --mask 255.255.255.255 --rsource` : '';
        nat.add(
          sep,
          `-p ${proto} -m comment --comment ${saveString(spn)}${rec} -m ${proto} -j DNAT --to-destination ${ep}`,
        );
      }
    }
  }
  for (const [r] of nodePortRules) nat.add('KUBE-NODEPORTS', r);
  nat.add(
    'KUBE-SERVICES',
    '-m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
  );

  // Table order of the nft variant: mangle, security, raw, filter, nat (docs/format.md#order-of-tables-chains-and-rules).
  const prog = 'iptables-save v1.8.9 (nf_tables)';
  const out = [];
  for (const t of hasRaw ? [raw, filter, nat] : [filter, nat]) for (const l of t.print(prog)) out.push(l);
  out.push('');
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------
// ipset save dump

/**
 * `ipset save` output: the policy's `ipfriends` (hash:ip, a few entries, some of them stale)
 * first, then a big hash:net blocklist with `members` entries. Printed as ipset 7.17 saves
 * them (docs/format.md#ipset-save-output): create options in the type's order, hosts in hash:net without /32.
 * @param {{members: number, testnet?: boolean, seed?: number}} o
 */
export function generateIpset(o) {
  const members = Math.max(10, Math.floor(o.members));
  const rnd = prng(o.seed ?? 7);
  const A = addressPlan(Boolean(o.testnet));
  const out = [];
  out.push('create ipfriends hash:ip family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0x5ce1b0a7');
  for (const a of ['203.0.113.7', '198.51.100.22', '192.0.2.99']) out.push(`add ipfriends ${a}`);
  const hashsize = 2 ** Math.ceil(Math.log2(Math.max(1024, members / 2)));
  const maxelem = Math.max(65536, 2 ** Math.ceil(Math.log2(members * 2)));
  out.push(
    `create bench-blocklist hash:net family inet hashsize ${hashsize} maxelem ${maxelem} bucketsize 12 initval 0x2f6a1c3d`,
  );
  // hash order is not sorted in a real save: shuffle deterministically (Fisher-Yates, bounded).
  const idx = Array.from({ length: members }, (_, i) => i);
  for (let i = members - 1; i > 0; i--) {
    const j = Math.floor(rnd.next() * (i + 1));
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  const seen = new Set();
  for (const i of idx) {
    const m = A.memberNet(i);
    if (seen.has(m)) continue; // testnet folding creates duplicates; a save never has any
    seen.add(m);
    out.push(`add bench-blocklist ${m}`);
  }
  out.push('');
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------
// CLI

function parseArgs(argv) {
  const o = {
    lines: 10_000,
    docker: true,
    testnet: false,
    seed: undefined,
    out: undefined,
    ipset: false,
    members: 100_000,
    counters: true,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--lines') o.lines = parseSize(val());
    else if (a === '--no-docker') o.docker = false;
    else if (a === '--testnet') o.testnet = true;
    else if (a === '--no-counters') o.counters = false;
    else if (a === '--seed') o.seed = Number(val());
    else if (a === '-o' || a === '--out') o.out = val();
    else if (a === '--ipset') o.ipset = true;
    else if (a === '--members') o.members = parseSize(val());
    else if (a === '-h' || a === '--help') {
      process.stdout.write(
        'usage: gen.mjs --lines N [--no-docker] [--testnet] [--no-counters] [--seed S] [-o FILE]\n' +
          '       gen.mjs --ipset [--members N] [--testnet] [--seed S] [-o FILE]\n' +
          'N accepts 10k, 100k, 1M. Without -o the dump goes to stdout.\n',
      );
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

/** "10k" → 10000, "1M" → 1000000, "2500" → 2500. */
export function parseSize(s) {
  const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(String(s).trim());
  if (!m) throw new Error(`bad size ${s}`);
  const mult = m[2] === '' ? 1 : m[2].toLowerCase() === 'k' ? 1e3 : 1e6;
  return Math.round(Number(m[1]) * mult);
}

const isMain = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  try {
    const o = parseArgs(process.argv.slice(2));
    const text = o.ipset
      ? generateIpset({ members: o.members, testnet: o.testnet, seed: o.seed })
      : generateIptables({ lines: o.lines, docker: o.docker, testnet: o.testnet, seed: o.seed, counters: o.counters });
    if (o.out) {
      mkdirSync(dirname(resolve(o.out)), { recursive: true });
      writeFileSync(o.out, text);
      process.stderr.write(`${o.out}: ${text.split('\n').length - 1} lines\n`);
    } else {
      process.stdout.on('error', (e) => process.exit(e.code === 'EPIPE' ? 0 : 1));
      process.stdout.write(text);
    }
  } catch (e) {
    process.stderr.write(`gen.mjs: ${e.message}\n`);
    process.exit(2);
  }
}
