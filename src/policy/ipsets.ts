// The `ipsets` section: sets dfw creates and fills. The YAML is read here; what ipset accepts
// (types, families, create options and their ranges, entries for the type) is checked by
// src/ipset/set-spec.ts with the tables dfw reads `ipset save` dumps with, and a problem is
// reported at the YAML node it is about.

import { isScalar, isSeq } from 'yaml';
import { INET_WORDS } from '../net/family.js';
import { type SpecProblem, checkSetSpec } from '../ipset/set-spec.js';
import { type SetTypeName, setTypeOf } from '../ipset/settypes.js';
import type { Path } from '../text/path.js';
import { checkSetName } from './names.js';
import type { IpsetSpec } from './types.js';
import { type Field, type YamlNode, type YamlReader, describe, isNull } from './yaml-reader.js';

export const IPSET_KEYS = ['type', 'family', 'options', 'entries'];

type OptionValue = string | number | boolean;

/** Where the parts of one set are in the file, to report a problem at the right node. */
interface SetNodes {
  set: YamlNode;
  key: YamlNode;
  fields: Map<string, Field>;
  options: Map<string, Field>;
  entries: YamlNode[];
}

/** The `ipsets` mapping, each set checked as ipset would check it. */
export function readIpsets(r: YamlReader, f: Field, aliases: Record<string, string>): IpsetSpec[] {
  const path = ['ipsets'];
  const node = r.present(f, path, 'a mapping of set names to sets (write {} for none)');
  const sets = r.fields(node, path, 'a mapping of set names to sets', f.key);
  const out: IpsetSpec[] = [];
  for (const [name, field] of sets) {
    const bad = checkSetName(name);
    if (bad !== undefined) r.fail(field.key, [...path, name], bad);
    out.push(readIpset(r, name, field, [...path, name], aliases));
  }
  return out;
}

function readIpset(r: YamlReader, name: string, f: Field, path: Path, aliases: Record<string, string>): IpsetSpec {
  const expected = 'a set (a mapping with type, family, options, entries)';
  const node = r.present(f, path, expected);
  const fields = r.fields(node, path, expected, f.key);
  refuseSplitType(r, fields, path);
  r.only(fields, path, IPSET_KEYS, aliases);

  const typeField = fields.get('type');
  if (!typeField) r.fail(node, [...path, 'type'], 'missing: the ipset type, e.g. hash:ip or hash:net');
  const typeNode = r.present(typeField, [...path, 'type'], 'an ipset type (e.g. hash:ip)');
  const type = r.str(typeNode, [...path, 'type'], 'an ipset type (e.g. hash:ip)', typeField.key);
  const familyField = fields.get('family');
  const family = familyField ? r.enumOf(familyField, [...path, 'family'], INET_WORDS) : 'inet';
  const optionsField = fields.get('options');
  const options = optionsField ? readOptions(r, optionsField, [...path, 'options']) : new Map<string, Field>();
  const entriesField = fields.get('entries');
  const entries = entriesField ? readEntries(r, entriesField, [...path, 'entries']) : { texts: [], nodes: [] };

  // Frozen before the check: the ipset side keeps the result for the reconciler (set-spec.ts).
  const spec: IpsetSpec = Object.freeze({
    name,
    type: type as SetTypeName, // checked below: an unknown type fails the load
    family,
    options: Object.freeze(Object.fromEntries([...options].map(([k, o]) => [k, optionValue(o)]))),
    entries: Object.freeze(entries.texts),
  });
  const checked = checkSetSpec(spec);
  if (!checked.ok) {
    const nodes = { set: node, key: f.key, fields, options, entries: entries.nodes };
    r.fail(problemNode(nodes, checked.problem), [...path, ...checked.problem.path], checked.problem.reason);
  }
  return spec;
}

/**
 * In a flow mapping a comma ends the value: `{type: hash:ip,port}` is `type: hash:ip` and a key
 * `port` with no value. Said as such, at the type, rather than as an unknown key.
 */
function refuseSplitType(r: YamlReader, fields: Map<string, Field>, path: Path): void {
  const typeField = fields.get('type');
  const value = typeField?.value;
  if (value === null || value === undefined || !isScalar(value) || typeof value.value !== 'string') return;
  const after = [...fields.keys()].slice([...fields.keys()].indexOf('type') + 1);
  let type = value.value;
  let longest: { type: string; keys: string[] } | undefined;
  for (const [i, key] of after.entries()) {
    if (!isNull(fields.get(key)!.value)) break;
    type = `${type},${key}`;
    if (setTypeOf(type) !== undefined) longest = { type, keys: after.slice(0, i + 1) };
  }
  if (longest === undefined) return;
  const { keys } = longest;
  r.fail(
    value,
    [...path, 'type'],
    `in a flow mapping ({...}) a comma ends the value: this reads as type ${value.value} and ${keys.length === 1 ? 'a key' : 'keys'} ${keys.join(', ')}; quote the type: type: "${longest.type}"`,
  );
}

/** The node a problem is about: the key for a wrong key, else the value, else its nearest parent. */
function problemNode(n: SetNodes, p: SpecProblem): YamlNode {
  const [head, sub] = p.path;
  if (head === undefined) return n.key;
  const field = n.fields.get(String(head));
  if (field === undefined) return n.set;
  const whole = field.value ?? field.key;
  if (head === 'options' && typeof sub === 'string') {
    const option = n.options.get(sub);
    if (option === undefined) return whole;
    return p.key ? option.key : (option.value ?? option.key);
  }
  if (head === 'entries' && typeof sub === 'number') return n.entries[sub] ?? whole;
  return whole;
}

/** The create options as written: scalar values, checked for their kind by the ipset side. */
function readOptions(r: YamlReader, f: Field, path: Path): Map<string, Field> {
  const node = r.present(f, path, 'a mapping of create options (write {} for none)');
  const fields = r.fields(node, path, 'a mapping of create options, e.g. {hashsize: 1024, maxelem: 65536}', f.key);
  for (const [name, field] of fields) {
    const p = [...path, name];
    const value = r.present(field, p, 'a value');
    if (!isScalar(value)) r.fail(value, p, `expected a value, found ${describe(value)}`);
    if (typeof value.value === 'string') r.checkText(value, p, value.value);
  }
  return fields;
}

function optionValue(f: Field): OptionValue {
  // readOptions has checked that the value is a string, number or boolean scalar.
  return (f.value as { value: OptionValue }).value;
}

/** Entries: strings as `ipset add` takes them after the set name; plain numbers (ports) as text. */
function readEntries(r: YamlReader, f: Field, path: Path): { texts: string[]; nodes: YamlNode[] } {
  const expected = 'an entry (e.g. 203.0.113.7)';
  const node = r.present(f, path, 'a list of entries (write [] for none)');
  if (!isSeq(node)) r.fail(node, path, `expected a list of entries, found ${describe(node)}`);
  const items = r.list(node, path, false, expected);
  const texts = items.map((it) => {
    const n = it.node;
    if (isScalar(n) && typeof n.value === 'number' && Number.isInteger(n.value) && n.value >= 0) return String(n.value);
    const s = r.str(n, it.path, expected, n);
    if (s.trim() === '') r.fail(n, it.path, `expected ${expected}, found ${describe(n)}`);
    return s;
  });
  return { texts, nodes: items.map((it) => it.node) };
}
