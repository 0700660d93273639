// The `allow` rules of a policy.
//
// - Every allow rule needs `proto` and exactly one of `port` / `container_port`.
// - Rule names default to `allow-<index>` (0-based, as paths in messages are), so the name in a
//   tag and the path in an error agree; `established`, `sources`, `default`, `jump` and
//   `forward` are reserved for the rules dfw generates.
// - A rule whose `to` addresses share no family with its `from` items could never match: refused.

import { isScalar, isSeq } from 'yaml';
import { type Family, familyName, familyOfInet, FAMILIES } from '../net/family.js';
import { formatPath, type Path } from '../text/path.js';
import { quoted } from '../text/quote.js';
import { checkRuleName } from './names.js';
import { PORT_EXPECTED, type PortResult, parsePortNumber, parsePortString } from './ports.js';
import { readSelector, SELECTOR_KEYS } from './selector.js';
import { type CidrSource, type SourceAt, readSources, readTo } from './sources.js';
import type { AllowRule, IpsetSpec, PortRange, Source } from './types.js';
import { type Field, type Item, type YamlNode, type YamlReader, describe } from './yaml-reader.js';

/** Names dfw gives its own generated rules (tags `dfw:<policy>:established` and so on). */
export const RESERVED_RULE_NAMES: readonly string[] = ['established', 'sources', 'default', 'jump', 'forward'];

export const RULE_KEYS = ['name', 'proto', 'port', 'container_port', 'from', 'to', ...SELECTOR_KEYS];

/** A rule as read, with the nodes later checks report at. */
export interface RuleAt {
  rule: AllowRule;
  path: Path;
  node: YamlNode;
  nameNode: YamlNode | undefined;
  from: SourceAt[];
  toNode: YamlNode | undefined;
}

/** The `allow` list; rule names must be unique. */
export function readAllow(r: YamlReader, f: Field, aliases: Record<string, string>): RuleAt[] {
  const node = r.present(f, ['allow'], 'a list of rules (write [] for none)');
  if (!isSeq(node)) r.fail(node, ['allow'], `expected a list of rules, found ${describe(node)}`);
  const rules = r.list(node, ['allow'], false, 'a rule').map((it, i) => readRule(r, it, i, aliases));
  const seen = new Map<string, RuleAt>();
  for (const rule of rules) {
    const first = seen.get(rule.rule.name);
    if (first) {
      const firstName = first.nameNode
        ? `${formatPath(first.path)}.name`
        : `${formatPath(first.path)}, named by default`;
      const whatHere = rule.nameNode ? '' : ' (the default name of this rule)';
      r.fail(
        rule.nameNode ?? rule.node,
        rule.nameNode ? [...rule.path, 'name'] : rule.path,
        `duplicate rule name ${quoted(rule.rule.name)}${whatHere}; already used by ${firstName}`,
      );
    }
    seen.set(rule.rule.name, rule);
  }
  return rules;
}

function readRule(r: YamlReader, it: Item, index: number, aliases: Record<string, string>): RuleAt {
  const { path } = it;
  const f = r.fields(it.node, path, 'a rule (a mapping with proto, port or container_port, from)', it.node);
  r.only(f, path, RULE_KEYS, aliases);
  const nameField = f.get('name');
  const name = nameField ? ruleName(r, nameField, [...path, 'name']) : `allow-${index}`;

  const protoField = f.get('proto');
  if (!protoField)
    r.fail(it.node, [...path, 'proto'], 'missing: every rule matches ports, so it needs proto: tcp, udp or sctp');
  const proto = r.enumOf(protoField, [...path, 'proto'], ['tcp', 'udp', 'sctp'] as const);

  const portField = f.get('port');
  const containerField = f.get('container_port');
  if (portField && containerField) {
    r.fail(
      containerField.key,
      [...path, 'container_port'],
      'give port (the published host port) or container_port (the port inside the container), not both; to pick a container, use "to"',
    );
  }
  // A rule naming containers may leave both out: every port they publish.
  const select = readSelector(r, f, path);
  if (select && f.get('to')) {
    r.fail(
      f.get('to')!.key,
      [...path, 'to'],
      `to (container addresses) does not go with ${select.kind}: the --containers snapshot gives the addresses`,
    );
  }
  if (!portField && !containerField && !select) {
    r.fail(
      it.node,
      [...path, 'port'],
      'missing: each rule needs port (published host port) or container_port (port inside the container); to let a source reach every port, list it under sources',
    );
  }

  // Read in document order of the schema; build the rule with its keys in the order of types.ts.
  const port = portField ? readPorts(r, portField, [...path, 'port']) : undefined;
  const containerPort = containerField ? readPorts(r, containerField, [...path, 'container_port']) : undefined;
  const fromField = f.get('from');
  const from = fromField
    ? readSources(r, fromField, [...path, 'from'], 'from')
    : [{ source: { kind: 'any' } as Source, item: it }];
  const toField = f.get('to');
  const to = toField ? readTo(r, toField, [...path, 'to']) : undefined;
  const toNode = toField ? (toField.value ?? toField.key) : undefined;

  const rule: AllowRule = {
    name,
    proto,
    ...(port && { port }),
    ...(containerPort && { containerPort }),
    ...(to && { to }),
    from: from.map((s) => s.source),
    ...(select && { select }),
  };
  return { rule, path, node: it.node, nameNode: nameField?.value ?? undefined, from, toNode };
}

