// The walk: a packet arriving from outside through raw, mangle and nat PREROUTING, the routing
// decision, then mangle and filter INPUT or FORWARD, as the kernel walks them
// (docs/design.md#seeing-what-a-ruleset-does). Three values: where a match is unknown, both
// outcomes are walked; if they end alike the verdict stands, else it is unknown and says which
// rules it depends on.
import type { TableName } from '../iptables/ast.js';
import type { CompiledRule } from './compile.js';
import { type Hook, type Pkt } from './packet.js';
import type { Ruleset, TableIndex } from './ruleset.js';
import { type Route, checkPacket, makeEnv, routeOf, startPacket } from './start.js';
import type { Evaluation, Packet, Step, Tri, Verdict } from './types.js';

type Stage = { readonly table: TableName; readonly chain: Hook } | 'route';

const PRE: readonly Stage[] = [
  { table: 'raw', chain: 'PREROUTING' },
  { table: 'mangle', chain: 'PREROUTING' },
  { table: 'nat', chain: 'PREROUTING' },
  'route',
];
const INPUT: readonly Stage[] = [
  { table: 'mangle', chain: 'INPUT' },
  { table: 'filter', chain: 'INPUT' },
  { table: 'security', chain: 'INPUT' },
];
const FORWARD: readonly Stage[] = [
  { table: 'mangle', chain: 'FORWARD' },
  { table: 'filter', chain: 'FORWARD' },
  { table: 'security', chain: 'FORWARD' },
];

/** Chains deeper than this are a loop (iptables refuses loops when loading; a hand-made dump may have one). */
export const MAX_DEPTH = 64;
/** Rules met on all branches together before the answer is given up as unknown. */
export const MAX_STEPS = 2_000_000;

interface Frame {
  readonly table: TableIndex;
  readonly chain: string;
  readonly rules: readonly CompiledRule[];
  i: number;
}

/** The steps so far, shared between branches (a fork costs nothing). */
interface PathNode {
  readonly step: Step;
  readonly prev: PathNode | undefined;
}

interface Walk {
  pkt: Pkt;
  stages: readonly Stage[];
  stage: number;
  stack: Frame[];
  path: PathNode | undefined;
  delivery: Route | undefined;
}

interface Outcome {
  readonly verdict: Verdict;
  readonly walk: Walk;
  readonly deps: readonly Step[];
}

class Walker {
  steps = 0;

  constructor(
    readonly rs: Ruleset,
    readonly env: ReturnType<typeof makeEnv>,
  ) {}

  /** Walks on from `w` (which it changes) to a verdict. */
  run(w: Walk): Outcome {
    for (;;) {
      if (++this.steps > MAX_STEPS) return this.giveUp(w, `more than ${MAX_STEPS} rules met on all branches`);
      if (w.stack.length === 0) {
        const done = this.nextStage(w);
        if (done !== undefined) return done;
        continue;
      }
      const frame = w.stack[w.stack.length - 1]!;
      if (frame.i >= frame.rules.length) {
        const end = this.chainEnd(w);
        if (end !== undefined) return end;
        continue;
      }
      const rule = frame.rules[frame.i++]!;
      const { value, why } = this.test(rule, w.pkt);
      const step: Step = {
        table: frame.table.name,
        chain: frame.chain,
        rule: rule.number,
        ...(rule.line !== undefined ? { line: rule.line } : {}),
        text: rule.text,
        matched: value,
        why,
        kind: 'rule',
      };
      w.path = { step, prev: w.path };
      if (value === false) continue;
      if (value === true) {
        const end = this.act(w, rule, step);
        if (end !== undefined) return end;
        continue;
      }
      const other = fork(w);
      const matched = this.act(w, rule, step) ?? this.run(w);
      return combine(step, matched, this.run(other));
    }
  }

  test(rule: CompiledRule, pkt: Pkt): { value: Tri; why: string } {
    let unknown: string | undefined;
    for (const t of rule.tests) {
      const v = t.eval(pkt, this.env);
      if (v === false) return { value: false, why: `${t.text}: ${t.detail(pkt, this.env)}` };
      if (v === 'unknown' && unknown === undefined) unknown = `${t.text}: ${t.detail(pkt, this.env)}`;
    }
    return unknown === undefined ? { value: true, why: 'matched' } : { value: 'unknown', why: unknown };
  }

