// The randomized differential test of the evaluator (issue 16): random Docker layouts (29, and
// 27 with its rules straight in FORWARD), random sets, random hand rules in DOCKER-USER and
// random dfw policies (DOCKER-USER or DOCKER chain mode, drop or reject, established or not);
// for each, every probe's outcome is predicted from the host's saved state first, then the
// real packets must see exactly that. A prediction of `unknown` is a disagreement: the dumps
// use only matches the evaluator models. Seeded: the seed is printed, DFW_TRACE_SEED replays it.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyPolicy, applyTransformBoth, applyIpsets } from './dfw.js';
import { probe, type ProbeResult, type ProbeSpec } from './servers.js';
import { FAMILIES, LAB, type Family, type Lab } from './topology.js';
import { predict, rulesets, saveState } from './trace.js';

export type Rng = () => number;

/** mulberry32: small, fast, good enough to pick cases. */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const chance = (r: Rng, p: number): boolean => r() < p;
const some = <T>(r: Rng, xs: readonly T[], max: number): T[] => {
  const n = Math.floor(r() * (max + 1));
  return Array.from({ length: n }, () => pick(r, xs));
};

const HOST_LEN: Record<Family, number> = { 4: 32, 6: 128 };
const CONTAINER_PORTS = [80, 443, 22, 5432];
const HOST_PORTS = LAB.published.map((p) => p.hostPort);

/** What Docker 27 leaves in iptables-save for the lab's containers (docs/docker.md#docker-27-and-older). */
export function docker27Ruleset(f: Family): string {
  const accepts: string[] = [];
  for (const name of ['c1', 'c2'] as const)
    for (const p of LAB.containers[name].ports)
      accepts.push(
        `-A DOCKER -d ${LAB.containers[name][f]}/${HOST_LEN[f]} ! -i docker0 -o docker0 -p tcp -m tcp --dport ${p} -j ACCEPT`,
      );
  const dnat = (a: string, p: number) => (f === 4 ? `${a}:${p}` : `[${a}]:${p}`);
  return [
    '*filter',
    ':INPUT ACCEPT [0:0]',
    ':FORWARD DROP [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':DOCKER - [0:0]',
    ':DOCKER-ISOLATION-STAGE-1 - [0:0]',
    ':DOCKER-ISOLATION-STAGE-2 - [0:0]',
    ':DOCKER-USER - [0:0]',
    '-A FORWARD -j DOCKER-USER',
    '-A FORWARD -j DOCKER-ISOLATION-STAGE-1',
    '-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    '-A FORWARD -o docker0 -j DOCKER',
    '-A FORWARD -i docker0 ! -o docker0 -j ACCEPT',
    '-A FORWARD -i docker0 -o docker0 -j ACCEPT',
    ...accepts,
    '-A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2',
    '-A DOCKER-ISOLATION-STAGE-1 -j RETURN',
    '-A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP',
    '-A DOCKER-ISOLATION-STAGE-2 -j RETURN',
    '-A DOCKER-USER -j RETURN',
    'COMMIT',
    '*raw',
    ':PREROUTING ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    'COMMIT',
    '*nat',
    ':PREROUTING ACCEPT [0:0]',
    ':INPUT ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':POSTROUTING ACCEPT [0:0]',
    ':DOCKER - [0:0]',
    '-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER',
    `-A OUTPUT ! -d ${f === 4 ? '127.0.0.0/8' : '::1/128'} -m addrtype --dst-type LOCAL -j DOCKER`,
    `-A POSTROUTING -s ${LAB.bridgeNet[f]} ! -o docker0 -j MASQUERADE`,
    '-A DOCKER -i docker0 -j RETURN',
    ...LAB.published.map(
      (p) =>
        `-A DOCKER ! -i docker0 -p tcp -m tcp --dport ${p.hostPort} -j DNAT --to-destination ${dnat(LAB.containers[p.container][f], p.port)}`,
    ),
    'COMMIT',
    '',
  ].join('\n');
}

