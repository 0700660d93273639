// The positioned reader of a policy's YAML: typed accessors over the yaml package's nodes that
// report every problem as a DfwSyntaxError at the node, with the node's path in the policy
// (`allow[1].port: expected ...`). It knows YAML and paths, not the policy's schema.
//
// An explicit empty value (`from:` with nothing after it) is refused, never read as "absent":
// a template that renders an empty variable must not turn `from` into `any`.

import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Document, Node as YamlNode, Scalar, YAMLMap } from 'yaml';
import { DfwSyntaxError } from '../errors.js';
import { type Path, atPath } from '../text/path.js';
import { firstControl, quotedShort } from '../text/quote.js';
import { didYouMean } from '../text/suggest.js';

export type { YamlNode };

export interface Field {
  key: Scalar;
  /** The value, aliases resolved; null when the key has no value node at all. */
  value: YamlNode | null;
}

export interface Item {
  node: YamlNode;
  path: Path;
}

export function isNull(node: YamlNode | null): boolean {
  return node === null || (isScalar(node) && node.value === null);
}

/** For "found X": `"http"`, `70000`, `true`, `a list`, `a mapping`, `nothing`. */
export function describe(node: YamlNode | null): string {
  if (node === null || isNull(node)) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const v = node.value;
    if (typeof v === 'string') return quotedShort(v);
    if (typeof v === 'number') return node.source ?? String(v);
    return String(v);
  }
  return 'something else';
}

/** Tags of YAML 1.2's core schema: writing one explicitly changes nothing dfw cares about. */
const CORE_TAGS = new Set(['!!str', '!!int', '!!float', '!!bool', '!!null', '!!map', '!!seq']);

export class YamlReader {
  constructor(
    private readonly text: string,
    private readonly file: string,
    private readonly lines: LineCounter,
    readonly doc: Document,
  ) {}

  /** A DfwSyntaxError at a node (or a character offset), its message prefixed by the path. */
  errorAt(where: YamlNode | number, path: Path, reason: string): DfwSyntaxError {
    const offset = typeof where === 'number' ? where : (where.range?.[0] ?? 0);
    const { line, col } = this.lines.linePos(offset);
    const start = this.lines.lineStarts[line - 1] ?? 0;
    const next = this.lines.lineStarts[line];
    const source = this.text
      .slice(start, next ?? this.text.length)
      .replace(/\r?\n$/, '')
      .replace(/\r$/, '');
    return new DfwSyntaxError(atPath(path, reason), { file: this.file, line, column: col, source });
  }

  fail(where: YamlNode | number, path: Path, reason: string): never {
    throw this.errorAt(where, path, reason);
  }

  /** The line a node starts on. */
  lineOf(node: YamlNode): number {
    return this.lines.linePos(node.range?.[0] ?? 0).line;
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
      if (first) this.fail(key, [...path, name], `duplicate key (first given at line ${this.lineOf(first.key)})`);
      out.set(name, { key, value: this.deref(pair.value) });
    }
    return out;
  }

  /** Refuses keys outside `allowed`, with a suggestion for near misses (`aliases`: words people write instead). */
  only(fields: Map<string, Field>, path: Path, allowed: readonly string[], aliases: Record<string, string>): void {
    for (const [name, f] of fields) {
      if (!allowed.includes(name)) {
        const hint = name === '<<' ? ' (merge keys are not supported)' : didYouMean(name, allowed, aliases);
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

  /** Refuses control characters in any string taken from the policy: they end up in files root loads. */
  checkText(node: YamlNode, path: Path, s: string, what = 'value'): void {
    const c = firstControl(s);
    if (c !== undefined) {
      this.fail(
        node,
        path,
        `the ${what} ${quotedShort(s)} contains a control character (${c}): policy strings end up in files that root loads`,
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

  /** A name: a string, or a number written as one (`name: 2024`), checked by `check`. */
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

  /**
   * The node at `path` (aliases resolved), or the nearest parent the file has: `from` written as
   * a scalar has no `from[0]`, a set without `options:` has no `options.maxelem`.
   */
  nearest(path: Path): YamlNode | undefined {
    for (let n = path.length; n >= 0; n--) {
      // Not dereferenced: an alias is reported where it is used, not at its anchor.
      const node: unknown = n === 0 ? this.doc.contents : this.doc.getIn(path.slice(0, n), true);
      if (node !== null && typeof node === 'object' && 'range' in node) return node as YamlNode;
    }
    return undefined;
  }

  /** The key node of the mapping entry at `path`, if the file has one. */
  keyAt(path: Path): YamlNode | undefined {
    if (path.length === 0) return undefined;
    const parent = this.deref(path.length === 1 ? this.doc.contents : this.doc.getIn(path.slice(0, -1), true));
    if (parent === null || !isMap(parent)) return undefined;
    const last = path[path.length - 1];
    for (const pair of parent.items) {
      const key = this.deref(pair.key);
      if (key !== null && isScalar(key) && key.value === last) return key;
    }
    return undefined;
  }
}

/**
 * Parses a policy's text into a reader, refusing what is not one plain YAML 1.2 document:
 * syntax errors, a second document, `%YAML 1.1` (where `yes`, `on` and `y` are booleans) and
 * tags outside the core schema.
 */
export function readYaml(text: string, file: string): YamlReader {
  const lines = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter: lines,
    keepSourceTokens: true,
    prettyErrors: false,
    uniqueKeys: false,
  });
  const reader = new YamlReader(text, file, lines, doc);
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) {
    const reason =
      problem.code === 'MULTIPLE_DOCS'
        ? 'a policy file holds one YAML document; found a second one here'
        : `invalid YAML: ${problem.message}`;
    reader.fail(problem.pos[0], [], reason);
  }
  if (doc.directives?.yaml.explicit && doc.directives.yaml.version !== '1.2') {
    reader.fail(
      0,
      [],
      `dfw reads YAML 1.2 (in YAML ${doc.directives.yaml.version}, yes/no/on/off and y/n are booleans): remove the %YAML directive`,
    );
  }
  // The yaml package also knows YAML 1.1's !!binary, !!timestamp, !!set, !!omap and !!pairs:
  // their values are not text (a !!binary is decoded into bytes), and messages would show
  // something the file does not say. A policy holds plain values.
  reader.refuseTags(doc.contents as YamlNode | null, []);
  return reader;
}