  /** Starts the next stage, or ends the walk after the last one (accepted). */
  nextStage(w: Walk): Outcome | undefined {
    const st = w.stages[w.stage];
    if (st === undefined) return { verdict: 'accept', walk: w, deps: [] };
    if (st === 'route') return this.route(w);
    w.stage++;
    const table = this.rs.tables.get(st.table);
    if (table === undefined) return undefined;
    // nat sees only a connection's first packet; a reply or an untracked packet never enters it.
    if (st.table === 'nat' && (w.pkt.reply || w.pkt.ctAfter === 'untracked')) return undefined;
    const ct = st.table === 'raw' ? 'none' : st.table === 'nat' ? 'new' : w.pkt.ctAfter;
    w.pkt = { ...w.pkt, hook: st.chain, table: st.table, ct };
    w.stack = [{ table, chain: st.chain, rules: table.rules(st.chain), i: 0 }];
    return undefined;
  }

  /** The routing decision after nat PREROUTING: delivered locally (INPUT) or forwarded. */
  route(w: Walk): Outcome | undefined {
    w.stage++;
    const local = this.env.isLocal(w.pkt.family, w.pkt.dst);
    const go = (x: Walk, isLocal: boolean): void => {
      const r = routeOf(this.rs, x.pkt, isLocal);
      x.delivery = r;
      x.pkt = { ...x.pkt, out: r.out };
      x.stages = isLocal ? INPUT : FORWARD;
      x.stage = 0;
    };
    if (local !== 'unknown') {
      go(w, local);
      return undefined;
    }
    const step: Step = {
      table: 'nat',
      chain: 'PREROUTING',
      rule: 0,
      text: 'routing decision',
      matched: 'unknown',
      why: `whether ${this.env.text(w.pkt.dst)} is an address of the host is not known (give the host's addresses: --local)`,
      kind: 'routing',
    };
    w.path = { step, prev: w.path };
    const other = fork(w);
    go(w, true);
    go(other, false);
    return combine(step, this.run(w), this.run(other));
  }

  /** The end of a chain: back to the caller, or the hook's policy. */
  chainEnd(w: Walk): Outcome | undefined {
    if (w.stack.length > 1) {
      w.stack.pop();
      return undefined;
    }
    const frame = w.stack[0]!;
    const hook = w.stages[w.stage - 1] as { table: TableName; chain: Hook };
    const decl = frame.table.decl(hook.chain);
    const policy = decl?.policy ?? 'ACCEPT';
    const step: Step = {
      table: hook.table,
      chain: hook.chain,
      rule: 0,
      ...(decl?.line !== undefined ? { line: decl.line } : {}),
      text: decl?.text ?? `:${hook.chain} ACCEPT`,
      matched: true,
      why: `end of chain ${hook.chain}: policy ${policy}`,
      kind: 'policy',
    };
    w.path = { step, prev: w.path };
    w.stack = [];
    if (policy === 'DROP') return { verdict: 'drop', walk: w, deps: [] };
    if (policy === 'ACCEPT') return undefined;
    return this.giveUp(w, `policy ${policy} of ${hook.chain} is not ACCEPT or DROP`);
  }

  /** What a matched rule does; undefined to go on walking. */
  act(w: Walk, rule: CompiledRule, step: Step): Outcome | undefined {
    const a = rule.action;
    switch (a.kind) {
      case 'accept':
        w.stack = [];
        return undefined;
      case 'drop':
        return { verdict: 'drop', walk: w, deps: [] };
      case 'reject':
        return { verdict: 'reject', walk: w, deps: [] };
      case 'continue':
        return undefined;
      case 'return':
        if (w.stack.length > 1) w.stack.pop();
        else w.stack[0]!.i = Number.POSITIVE_INFINITY;
        return undefined;
      case 'notrack':
        if (w.pkt.table === 'raw') w.pkt = { ...w.pkt, ctAfter: 'untracked' };
        return undefined;
      case 'dnat':
        return this.dnat(w, a.addr, a.port, step);
      case 'jump':
      case 'goto':
        return this.enter(w, a.kind, a.chain, step);
      case 'unknown':
        return { verdict: 'unknown', walk: w, deps: [{ ...step, matched: 'unknown', why: a.why }] };
    }
  }

