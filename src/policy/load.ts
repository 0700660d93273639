// Loads a policy (YAML 1.2; JSON is valid YAML), validates it against docs/design.md#the-policy
// and returns it normalised and frozen. Every problem is a DfwSyntaxError at the offending YAML
// node, with a message that starts with the node's path in the policy: `allow[1].port: expected ...`.
// The parts: yaml-reader.ts (positioned YAML access), allow.ts (rules and ports), sources.ts
// (addresses and sets), ipsets.ts (sets, checked by src/ipset's own tables).
//
// Decisions the policy format leaves open (the reasons are in the messages too):
// - List indices in paths are 0-based (`allow[0]` is the first rule).
// - `%YAML 1.1` documents are refused (there `yes`, `on` and `y` are booleans).
// - Each part's own decisions are in the comment at the top of its file.

import { isMap, isScalar } from 'yaml';
import type { DfwSyntaxError } from '../errors.js';
import { compareBytes, maskBytes, parseIPv4, parseIPv6 } from '../net/address.js';
import { formatPath, type Path } from '../text/path.js';
import { quoted } from '../text/quote.js';
import { checkRuleFamilies, readAllow, RESERVED_RULE_NAMES } from './allow.js';
import { readIpsets } from './ipsets.js';
import { checkInterface, checkPolicyName } from './names.js';
import { checkSourceSets, readSources } from './sources.js';
import type { Policy, Source } from './types.js';
import { type Field, type YamlReader, describe, isNull, readYaml } from './yaml-reader.js';

export { RESERVED_RULE_NAMES };

const TOP_KEYS = ['version', 'name', 'chain', 'external', 'established', 'allow', 'sources', 'default', 'ipsets'];

/** Words people write instead of a key, for "did you mean". */
const KEY_ALIASES: Record<string, string> = {
  rules: 'allow',
  accept: 'allow',
  interfaces: 'external',
  interface: 'external',
  iface: 'external',
  protocol: 'proto',
  ports: 'port',
  dport: 'container_port',
  containerport: 'container_port',
  container_ports: 'container_port',
  src: 'from',
  source: 'from',
  dst: 'to',
  dest: 'to',
  destination: 'to',
  policy: 'default',
  sets: 'ipsets',
  ipset: 'ipsets',
  allowlist: 'sources',
  elements: 'entries',
  members: 'entries',
  create: 'options',
};

/**
 * Parses, validates and normalises a policy. `file` is only used in error positions. The
 * result is deeply frozen: what was validated stays valid (later stages rely on it).
 * @throws DfwSyntaxError for every problem, at the offending node.
 */
export function loadPolicy(text: string, file: string): Policy {
  return deepFreeze(readPolicy(readYaml(text, file)));
}

function readPolicy(r: YamlReader): Policy {
  const top = topFields(r);
  const root = r.doc.contents as NonNullable<typeof r.doc.contents>;
  const required = (key: string, why: string): Field => top.get(key) ?? r.fail(root, [key], `missing: ${why}`);

  const name = r.name(
    required('name', "the policy name, part of every managed rule's tag (e.g. name: web)"),
    ['name'],
    checkPolicyName,
  );
  const chainField = top.get('chain');
  const chain = chainField ? r.enumOf(chainField, ['chain'], ['DOCKER-USER', 'DOCKER'] as const) : 'DOCKER-USER';
  const external = readExternal(
    r,
    required('external', 'the interfaces whose inbound traffic is filtered (e.g. external: [eth0])'),
  );
  const establishedField = top.get('established');
  const established = establishedField ? r.bool(establishedField, ['established']) : true;
  const allowField = top.get('allow');
  const rules = allowField ? readAllow(r, allowField, KEY_ALIASES) : [];
  const sourcesField = top.get('sources');
  const sources = sourcesField ? readSources(r, sourcesField, ['sources'], 'sources') : [];
  const defaultField = top.get('default');
  const dflt = defaultField ? r.enumOf(defaultField, ['default'], ['drop', 'reject'] as const) : 'drop';
  const ipsetsField = top.get('ipsets');
  const ipsets = ipsetsField ? readIpsets(r, ipsetsField, KEY_ALIASES) : [];

  for (const rule of rules) {
    checkSourceSets(r, rule.from, ipsets);
    checkRuleFamilies(r, rule, ipsets);
  }
  checkSourceSets(r, sources, ipsets);
  return {
    version: 1,
    name,
    chain,
    external,
    established,
    allow: rules.map((x) => x.rule),
    sources: sources.map((s) => s.source),
    default: dflt,
    ipsets,
  };
}