/** A source for a rule or a set: a client's address, its network, or one nobody has. */
function source(r: Rng, f: Family): string {
  const c = pick(r, LAB.clients)[f];
  return pick(r, [
    `${c}/${HOST_LEN[f]}`,
    f === 4 ? `${c.split('.').slice(0, 3).join('.')}.0/24` : `${c.split(':').slice(0, 3).join(':')}::/64`,
    f === 4 ? '203.0.113.99/32' : '2001:db8:99::99/128',
  ]);
}

interface RandomSets {
  text: string;
  names: Record<Family, string[]>;
}

/** 0-3 sets per family, of the types the evaluator reads, some listed in a list:set. */
function randomSets(r: Rng): RandomSets {
  const lines: string[] = [];
  const names: Record<Family, string[]> = { 4: [], 6: [] };
  for (const f of FAMILIES) {
    const n = Math.floor(r() * 4);
    for (let i = 0; i < n; i++) {
      const name = `ev${f}s${i}`;
      const type = pick(r, ['hash:ip', 'hash:net', 'hash:ip,port', 'hash:net,port'] as const);
      lines.push(`create ${name} ${type} family ${f === 4 ? 'inet' : 'inet6'}`);
      for (const s of new Set(some(r, [0, 1, 2, 3], 3).map(() => source(r, f)))) {
        const addr = type.startsWith('hash:ip') ? s.replace(/\/\d+$/, '') : s;
        const elem = type.endsWith(',port') ? `${addr},tcp:${pick(r, [...CONTAINER_PORTS, ...HOST_PORTS])}` : addr;
        lines.push(`add ${name} ${elem}`);
      }
      names[f].push(name);
    }
    if (names[f].length > 0 && chance(r, 0.3)) {
      const list = `ev${f}list`;
      lines.push(`create ${list} list:set`, ...names[f].filter(() => chance(r, 0.6)).map((m) => `add ${list} ${m}`));
      names[f].push(list);
    }
  }
  return { text: lines.length === 0 ? '' : `${lines.join('\n')}\n`, names };
}

/** One hand-written rule for DOCKER-USER (or the user chain EVX it may jump to). */
function handRule(r: Rng, f: Family, sets: string[]): string {
  // REJECT's default answer (ICMP port unreachable) refuses a TCP connection like a reset does.
  const verdict = pick(r, ['DROP', 'RETURN', 'ACCEPT', 'REJECT', 'EVX']);
  const c = pick(r, ['c1', 'c2'] as const);
  const match = pick(r, [
    () => `-s ${source(r, f)}`,
    () => `! -s ${source(r, f)} -i eth0`,
    () => `-i eth0 -p tcp -m tcp --dport ${pick(r, CONTAINER_PORTS)}`,
    () => `-p tcp -m conntrack --ctstate DNAT --ctorigdstport ${pick(r, HOST_PORTS)}`,
    () => `-p tcp -m multiport --dports ${pick(r, CONTAINER_PORTS)},${pick(r, ['400:450', '5000:6000', '20:23'])}`,
    () =>
      f === 4
        ? `-m iprange --src-range 192.0.2.5-${pick(r, ['192.0.2.15', '192.0.2.25', '198.51.100.20'])}`
        : `-m iprange --src-range 2001:db8:1::5-${pick(r, ['2001:db8:1::15', '2001:db8:1::25', '2001:db8:2::20'])}`,
    () => `-d ${LAB.containers[c][f]}/${HOST_LEN[f]} -p tcp -m tcp --dport ${pick(r, LAB.containers[c].ports)}`,
    () => '-m conntrack --ctstate RELATED,ESTABLISHED',
    () => `-o docker0 -m conntrack --ctdir ${pick(r, ['ORIGINAL', 'REPLY'])}`,
    () => '-m addrtype --dst-type LOCAL',
    () => `-i docker0 -p tcp -m tcp --sport ${pick(r, CONTAINER_PORTS)}`,
    () =>
      sets.length > 0
        ? `-m set ${pick(r, ['', '! '])}--match-set ${pick(r, sets)} ${pick(r, ['src', 'dst', 'src,dst'])}`
        : '-p udp',
  ])();
  const target = verdict === 'EVX' ? (chance(r, 0.5) ? '-j EVX' : '-g EVX') : `-j ${verdict}`;
  return `${match} ${target}`;
}