  dnat(w: Walk, addr: readonly number[] | undefined, port: number | undefined, step: Step): Outcome | undefined {
    if (w.pkt.table !== 'nat')
      return { verdict: 'unknown', walk: w, deps: [{ ...step, why: 'DNAT outside the nat table' }] };
    const dst = addr ?? w.pkt.dst;
    const dport = port ?? w.pkt.dport;
    const changed = this.env.text(dst) !== this.env.text(w.pkt.dst) || dport !== w.pkt.dport;
    w.pkt = { ...w.pkt, dst, dport, dnat: w.pkt.dnat || changed };
    w.stack = [];
    return undefined;
  }

  enter(w: Walk, how: 'jump' | 'goto', chain: string, step: Step): Outcome | undefined {
    const frame = w.stack[w.stack.length - 1]!;
    const table = frame.table;
    if (table.decl(chain) === undefined && table.rules(chain).length === 0)
      return {
        verdict: 'unknown',
        walk: w,
        deps: [
          { ...step, matched: 'unknown', why: `target ${chain} is not modelled (nor a chain of table ${table.name})` },
        ],
      };
    if (w.stack.length >= MAX_DEPTH) return this.giveUp(w, `chains nested more than ${MAX_DEPTH} deep (a loop?)`);
    const next: Frame = { table, chain, rules: table.rules(chain), i: 0 };
    // A goto from the hook's own chain: at the end of the target, the hook's policy applies.
    if (how === 'goto' && w.stack.length > 1) w.stack[w.stack.length - 1] = next;
    else if (how === 'goto') w.stack = [next];
    else w.stack.push(next);
    return undefined;
  }

  giveUp(w: Walk, why: string): Outcome {
    const frame = w.stack[w.stack.length - 1];
    const step: Step = {
      table: frame?.table.name ?? 'filter',
      chain: frame?.chain ?? '',
      rule: 0,
      text: 'evaluation stopped',
      matched: 'unknown',
      why,
      kind: 'routing',
    };
    w.path = { step, prev: w.path };
    return { verdict: 'unknown', walk: w, deps: [step] };
  }
}

function fork(w: Walk): Walk {
  return { ...w, stack: w.stack.map((f) => ({ ...f })) };
}

/** Both outcomes of an unknown match: the verdict stands when they agree. The path shown is the not-matched one. */
function combine(step: Step, matched: Outcome, notMatched: Outcome): Outcome {
  if (matched.verdict === notMatched.verdict && matched.verdict !== 'unknown') return notMatched;
  const deps = new Set<Step>([step, ...matched.deps, ...notMatched.deps]);
  return { verdict: 'unknown', walk: notMatched.walk, deps: [...deps] };
}

function pathOf(node: PathNode | undefined): Step[] {
  const out: Step[] = [];
  for (let n = node; n !== undefined; n = n.prev) out.push(n.step);
  return out.reverse();
}

/**
 * What the kernel does with `packet`, arriving on `packet.in`, given the prepared ruleset:
 * every rule met, and the verdict (accept, drop, reject, or unknown with the rules it depends on).
 * Throws DfwError when the packet is not one (a bad address, a family other than the dump's,
 * a port without tcp/udp/sctp...).
 */
export function evaluate(rs: Ruleset, packet: Packet): Evaluation {
  checkPacket(rs, packet);
  const env = makeEnv(rs);
  const walker = new Walker(rs, env);
  const w: Walk = { pkt: startPacket(packet), stages: PRE, stage: 0, stack: [], path: undefined, delivery: undefined };
  const out = walker.run(w);
  const end = out.walk;
  const delivery = end.delivery ?? routeOf(rs, end.pkt, env.isLocal(end.pkt.family, end.pkt.dst) === true);
  return {
    verdict: out.verdict,
    path: pathOf(end.path),
    dependsOn: out.verdict === 'unknown' ? out.deps : [],
    delivery: { hook: delivery.hook, ...(delivery.out !== undefined ? { out: delivery.out } : {}) },
    dst: env.text(end.pkt.dst),
    ...(end.pkt.dport !== undefined ? { dport: end.pkt.dport } : {}),
  };
}
