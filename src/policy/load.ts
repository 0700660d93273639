// Loads a policy (YAML 1.2; JSON is valid YAML), validates it against docs/design.md#the-policy
// and returns it normalised. Every problem is a DfwSyntaxError at the offending YAML node, with a
// message that starts with the node's path in the policy: `allow[1].port: expected ...`.
//
// Decisions the policy's fields leave open (docs/design.md#policy-fields; the reasons are in the messages too):
// - List indices in paths are 0-based (`allow[0]` is the first rule); default rule names use the
//   same index (`allow-0`), so the name in a tag and the path in an error agree.
// - An explicit empty value (`from:` with nothing after it) is refused, never read as "absent":
//   a template that renders an empty variable must not turn `from` into `any`.
// - Every allow rule needs `proto` and exactly one of `port` / `container_port`.
// - `any` cannot be mixed with other items; `0.0.0.0/0` and `::/0` are refused ("write any").
//   `sources` and `to` accept no `any` at all. Items that are the same after normalisation
//   (10.1.2.3/8 and 10.0.0.0/8) are refused as duplicates, in every list.
// - A rule whose `to` addresses share no family with its `from` items could never match: refused.
// - Rule names `established`, `sources` and `default` are reserved for the rules dfw generates.
// - `%YAML 1.1` documents are refused (there `yes`, `on` and `y` are booleans).

import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Document, Node as YamlNode, Scalar, YAMLMap } from 'yaml';
import { DfwSyntaxError } from '../errors.js';
import { TIMEOUT_MAX } from '../ipset/header.js';
import { parseCidr } from './addresses.js';
import { checkInterface, checkPolicyName, checkRuleName, checkSetName, firstControl, quoted } from './names.js';
import { PORT_EXPECTED, parsePortNumber, parsePortString } from './ports.js';
import { didYouMean } from './suggest.js';
import type { AllowRule, Family, IpsetSpec, Policy, PortRange, Source } from './types.js';

/** Names dfw gives its own generated rules (tags `dfw:<policy>:established` and so on). */
export const RESERVED_RULE_NAMES: readonly string[] = ['established', 'sources', 'default'];

/** ipset types (ipset 7.x, `ipset help`). */
export const IPSET_TYPES: readonly string[] = [
  'hash:ip',
  'hash:mac',
  'hash:ip,mac',
  'hash:net',
  'hash:net,net',
  'hash:ip,port',
  'hash:net,port',
  'hash:ip,port,ip',
  'hash:ip,port,net',
  'hash:ip,mark',
  'hash:net,port,net',
  'hash:net,iface',
  'bitmap:ip',
  'bitmap:ip,mac',
  'bitmap:port',
  'list:set',
];

type OptionKind = 'count' | 'size' | 'flag' | 'word' | 'hex';
/** `ipset create` options (other than family) and the shape of their values. */
const IPSET_OPTIONS: Record<string, OptionKind> = {
  hashsize: 'size',
  maxelem: 'size',
  bucketsize: 'size',
  size: 'size',
  timeout: 'count',
  netmask: 'count',
  counters: 'flag',
  comment: 'flag',
  skbinfo: 'flag',
  forceadd: 'flag',
  markmask: 'hex',
  initval: 'hex',
  range: 'word',
  bitmask: 'word',
};

const TOP_KEYS = ['version', 'name', 'chain', 'external', 'established', 'allow', 'sources', 'default', 'ipsets'];
const RULE_KEYS = ['name', 'proto', 'port', 'container_port', 'from', 'to'];
const IPSET_KEYS = ['type', 'family', 'options', 'entries'];
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

type Segment = string | number;
type Path = readonly Segment[];