function ruleName(r: YamlReader, f: Field, path: Path): string {
  const name = r.name(f, path, checkRuleName);
  if (RESERVED_RULE_NAMES.includes(name)) {
    r.fail(
      f.value ?? f.key,
      path,
      `${quoted(name)} is reserved for a rule dfw generates (tag dfw:<policy>:${name}); choose another name`,
    );
  }
  return name;
}

/** `port` or `container_port`: a port, a range or a list of these, each once. */
function readPorts(r: YamlReader, f: Field, path: Path): PortRange[] {
  const whole = PORT_EXPECTED.replace(/^expected /, '');
  const node = r.present(f, path, whole);
  const items = r.list(node, path, true, 'a port (1-65535) or a range "8000:8100"', whole);
  if (items.length === 0) r.fail(node, path, 'an empty list matches no port: give at least one');
  const out: PortRange[] = [];
  const where: Path[] = [];
  for (const it of items) {
    const n = it.node;
    let p: PortResult;
    if (isScalar(n) && typeof n.value === 'number') p = parsePortNumber(n.value, n.source);
    else if (isScalar(n) && typeof n.value === 'string') {
      r.checkText(n, it.path, n.value);
      p = parsePortString(n.value);
    } else r.fail(n, it.path, `${PORT_EXPECTED}, found ${describe(n)}`);
    if (!p.ok) r.fail(n, it.path, p.reason);
    const range = p.value;
    const dup = out.findIndex((x) => x.from === range.from && x.to === range.to);
    if (dup >= 0) r.fail(n, it.path, `port ${describe(n)} is listed twice (also ${formatPath(where[dup] ?? path)})`);
    out.push(range);
    where.push(it.path);
  }
  return out;
}

/** A rule whose `to` addresses share no family with its sources could never match. */
export function checkRuleFamilies(r: YamlReader, rule: RuleAt, ipsets: readonly IpsetSpec[]): void {
  if (rule.rule.to === undefined || rule.toNode === undefined) return;
  const fromFamilies = new Set<Family>();
  for (const { source } of rule.from) {
    for (const f of sourceFamilies(source, ipsets)) fromFamilies.add(f);
  }
  const toFamilies = new Set(rule.rule.to.map((t: CidrSource) => t.family));
  if (![...toFamilies].some((x) => fromFamilies.has(x))) {
    const name = (fams: Set<Family>): string => [...fams].map(familyName).join(' and ');
    r.fail(
      rule.toNode,
      [...rule.path, 'to'],
      `the container addresses are ${name(toFamilies)} but every source in from is ${name(fromFamilies)}: the rule could never match`,
    );
  }
}

/** The families a source may match: a set not declared in the policy may be of either. */
function sourceFamilies(source: Source, ipsets: readonly IpsetSpec[]): readonly Family[] {
  if (source.kind === 'any') return FAMILIES;
  if (source.kind === 'cidr') return [source.family];
  const declared = ipsets.find((s) => s.name === source.name);
  return declared === undefined ? FAMILIES : [familyOfInet(declared.family)];
}