/** The restore file adding the hand rules (and the chain EVX) on top of what is there. */
function handRules(r: Rng, f: Family, sets: string[], docker27: boolean): string {
  // DOCKER-USER is rewritten whole (one `-I` after another trips nft 1.8.9), Docker 27's `-j RETURN` last.
  const rules = some(r, [0], 4).map(() => `-A DOCKER-USER ${handRule(r, f, sets)}`);
  if (docker27) rules.push('-A DOCKER-USER -j RETURN');
  const evx = [`-A EVX -p tcp -m conntrack --ctorigdstport ${pick(r, HOST_PORTS)} -j ${pick(r, ['DROP', 'ACCEPT'])}`];
  if (chance(r, 0.5)) evx.push(`-A EVX -s ${source(r, f)} -j RETURN`);
  return ['*filter', ':DOCKER-USER - [0:0]', ':EVX - [0:0]', ...evx, ...rules, 'COMMIT', ''].join('\n');
}

/** A policy (dfw.ts policyYaml's fields, random): allow rules, sources, its own sets. */
export function randomPolicy(r: Rng): string {
  const pair = () => {
    const c = pick(r, LAB.clients);
    // Host routes written bare: `192.0.2.10` and `192.0.2.10/32` are one item, which the policy refuses twice.
    return (chance(r, 0.5) ? [c[4], c[6]] : [source(r, 4), source(r, 6)]).map((a) => a.replace(/\/(32|128)$/, ''));
  };
  const allow: string[] = [];
  const n = Math.floor(r() * 4);
  for (let i = 0; i < n; i++) {
    const from = chance(r, 0.3) ? 'any' : JSON.stringify([...new Set([...pair(), ...(chance(r, 0.4) ? pair() : [])])]);
    if (chance(r, 0.6)) {
      const port = pick(r, [
        String(pick(r, HOST_PORTS)),
        '"2000:3000"',
        `[${pick(r, HOST_PORTS)}, ${pick(r, HOST_PORTS)}]`,
      ]);
      allow.push(
        `  - name: r${i}\n    proto: tcp\n    port: ${port.includes('[') ? `[${[...new Set(port.slice(1, -1).split(', '))].join(', ')}]` : port}\n    from: ${from}`,
      );
    } else {
      const c = pick(r, ['c1', 'c2'] as const);
      const to = chance(r, 0.5) ? `\n    to: ["${LAB.containers[c][4]}", "${LAB.containers[c][6]}"]` : '';
      allow.push(
        `  - name: r${i}\n    proto: tcp\n    container_port: ${pick(r, CONTAINER_PORTS)}\n    from: ${from}${to}`,
      );
    }
  }
  const friends = [pick(r, LAB.clients), ...some(r, LAB.clients, 1)];
  return [
    'version: 1',
    'name: lab',
    `chain: ${pick(r, ['DOCKER-USER', 'DOCKER'])}`,
    'external: [eth0]',
    `established: ${chance(r, 0.8)}`,
    allow.length > 0 ? `allow:\n${allow.join('\n')}` : '',
    chance(r, 0.5) ? 'sources: [set:evfriends, set:evfriends6]' : '',
    `default: ${pick(r, ['drop', 'reject'])}`,
    'ipsets:',
    '  evfriends:',
    '    type: hash:net',
    '    family: inet',
    `    entries: ${JSON.stringify([...new Set(friends.map((c) => c[4]))])}`,
    '  evfriends6:',
    '    type: hash:net',
    '    family: inet6',
    `    entries: ${JSON.stringify([...new Set(friends.map((c) => c[6]))])}`,
    '',
  ]
    .filter((l) => l !== '')
    .join('\n');
}

/** Every inbound probe, and a container's own connections out: the connections predicted and tried. */
function specs(lab: Lab): ProbeSpec[] {
  const out: ProbeSpec[] = [];
  for (const f of FAMILIES) {
    for (const c of LAB.clients)
      for (const p of LAB.published)
        out.push({
          ns: lab.client,
          from: c.id,
          src: c[f],
          dst: LAB.hostAddr[f],
          port: p.hostPort,
          expect: 'open',
          banner: `${p.container}:${p.port}`,
        });
    const stranger = LAB.clients.find((c) => c.id === 'stranger')!;
    for (const port of LAB.clientPorts)
      out.push({ ns: lab.c1, from: 'c1', dst: stranger[f], port, expect: 'open', banner: `client:${port}` });
  }
  return out;
}