/** The top-level mapping; the version first, so that a file for another version gets that message. */
function topFields(r: YamlReader): Map<string, Field> {
  const root = r.doc.contents;
  if (root === null || isNull(root)) r.fail(0, [], 'empty policy: expected a mapping that starts with "version: 1"');
  if (!isMap(root)) {
    r.fail(root, [], `a policy is a mapping (version: 1, name: ..., external: ...), found ${describe(root)}`);
  }
  const top = r.fields(root, [], 'a mapping', root);
  const version = top.get('version');
  if (!version) r.fail(root, ['version'], 'missing: a policy starts with "version: 1"');
  const v = r.present(version, ['version'], '1');
  if (!isScalar(v) || v.value !== 1) {
    const other =
      isScalar(v) && typeof v.value === 'number'
        ? `unsupported policy version ${describe(v)}: this dfw reads version 1`
        : `expected 1, found ${describe(v)}`;
    r.fail(v, ['version'], other);
  }
  r.only(top, [], TOP_KEYS, KEY_ALIASES);
  return top;
}

function readExternal(r: YamlReader, f: Field): string[] {
  const path = ['external'];
  const expected = 'an interface name (e.g. eth0, or eth+ for all eth interfaces)';
  const node = r.present(f, path, `${expected}, or a list of these`);
  const items = r.list(node, path, true, expected);
  if (items.length === 0) {
    r.fail(
      node,
      path,
      'an empty list would filter nothing (every managed rule matches -i <external>): name at least one interface, e.g. [eth0]',
    );
  }
  const out: string[] = [];
  for (const it of items) {
    const s = r.str(it.node, it.path, expected, it.node);
    const bad = checkInterface(s);
    if (bad !== undefined) r.fail(it.node, it.path, bad);
    const dup = out.indexOf(s);
    if (dup >= 0) r.fail(it.node, it.path, `interface ${quoted(s)} is listed twice (also external[${dup}])`);
    out.push(s);
  }
  return out;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * A problem found after loading (by the compiler) at `path` in the policy: reported at the
 * YAML node of that path, or of the nearest parent the file has (`from` written as a scalar
 * has no `from[0]`).
 */
export function policyErrorAt(text: string, file: string, path: Path, reason: string): DfwSyntaxError {
  const r = readYaml(text, file);
  return r.errorAt(r.nearest(path) ?? 0, path, reason);
}

/**
 * The ipset names the policy matches on (`set:NAME` in allow[].from and sources), each once, in
 * order of first use. Declared or not: undeclared ones must exist in the host's `ipset save`.
 */
export function referencedSets(p: Policy): string[] {
  const out: string[] = [];
  const add = (s: Source): void => {
    if (s.kind === 'set' && !out.includes(s.name)) out.push(s.name);
  };
  for (const rule of p.allow) rule.from.forEach(add);
  p.sources.forEach(add);
  return out;
}

/** A policy item that another one of the same list already covers: its rules are redundant. */
export interface PolicyWarning {
  path: Path;
  reason: string;
}

/**
 * Items of a list that another item of the same list covers (`external: [eth0, eth+]`,
 * `from: [192.0.2.0/24, 192.0.2.7]`): valid, but each gives rules that can never match first.
 * Warnings, not errors: the policy does what it says.
 */
export function policyWarnings(p: Policy): PolicyWarning[] {
  const out: PolicyWarning[] = [];
  p.external.forEach((iface, i) => {
    const j = p.external.findIndex(
      (w, k) => k !== i && w.endsWith('+') && w !== iface && iface.startsWith(w.slice(0, -1)),
    );
    if (j >= 0)
      out.push({
        path: ['external', i],
        reason: `${iface} is covered by ${p.external[j]} (external[${j}]): its rules are redundant`,
      });
  });
  const sources = (list: readonly Source[], at: (i: number) => Path) =>
    list.forEach((s, i) => {
      if (s.kind !== 'cidr') return;
      const j = list.findIndex((o, k) => k !== i && o.kind === 'cidr' && o.cidr !== s.cidr && covers(o.cidr, s.cidr));
      if (j >= 0)
        out.push({
          path: at(i),
          reason: `${s.cidr} is inside ${(list[j] as { cidr: string }).cidr} (${formatPath(at(j))}): its rules are redundant`,
        });
    });
  p.allow.forEach((a, r) => sources(a.from, (i) => ['allow', r, 'from', i]));
  sources(p.sources, (i) => ['sources', i]);
  return out;
}

/** Whether the canonical CIDR `outer` holds every address of `inner` (same family). */
function covers(outer: string, inner: string): boolean {
  const [oa, ol] = outer.split('/');
  const [ia, il] = inner.split('/');
  const bytes = (a: string) => (a.includes(':') ? parseIPv6(a) : parseIPv4(a));
  const o = bytes(oa!);
  const i = bytes(ia!);
  if (o === undefined || i === undefined || o.length !== i.length || Number(ol) > Number(il)) return false;
  return compareBytes(maskBytes(i, Number(ol)), o) === 0;
}
