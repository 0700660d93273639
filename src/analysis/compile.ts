// A rule turned into what the evaluator runs: a list of tests (each true, false or unknown for
// a packet) and an action. Compiled once per rule, when its chain is first entered.
import type { Family, Option, Rule } from '../iptables/ast.js';
import { RULE_OPTIONS } from '../iptables/rule-options.js';
import { sourceText } from '../source.js';
import { printRule } from '../iptables/print.js';
import { matchTests } from './matches.js';
import { addrText, inNet, parseAddr, parseNet } from './net.js';
import type { Env, Pkt } from './packet.js';
import { protoNumber } from './sets.js';
import type { Tri } from './types.js';

export interface Test {
  /** The option as written (`! -s 192.0.2.0/24`), for messages. */
  readonly text: string;
  readonly eval: (p: Pkt, env: Env) => Tri;
  /** What the packet has instead, or why it cannot be decided (`source 203.0.113.66`). */
  readonly detail: (p: Pkt, env: Env) => string;
}

export type Action =
  | { readonly kind: 'accept' | 'drop' | 'reject' | 'return' | 'continue' | 'notrack' }
  | { readonly kind: 'jump' | 'goto'; readonly chain: string }
  | { readonly kind: 'dnat'; readonly addr?: readonly number[]; readonly port?: number }
  | { readonly kind: 'unknown'; readonly why: string };

export interface CompiledRule {
  readonly rule: Rule;
  /** 1-based position in its chain. */
  readonly number: number;
  readonly line?: number;
  /** The rule as iptables-save prints it, without counters. */
  readonly text: string;
  readonly tests: readonly Test[];
  readonly action: Action;
}

export function compileRule(rule: Rule, number: number, family: Family): CompiledRule {
  const spec = rule.spec;
  const tests: Test[] = [];
  for (const o of spec.options) {
    const t = ownTest(o, family);
    if (t !== undefined) tests.push(t);
  }
  for (const m of spec.matches) tests.push(...matchTests(m, family));
  const raw = sourceText(rule) ?? printRule(rule);
  const text = raw.charCodeAt(0) === 91 /* [ */ ? raw.slice(raw.indexOf(']') + 1).trimStart() : raw;
  return { rule, number, line: rule.source?.line, text, tests, action: actionOf(rule, family) };
}

export const neg = (o: Option): string => (o.negated ? '! ' : '');
export const optText = (o: Option): string => `${neg(o)}${o.flag} ${o.values.join(' ')}`.trimEnd();
const not = (v: Tri, negated: boolean): Tri => (v === 'unknown' ? v : negated ? !v : v);

/** `-i eth+`: a trailing `+` matches any interface whose name starts with the rest. */
export function ifaceMatches(pattern: string, name: string): boolean {
  return pattern.endsWith('+') ? name.startsWith(pattern.slice(0, -1)) : name === pattern;
}

function ownTest(o: Option, family: Family): Test | undefined {
  const flag = RULE_OPTIONS.get(o.flag)?.flag ?? o.flag;
  const text = optText(o);
  const v = o.values[0] ?? '';
  const unknown = (why: string): Test => ({ text, eval: () => 'unknown', detail: () => why });
  switch (flag) {
    case '-s':
    case '-d': {
      const net = parseNet(v);
      if (net === undefined || net.family !== family) return unknown(`cannot read address ${v}`);
      const key = flag === '-s' ? 'src' : 'dst';
      return {
        text,
        eval: (p) => not(inNet(net, p[key]), o.negated),
        detail: (p) => `${key === 'src' ? 'source' : 'destination'} ${addrText(p.family, p[key])}`,
      };
    }
    case '-i':
      return { text, eval: (p) => not(ifaceMatches(v, p.in), o.negated), detail: (p) => `in ${p.in}` };
    case '-o':
      return {
        text,
        eval: (p) => (p.out === undefined ? 'unknown' : not(ifaceMatches(v, p.out), o.negated)),
        detail: (p) =>
          p.out === undefined
            ? 'the out interface is not known (no route covers the destination: --route)'
            : `out ${p.out}`,
      };
    case '-p': {
      const n = v === 'all' || v === '0' ? 0 : protoNumber(v);
      if (n === undefined) return unknown(`protocol ${v} is not known`);
      return {
        text,
        eval: (p) => (p.proto === undefined ? 'unknown' : not(n === 0 || p.proto === n, o.negated)),
        detail: (p) => `protocol ${p.proto ?? 'unknown'}`,
      };
    }
    case '-f':
      // The packets evaluated are whole (first fragments at most).
      return { text, eval: () => o.negated, detail: () => 'not a fragment' };
    default:
      return undefined; // -c, -4, -6: not about the packet
  }
}