/** Back to Docker 29 with no sets: a list:set's members cannot be destroyed before it is flushed. */
export function resetLab(lab: Lab): void {
  const r = lab.host.run('ipset', ['flush']);
  if (r.status !== 0) throw new Error(`ipset flush failed: ${r.stderr}`);
  lab.resetToDocker();
}

export interface RandomRun {
  pairs: number;
  disagreements: string[];
  seen: Record<string, number>;
}

/**
 * `cases` random (ruleset, policy) cases, each probed with every connection of specs(); the
 * expectation of each probe is the evaluator's prediction.
 */
export async function randomDifferential(
  lab: Lab,
  dir: string,
  seed: number,
  cases: number,
  tag: string,
): Promise<RandomRun> {
  const r = mulberry32(seed);
  const run: RandomRun = { pairs: 0, disagreements: [], seen: {} };
  // A REJECT answers with an ICMP error, which the kernel rate-limits per destination (a burst of
  // 6, then one a second): dozens of rejected probes in a row would see timeouts where the
  // verdict is reject. The evaluator answers the verdict; the host answers every error here.
  lab.host.ok('sysctl', [
    '-qw',
    'net.ipv4.icmp_ratelimit=0',
    'net.ipv6.icmp.ratelimit=0',
    'net.ipv4.icmp_msgs_burst=10000',
  ]);
  try {
    for (let i = 0; i < cases; i++) await randomCase(lab, dir, r, i, tag, run);
  } finally {
    resetLab(lab);
  }
  return run;
}

async function randomCase(lab: Lab, dir: string, r: Rng, i: number, tag: string, run: RandomRun): Promise<void> {
  {
    const layout = pick(r, ['docker29', 'docker27'] as const);
    resetLab(lab);
    if (layout === 'docker27') for (const f of FAMILIES) lab.restore(f, docker27Ruleset(f));
    const sets = randomSets(r);
    if (sets.text !== '') lab.ipsetRestore(sets.text);
    for (const f of FAMILIES) {
      const text = handRules(r, f, sets.names[f], layout === 'docker27');
      try {
        lab.restore(f, text, { noflush: true });
      } catch (e) {
        throw new Error(`${String(e)}\nthe hand rules:\n${text}`, { cause: e });
      }
    }
    let what = `case ${i}: ${layout}, ${sets.names[4].length + sets.names[6].length} sets`;
    if (chance(r, 0.75)) {
      const policy = join(dir, `random-${i}.yaml`);
      writeFileSync(policy, randomPolicy(r));
      const mode = pick(r, ['full', 'noflush'] as const);
      await applyIpsets(lab, policy);
      await applyTransformBoth(lab, policy, mode);
      what += `, policy ${policy} (${mode})`;
    }
    const saved = saveState(lab);
    const rs = rulesets(saved);
    const all = specs(lab);
    const predicted = all.map((s) => predict(lab, rs, { ...s, seen: 'open', ms: 0, ok: true, line: '' }));
    const results: ProbeResult[] = await probe(
      `${tag} ${what}`,
      all.map((s, k) => ({ ...s, expect: predicted[k]!.seen === 'unknown' ? 'error' : predicted[k]!.seen })),
      // Not shorter: an IPv6 REJECT's first ICMPv6 error is often lost, the SYN sent again after 1 s gets it.
      1500,
    );
    results.forEach((res, k) => {
      const p = predicted[k]!;
      run.pairs++;
      run.seen[res.seen] = (run.seen[res.seen] ?? 0) + 1;
      if (p.seen === 'unknown' || !res.ok) {
        const f = res.dst.includes(':') ? 6 : 4;
        // The first disagreement of a case shows the dump it was predicted from.
        const first = !run.disagreements.some((d) => d.startsWith(`${what}:`));
        run.disagreements.push(
          `${what}: ${res.line}: predicted ${p.seen} (${p.why})${first ? `\n${saved.dumps[f]}` : ''}`,
        );
      }
    });
  }
}

export { applyPolicy };