/** `allow[1].port`, `ipsets.ipfriends.options.hashsize`, `ipsets["a b"]`. */
export function formatPath(path: Path): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${quoted(seg)}]`;
  }
  return out;
}

function isNull(node: YamlNode | null): boolean {
  return node === null || (isScalar(node) && node.value === null);
}

/** For "found X": `"http"`, `70000`, `true`, `a list`, `a mapping`, `nothing`. */
function describe(node: YamlNode | null): string {
  if (node === null || isNull(node)) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const v = node.value;
    if (typeof v === 'string') return quoted(v.length > 60 ? `${v.slice(0, 60)}…` : v);
    if (typeof v === 'number') return node.source ?? String(v);
    return String(v);
  }
  return 'something else';
}

interface Field {
  key: Scalar;
  /** The value, aliases resolved; null when the key has no value node at all. */
  value: YamlNode | null;
}

interface Item {
  node: YamlNode;
  path: Path;
}

/** A `from`/`sources` item as read, with where it was. */
interface SourceAt {
  source: Source;
  item: Item;
}

class Loader {
  constructor(
    private readonly text: string,
    private readonly file: string,
    private readonly lines: LineCounter,
    private readonly doc: Document,
  ) {}

  fail(where: YamlNode | number, path: Path, reason: string): never {
    const offset = typeof where === 'number' ? where : (where.range?.[0] ?? 0);
    const { line, col } = this.lines.linePos(offset);
    const start = this.lines.lineStarts[line - 1] ?? 0;
    const next = this.lines.lineStarts[line];
    const source = this.text
      .slice(start, next ?? this.text.length)
      .replace(/\r?\n$/, '')
      .replace(/\r$/, '');
    const shown = formatPath(path);
    throw new DfwSyntaxError(shown === '' ? reason : `${shown}: ${reason}`, {
      file: this.file,
      line,
      column: col,
      source,
    });
  }

  deref(node: unknown): YamlNode | null {
    if (node === null || node === undefined) return null;
    if (isAlias(node)) return this.deref(node.resolve(this.doc));
    return node as YamlNode;
  }

  /** A mapping's fields, refusing non-string and duplicate keys (not unknown ones: see only()). */
  fields(node: YamlNode | null, path: Path, expected: string, at: YamlNode | number): Map<string, Field> {
    if (node === null || !isMap(node)) this.fail(node ?? at, path, `expected ${expected}, found ${describe(node)}`);
    const out = new Map<string, Field>();
    for (const pair of (node as YAMLMap).items) {
      const key = this.deref(pair.key);
      if (key === null || !isScalar(key) || typeof key.value !== 'string') {
        const found =
          key !== null && isScalar(key) && typeof key.value === 'symbol'
            ? '"<<" (merge keys are not supported)'
            : describe(key);
        this.fail(key ?? node, path, `keys must be strings, found ${found}`);
      }
      const name = key.value as string;
      this.checkText(key, [...path, name], name, 'key');
      const first = out.get(name);
      if (first) {
        const line = this.lines.linePos(first.key.range?.[0] ?? 0).line;
        this.fail(key, [...path, name], `duplicate key (first given at line ${line})`);
      }
      out.set(name, { key, value: this.deref(pair.value) });
    }
    return out;
  }

  /** Refuses keys outside `allowed`, with a suggestion for near misses. */
  only(fields: Map<string, Field>, path: Path, allowed: readonly string[]): void {
    for (const [name, f] of fields) {
      if (!allowed.includes(name)) {
        const hint = name === '<<' ? ' (merge keys are not supported)' : didYouMean(name, allowed, KEY_ALIASES);
        this.fail(f.key, [...path, name], `unknown key${hint}; expected one of: ${allowed.join(', ')}`);
      }
    }
  }

  /** Refuses explicit tags outside YAML 1.2's core schema anywhere under `node`. */
  refuseTags(node: YamlNode | null, path: Path): void {
    if (node === null) return;
    const tag = node.tag?.replace(/^tag:yaml\.org,2002:/, '!!');
    if (tag !== undefined && !CORE_TAGS.has(tag)) {
      this.fail(
        node,
        path,
        `a ${tag} value: a policy holds plain YAML values (strings, numbers, booleans, lists, mappings); write the value itself`,
      );
    }
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = pair.key as YamlNode | null;
        this.refuseTags(key, path);
        this.refuseTags(pair.value as YamlNode | null, [...path, isScalar(key) ? String(key.value) : '?']);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => this.refuseTags(item as YamlNode | null, [...path, i]));
    }
  }

  /** Refuses control characters in any string taken from the policy. */
  checkText(node: YamlNode, path: Path, s: string, what = 'value'): void {
    const c = firstControl(s);
    if (c !== undefined) {
      this.fail(
        node,
        path,
        `the ${what} ${quoted(s.length > 60 ? `${s.slice(0, 60)}…` : s)} contains a control character (${c}): policy strings end up in files that root loads`,
      );
    }
  }

  str(node: YamlNode | null, path: Path, expected: string, at: YamlNode): string {
    if (node !== null && isScalar(node) && typeof node.value === 'string') {
      this.checkText(node, path, node.value);
      return node.value;
    }
    this.fail(node ?? at, path, `expected ${expected}, found ${describe(node)}`);
  }

  /** A present field's value; `nothing` is refused (see the file comment). */
  present(f: Field, path: Path, expected: string): YamlNode {
    if (isNull(f.value)) this.fail(f.value ?? f.key, path, `expected ${expected}, found nothing`);
    return f.value as YamlNode;
  }

  /**
   * A list, or (when single is true) one scalar standing for a list of one. `expected` names an
   * item; `whole`, if given, replaces "<expected>, or a list of these" in the error.
   */
  list(node: YamlNode, path: Path, single: boolean, expected: string, whole?: string): Item[] {
    if (isSeq(node)) {
      return node.items.map((it, i) => {
        const n = this.deref(it);
        const p = [...path, i];
        if (n === null) this.fail(node, p, `expected ${expected}, found nothing`);
        return { node: n, path: p };
      });
    }
    if (single && isScalar(node)) return [{ node, path }];
    const what = whole ?? (single ? `${expected}, or a list of these` : 'a list');
    this.fail(node, path, `expected ${what}, found ${describe(node)}`);
  }

  enumOf<T extends string>(f: Field, path: Path, values: readonly T[]): T {
    const expected = values.map((v) => JSON.stringify(v)).join(' or ');
    const node = this.present(f, path, expected);
    const s = this.str(node, path, expected, f.key);
    if (!(values as readonly string[]).includes(s))
      this.fail(node, path, `expected ${expected}, found ${describe(node)}${didYouMean(s, values)}`);
    return s as T;
  }

  bool(f: Field, path: Path): boolean {
    const node = this.present(f, path, 'true or false');
    if (isScalar(node) && typeof node.value === 'boolean') return node.value;
    const s = isScalar(node) && typeof node.value === 'string' ? node.value.toLowerCase() : '';
    const hint = ['yes', 'on', 'y', 'no', 'off', 'n'].includes(s) ? ' (YAML 1.2 reads yes/no/on/off as strings)' : '';
    this.fail(node, path, `expected true or false, found ${describe(node)}${hint}`);
  }

  // ---- the policy ------------------------------------------------------------------------------

  policy(): Policy {
    const root = this.doc.contents;
    if (root === null || isNull(root)) {
      this.fail(0, [], 'empty policy: expected a mapping that starts with "version: 1"');
    }
    if (!isMap(root)) {
      this.fail(root, [], `a policy is a mapping (version: 1, name: ..., external: ...), found ${describe(root)}`);
    }
    const top = this.fields(root, [], 'a mapping', root);

    // The version first: a file written for another version gets that message, not unknown keys.
    const version = top.get('version');
    if (!version) this.fail(root, ['version'], 'missing: a policy starts with "version: 1"');
    const v = this.present(version, ['version'], '1');
    if (!isScalar(v) || v.value !== 1) {
      const other =
        isScalar(v) && typeof v.value === 'number'
          ? `unsupported policy version ${describe(v)}: this dfw reads version 1`
          : `expected 1, found ${describe(v)}`;
      this.fail(v, ['version'], other);
    }
    this.only(top, [], TOP_KEYS);

    const nameField = top.get('name');
    if (!nameField)
      this.fail(root, ['name'], "missing: the policy name, part of every managed rule's tag (e.g. name: web)");
    const name = this.name(nameField, ['name'], checkPolicyName);

    const chainField = top.get('chain');
    const chain = chainField ? this.enumOf(chainField, ['chain'], ['DOCKER-USER', 'DOCKER'] as const) : 'DOCKER-USER';

    const externalField = top.get('external');
    if (!externalField)
      this.fail(
        root,
        ['external'],
        'missing: the interfaces whose inbound traffic is filtered (e.g. external: [eth0])',
      );
    const external = this.external(externalField);

    const establishedField = top.get('established');
    const established = establishedField ? this.bool(establishedField, ['established']) : true;

    const allowField = top.get('allow');
    const rules = allowField ? this.allow(allowField) : [];

    const sourcesField = top.get('sources');
    const sources = sourcesField ? this.sources(sourcesField) : [];

    const defaultField = top.get('default');
    const dflt = defaultField ? this.enumOf(defaultField, ['default'], ['drop', 'reject'] as const) : 'drop';

    const ipsetsField = top.get('ipsets');
    const ipsets = ipsetsField ? this.ipsets(ipsetsField) : [];

    for (const r of rules) this.checkFamilies(r, ipsets);

    return {
      version: 1,
      name,
      chain,
      external,
      established,
      allow: rules.map((r) => r.rule),
      sources: sources.map((s) => s.source),
      default: dflt,
      ipsets,
    };
  }

  name(f: Field, path: Path, check: (s: string) => string | undefined): string {
    const expected = 'a name (letters, digits, "_", "." and "-")';
    const node = this.present(f, path, expected);
    const s =
      isScalar(node) && typeof node.value === 'number'
        ? String(node.source ?? node.value)
        : this.str(node, path, expected, f.key);
    const bad = check(s);
    if (bad !== undefined) this.fail(node, path, bad);
    return s;
  }

  external(f: Field): string[] {
    const path = ['external'];
    const expected = 'an interface name (e.g. eth0, or eth+ for all eth interfaces)';
    const node = this.present(f, path, `${expected}, or a list of these`);
    const items = this.list(node, path, true, expected);
    if (items.length === 0) {
      this.fail(
        node,
        path,
        'an empty list would filter nothing (every managed rule matches -i <external>): name at least one interface, e.g. [eth0]',
      );
    }
    const out: string[] = [];
    for (const it of items) {
      const s = this.str(it.node, it.path, expected, it.node);
      const bad = checkInterface(s);
      if (bad !== undefined) this.fail(it.node, it.path, bad);
      const dup = out.indexOf(s);
      if (dup >= 0) this.fail(it.node, it.path, `interface ${quoted(s)} is listed twice (also external[${dup}])`);
      out.push(s);
    }
    return out;
  }

  allow(f: Field): RuleAt[] {
    const node = this.present(f, ['allow'], 'a list of rules (write [] for none)');
    if (!isSeq(node)) this.fail(node, ['allow'], `expected a list of rules, found ${describe(node)}`);
    const rules = this.list(node, ['allow'], false, 'a rule').map((it, i) => this.rule(it, i));
    const seen = new Map<string, RuleAt>();
    for (const r of rules) {
      const first = seen.get(r.rule.name);
      if (first) {
        const firstName = first.nameNode
          ? `${formatPath(first.path)}.name`
          : `${formatPath(first.path)}, named by default`;
        const whatHere = r.nameNode ? '' : ' (the default name of this rule)';
        this.fail(
          r.nameNode ?? r.node,
          r.nameNode ? [...r.path, 'name'] : r.path,
          `duplicate rule name ${quoted(r.rule.name)}${whatHere}; already used by ${firstName}`,
        );
      }
      seen.set(r.rule.name, r);
    }
    return rules;
  }

  rule(it: Item, index: number): RuleAt {
    const { path } = it;
    const f = this.fields(it.node, path, 'a rule (a mapping with proto, port or container_port, from)', it.node);
    this.only(f, path, RULE_KEYS);

    const nameField = f.get('name');
    let name = `allow-${index}`;
    if (nameField) {
      name = this.name(nameField, [...path, 'name'], checkRuleName);
      if (RESERVED_RULE_NAMES.includes(name)) {
        this.fail(
          nameField.value ?? nameField.key,
          [...path, 'name'],
          `${quoted(name)} is reserved for the rule dfw generates from the policy's "${name}" setting; choose another name`,
        );
      }
    }

    const protoField = f.get('proto');
    if (!protoField)
      this.fail(it.node, [...path, 'proto'], 'missing: every rule matches ports, so it needs proto: tcp, udp or sctp');
    const proto = this.enumOf(protoField, [...path, 'proto'], ['tcp', 'udp', 'sctp'] as const);

    const portField = f.get('port');
    const containerField = f.get('container_port');
    if (portField && containerField) {
      this.fail(
        containerField.key,
        [...path, 'container_port'],
        'give port (the published host port) or container_port (the port inside the container), not both; to pick a container, use "to"',
      );
    }
    if (!portField && !containerField) {
      this.fail(
        it.node,
        [...path, 'port'],
        'missing: each rule needs port (published host port) or container_port (port inside the container); to let a source reach every port, list it under sources',
      );
    }

    // Read in document order of the schema; build the rule with its keys in the order of types.ts.
    const port = portField ? this.ports(portField, [...path, 'port']) : undefined;
    const containerPort = containerField ? this.ports(containerField, [...path, 'container_port']) : undefined;
    const fromField = f.get('from');
    const from = fromField
      ? this.sourceList(fromField, [...path, 'from'], 'from')
      : [{ source: { kind: 'any' } as Source, item: it }];
    const toField = f.get('to');
    const to = toField ? this.toList(toField, [...path, 'to']) : undefined;
    const toNode = toField ? (toField.value ?? toField.key) : undefined;

    const rule: AllowRule = {
      name,
      proto,
      ...(port && { port }),
      ...(containerPort && { containerPort }),
      ...(to && { to }),
      from: from.map((s) => s.source),
    };
    return { rule, path, node: it.node, nameNode: nameField?.value ?? undefined, from, toNode };
  }

  ports(f: Field, path: Path): PortRange[] {
    const whole = PORT_EXPECTED.replace(/^expected /, '');
    const node = this.present(f, path, whole);
    const items = this.list(node, path, true, 'a port (1-65535) or a range "8000:8100"', whole);
    if (items.length === 0) this.fail(node, path, 'an empty list matches no port: give at least one');
    const out: PortRange[] = [];
    const where: Path[] = [];
    for (const it of items) {
      const n = it.node;
      let r;
      if (isScalar(n) && typeof n.value === 'number') r = parsePortNumber(n.value, n.source);
      else if (isScalar(n) && typeof n.value === 'string') {
        this.checkText(n, it.path, n.value);
        r = parsePortString(n.value);
      } else this.fail(n, it.path, `${PORT_EXPECTED}, found ${describe(n)}`);
      if (!r.ok) this.fail(n, it.path, r.reason);
      const dup = out.findIndex((p) => p.from === r.value.from && p.to === r.value.to);
      if (dup >= 0)
        this.fail(n, it.path, `port ${describe(n)} is listed twice (also ${formatPath(where[dup] ?? path)})`);
      out.push(r.value);
      where.push(it.path);
    }
    return out;
  }

  /** `from` (any allowed) or `sources` (no any). */
  sourceList(f: Field, path: Path, role: 'from' | 'sources'): SourceAt[] {
    const expected = role === 'from' ? 'any, an address, a CIDR or set:NAME' : 'an address, a CIDR or set:NAME';
    const node = this.present(f, path, `${expected}, or a list of these`);
    const items = this.list(node, path, true, expected);
    if (items.length === 0 && role === 'from') {
      this.fail(node, path, 'an empty list lets nobody through: remove the rule, or write any');
    }
    const out: SourceAt[] = [];
    for (const it of items) {
      const s = this.str(it.node, it.path, expected, it.node);
      const source = this.sourceItem(s, it, role, expected);
      const key = sourceKey(source);
      const dup = out.find((o) => sourceKey(o.source) === key);
      if (dup) {
        const first = formatPath(dup.item.path);
        const msg =
          quoted(s) === describe(dup.item.node)
            ? `${quoted(s)} is listed twice; also ${first}`
            : `${quoted(s)} is the same as ${first} (both are ${key})`;
        this.fail(it.node, it.path, msg);
      }
      out.push({ source, item: it });
    }
    if (out.length > 1) {
      const any = out.find((o) => o.source.kind === 'any');
      if (any)
        this.fail(
          any.item.node,
          any.item.path,
          '"any" cannot be combined with other sources: it already lets everyone through',
        );
    }
    return out;
  }

  sourceItem(s: string, it: Item, role: 'from' | 'sources', expected: string): Source {
    if (s === 'any') {
      if (role === 'sources') {
        this.fail(
          it.node,
          it.path,
          '"any" is not allowed here: sources reach every port, so it would let everyone through; list trusted sources, or use an allow rule with from: any',
        );
      }
      return { kind: 'any' };
    }
    if (s.startsWith('set:')) {
      const name = s.slice(4);
      const bad = checkSetName(name);
      if (bad !== undefined) this.fail(it.node, it.path, bad);
      return { kind: 'set', name };
    }
    return this.cidr(s, it, role, expected);
  }

  cidr(s: string, it: Item, role: 'from' | 'sources' | 'to', expected: string): Extract<Source, { kind: 'cidr' }> {
    if (/^(set|ipset)\s*[:=]/i.test(s) || /^all$/i.test(s) || /^any$/i.test(s) || /^0\/0$/.test(s)) {
      const hint = /^0\/0$|^all$/i.test(s)
        ? ' (everyone is written any)'
        : /^any$/i.test(s)
          ? ' ("any" is lowercase)'
          : ' (sets are written set:NAME)';
      this.fail(it.node, it.path, `expected ${expected}, found ${quoted(s)}${hint}`);
    }
    const r = parseCidr(s);
    if (!r.ok) this.fail(it.node, it.path, `expected ${expected}, found ${quoted(s)}: ${r.reason}`);
    const { family, cidr, prefix } = r.value;
    if (prefix === 0) {
      const why =
        role === 'from'
          ? 'write any'
          : role === 'sources'
            ? 'it would let everyone through; list trusted sources'
            : 'leave "to" out to match every container address';
      this.fail(it.node, it.path, `${quoted(s)} matches every IPv${family} address: ${why}`);
    }
    return { kind: 'cidr', family, cidr };
  }

  sources(f: Field): SourceAt[] {
    return this.sourceList(f, ['sources'], 'sources');
  }

  toList(f: Field, path: Path): Extract<Source, { kind: 'cidr' }>[] {
    const expected = 'a container address or CIDR';
    const node = this.present(f, path, `${expected}, or a list of these`);
    const items = this.list(node, path, true, expected);
    if (items.length === 0)
      this.fail(node, path, 'an empty list matches no container: leave "to" out to match every container address');
    const out: Extract<Source, { kind: 'cidr' }>[] = [];
    const where: Path[] = [];
    for (const it of items) {
      const s = this.str(it.node, it.path, expected, it.node);
      if (s === 'any')
        this.fail(it.node, it.path, 'leave "to" out to match every container address ("any" is not needed)');
      if (s.startsWith('set:'))
        this.fail(it.node, it.path, `expected ${expected}, found ${quoted(s)} (sets are not supported in "to")`);
      const c = this.cidr(s, it, 'to', expected);
      const dup = out.findIndex((o) => o.cidr === c.cidr);
      if (dup >= 0)
        this.fail(
          it.node,
          it.path,
          `${quoted(s)} is listed twice (as ${c.cidr}); also ${formatPath(where[dup] ?? path)}`,
        );
      out.push(c);
      where.push(it.path);
    }
    return out;
  }

  ipsets(f: Field): IpsetSpec[] {
    const path = ['ipsets'];
    const node = this.present(f, path, 'a mapping of set names to sets (write {} for none)');
    const sets = this.fields(node, path, 'a mapping of set names to sets', f.key);
    const out: IpsetSpec[] = [];
    for (const [name, field] of sets) {
      const bad = checkSetName(name);
      if (bad !== undefined) this.fail(field.key, [...path, name], bad);
      out.push(this.ipset(name, field, [...path, name]));
    }
    return out;
  }

  ipset(name: string, f: Field, path: Path): IpsetSpec {
    const node = this.present(f, path, 'a set (a mapping with type, family, options, entries)');
    const fields = this.fields(node, path, 'a set (a mapping with type, family, options, entries)', f.key);
    this.only(fields, path, IPSET_KEYS);

    const typeField = fields.get('type');
    if (!typeField) this.fail(node, [...path, 'type'], 'missing: the ipset type, e.g. hash:ip or hash:net');
    const typeNode = this.present(typeField, [...path, 'type'], 'an ipset type (e.g. hash:ip)');
    const type = this.str(typeNode, [...path, 'type'], 'an ipset type (e.g. hash:ip)', typeField.key);
    if (!IPSET_TYPES.includes(type)) {
      this.fail(
        typeNode,
        [...path, 'type'],
        `unknown ipset type ${quoted(type)}${didYouMean(type, IPSET_TYPES)}; expected one of: ${IPSET_TYPES.join(', ')}`,
      );
    }

    const familyField = fields.get('family');
    const family = familyField ? this.enumOf(familyField, [...path, 'family'], ['inet', 'inet6'] as const) : 'inet';
    if (family === 'inet6' && type.startsWith('bitmap:')) {
      this.fail(familyField?.value ?? node, [...path, 'family'], `${type} sets are IPv4 only`);
    }

    const optionsField = fields.get('options');
    const options = optionsField ? this.options(optionsField, [...path, 'options'], family) : {};

    const entriesField = fields.get('entries');
    const entries = entriesField ? this.entries(entriesField, [...path, 'entries']) : [];

    return { name, type, family, options, entries };
  }

  options(f: Field, path: Path, family: 'inet' | 'inet6'): Record<string, string | number | boolean> {
    const node = this.present(f, path, 'a mapping of create options (write {} for none)');
    const fields = this.fields(node, path, 'a mapping of create options, e.g. {hashsize: 1024, maxelem: 65536}', f.key);
    const out: Record<string, string | number | boolean> = {};
    for (const [name, field] of fields) {
      const p = [...path, name];
      const kind = IPSET_OPTIONS[name];
      if (kind === undefined) {
        const hint =
          name === 'family'
            ? ' (family is a key of the set itself, next to type)'
            : didYouMean(name, Object.keys(IPSET_OPTIONS));
        this.fail(
          field.key,
          p,
          `unknown ipset create option${hint}; expected one of: ${Object.keys(IPSET_OPTIONS).join(', ')}`,
        );
      }
      out[name] = this.option(field, p, name, kind, family);
    }
    return out;
  }

  option(f: Field, path: Path, name: string, kind: OptionKind, family: 'inet' | 'inet6'): string | number | boolean {
    const v = f.value;
    switch (kind) {
      case 'flag':
        return this.bool(f, path);
      case 'count':
      case 'size': {
        const min = kind === 'size' ? 1 : name === 'netmask' ? 1 : 0;
        const max = name === 'timeout' ? TIMEOUT_MAX : name === 'netmask' ? (family === 'inet' ? 32 : 128) : 0xffffffff;
        const expected = `an integer ${min}-${max}`;
        const node = this.present(f, path, expected);
        if (
          !isScalar(node) ||
          typeof node.value !== 'number' ||
          !Number.isInteger(node.value) ||
          node.value < min ||
          node.value > max
        ) {
          this.fail(node, path, `expected ${expected}, found ${describe(node)}`);
        }
        return node.value as number;
      }
      case 'hex': {
        const expected = 'a 32-bit value, e.g. 0xffffffff';
        const node = this.present(f, path, expected);
        if (
          isScalar(node) &&
          typeof node.value === 'number' &&
          Number.isInteger(node.value) &&
          node.value >= 0 &&
          node.value <= 0xffffffff
        ) {
          return node.value;
        }
        if (isScalar(node) && typeof node.value === 'string' && /^0x[0-9a-fA-F]{1,8}$/.test(node.value))
          return node.value;
        return this.fail(v ?? f.key, path, `expected ${expected}, found ${describe(node)}`);
      }
      case 'word': {
        const expected =
          name === 'range'
            ? 'a range such as "10.0.0.0/16", "10.0.0.0-10.0.0.255" or "1024-65535"'
            : 'a mask such as "255.255.255.0" or "ffff:ffff::"';
        const node = this.present(f, path, expected);
        const s = this.str(node, path, expected, f.key);
        if (s === '' || /[\s"]/.test(s)) this.fail(node, path, `expected ${expected}, found ${describe(node)}`);
        return s;
      }
    }
  }

  entries(f: Field, path: Path): string[] {
    const expected = 'an entry (e.g. 203.0.113.7)';
    const node = this.present(f, path, 'a list of entries (write [] for none)');
    if (!isSeq(node)) this.fail(node, path, `expected a list of entries, found ${describe(node)}`);
    return this.list(node, path, false, expected).map((it) => {
      const n = it.node;
      if (isScalar(n) && typeof n.value === 'number' && Number.isInteger(n.value) && n.value >= 0)
        return String(n.value);
      const s = this.str(n, it.path, expected, n);
      if (s.trim() === '') this.fail(n, it.path, `expected ${expected}, found ${describe(n)}`);
      return s;
    });
  }

  /** A rule whose `to` addresses share no family with its sources could never match. */
  checkFamilies(r: RuleAt, ipsets: IpsetSpec[]): void {
    if (r.rule.to === undefined || r.toNode === undefined) return;
    const fromFamilies = new Set<Family>();
    for (const { source } of r.from) {
      if (source.kind === 'any') [4, 6].forEach((x) => fromFamilies.add(x as Family));
      else if (source.kind === 'cidr') fromFamilies.add(source.family);
      else {
        const declared = ipsets.find((s) => s.name === source.name);
        if (declared === undefined) [4, 6].forEach((x) => fromFamilies.add(x as Family));
        else fromFamilies.add(declared.family === 'inet' ? 4 : 6);
      }
    }
    const toFamilies = new Set(r.rule.to.map((t) => t.family));
    if (![...toFamilies].some((x) => fromFamilies.has(x))) {
      const name = (fams: Set<Family>): string => [...fams].map((x) => `IPv${x}`).join(' and ');
      this.fail(
        r.toNode,
        [...r.path, 'to'],
        `the container addresses are ${name(toFamilies)} but every source in from is ${name(fromFamilies)}: the rule could never match`,
      );
    }
  }
}

interface RuleAt {
  rule: AllowRule;
  path: Path;
  node: YamlNode;
  nameNode: YamlNode | undefined;
  from: SourceAt[];
  toNode: YamlNode | undefined;
}

function sourceKey(s: Source): string {
  return s.kind === 'any' ? 'any' : s.kind === 'set' ? `set:${s.name}` : s.cidr;
}

/** Tags of YAML 1.2's core schema: writing one explicitly changes nothing dfw cares about. */
const CORE_TAGS = new Set(['!!str', '!!int', '!!float', '!!bool', '!!null', '!!map', '!!seq']);

/**
 * Parses, validates and normalises a policy. `file` is only used in error positions.
 * @throws DfwSyntaxError for every problem, at the offending node.
 */
export function loadPolicy(text: string, file: string): Policy {
  const lines = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter: lines,
    keepSourceTokens: true,
    prettyErrors: false,
    uniqueKeys: false,
  });
  const loader = new Loader(text, file, lines, doc);
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) {
    const reason =
      problem.code === 'MULTIPLE_DOCS'
        ? 'a policy file holds one YAML document; found a second one here'
        : `invalid YAML: ${problem.message}`;
    loader.fail(problem.pos[0], [], reason);
  }
  if (doc.directives?.yaml.explicit && doc.directives.yaml.version !== '1.2') {
    loader.fail(
      0,
      [],
      `dfw reads YAML 1.2 (in YAML ${doc.directives.yaml.version}, yes/no/on/off and y/n are booleans): remove the %YAML directive`,
    );
  }
  // The yaml package also knows YAML 1.1's !!binary, !!timestamp, !!set, !!omap and !!pairs:
  // their values are not text (a !!binary is decoded into bytes), and messages would show
  // something the file does not say. A policy holds plain values.
  loader.refuseTags(doc.contents as YamlNode | null, []);
  return loader.policy();
}

/**
 * A problem found after loading (by the compiler) at `path` in the policy: reported at the
 * YAML node of that path, or of the nearest parent the file has (`from` written as a scalar
 * has no `from[0]`).
 */
export function policyErrorAt(
  text: string,
  file: string,
  path: readonly (string | number)[],
  reason: string,
): DfwSyntaxError {
  const lines = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter: lines,
    keepSourceTokens: true,
    prettyErrors: false,
    uniqueKeys: false,
  });
  const loader = new Loader(text, file, lines, doc);
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if (node !== undefined && node !== null && typeof node === 'object' && 'range' in (node as object)) {
      try {
        loader.fail(node as YamlNode, path, reason);
      } catch (e) {
        if (e instanceof DfwSyntaxError) return e;
        throw e;
      }
    }
  }
  return new DfwSyntaxError(`${formatPath(path)}: ${reason}`, {
    file,
    line: 1,
    column: 1,
    source: text.split('\n')[0] ?? '',
  });
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
  for (const r of p.allow) r.from.forEach(add);
  p.sources.forEach(add);
  return out;
}