/** Targets that count, log or mark and let the packet go on (XT_CONTINUE). */
const CONTINUE = new Set([
  'LOG',
  'NFLOG',
  'ULOG',
  'TRACE',
  'AUDIT',
  'MARK',
  'CONNMARK',
  'CLASSIFY',
  'TCPMSS',
  'CHECKSUM',
  'TOS',
  'DSCP',
  'TTL',
  'HL',
  'SECMARK',
  'CONNSECMARK',
  'TEE',
  'IDLETIMER',
  'LED',
  'RATEEST',
  'SET',
  'ECN',
  'TCPOPTSTRIP',
  'HMARK',
]);

function actionOf(rule: Rule, family: Family): Action {
  const t = rule.spec.target;
  if (t === undefined) return { kind: 'continue' };
  if (t.kind === 'goto') return { kind: 'goto', chain: t.name };
  switch (t.name) {
    case 'ACCEPT':
      return { kind: 'accept' };
    case 'DROP':
      return { kind: 'drop' };
    case 'REJECT':
      return { kind: 'reject' };
    case 'RETURN':
      return { kind: 'return' };
    case 'NOTRACK':
      return { kind: 'notrack' };
    case 'CT':
      return t.options.some((o) => o.flag === '--notrack') ? { kind: 'notrack' } : { kind: 'continue' };
    case 'DNAT':
      return dnatAction(t.options, family);
    default:
      if (CONTINUE.has(t.name)) return { kind: 'continue' };
      // Any other name is a user chain, or a target dfw does not model (the walk tells which).
      return { kind: 'jump', chain: t.name };
  }
}

/** `--to-destination ADDR[:PORT]` (`[V6]:PORT`); a range of addresses or ports picks one per connection: unknown. */
function dnatAction(options: readonly Option[], family: Family): Action {
  const to = options.filter((o) => o.flag === '--to-destination' || o.flag === '--to');
  if (to.length !== 1) return { kind: 'unknown', why: 'DNAT without exactly one --to-destination' };
  const v = to[0]!.values[0] ?? '';
  let addr = v;
  let port: string | undefined;
  const m = /^\[([^\]]+)\](?::(.+))?$/.exec(v);
  if (m !== null) {
    addr = m[1]!;
    port = m[2];
  } else if (family === 4 && v.includes(':')) {
    addr = v.slice(0, v.indexOf(':'));
    port = v.slice(v.indexOf(':') + 1);
  }
  if (addr.includes('-') || (port !== undefined && port.includes('-')))
    return { kind: 'unknown', why: `DNAT to a range (${v}): the kernel picks one per connection` };
  const a = addr === '' ? undefined : parseAddr(addr);
  if (addr !== '' && (a === undefined || a.family !== family)) return { kind: 'unknown', why: `cannot read ${v}` };
  const n = port === undefined ? undefined : Number(port);
  if (n !== undefined && !(Number.isInteger(n) && n >= 0 && n <= 65535))
    return { kind: 'unknown', why: `cannot read ${v}` };
  return { kind: 'dnat', ...(a ? { addr: a.bytes } : {}), ...(n !== undefined ? { port: n } : {}) };
}
