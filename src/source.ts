// The source-text rule, for both dump formats (docs/library.md "The source-text rule"): a node
// prints as the line it was read from only while that line is still true. Nodes made by the
// parsers (and by the checked JSON readers) are frozen, deeply, and carry their line in a private
// field; nothing else can hold a trusted line. An edit is then either refused (a TypeError in
// strict code) or made on a copy, and a copy has no source: `{ ...node, chain: 'X' }` drops it,
// and so do the edit helpers. The printers ask `sourceText` alone.

/** Where a node was read from: its exact line (without the line end) and its 1-based number. */
export interface SourceText {
  readonly text: string;
  readonly line: number;
}

/**
 * Base class of the nodes whose source line the printers trust. The line lives in private fields:
 * a spread, `JSON.parse`, or an object literal with a `source` field cannot forge one, and the
 * brand check is one `#text in node`, cheaper than a WeakSet lookup for the millions of nodes of
 * a big dump.
 */
export abstract class Sourced {
  readonly #text: string;
  readonly #line: number;

  constructor(text: string, line: number) {
    this.#text = text;
    this.#line = line;
  }

  /** The line this node was read from. */
  get source(): SourceText {
    return Object.freeze({ text: this.#text, line: this.#line });
  }

  static textOf(node: object): string | undefined {
    return #text in node ? node.#text : undefined;
  }

  static lineOf(node: object): number | undefined {
    return #line in node ? node.#line : undefined;
  }

  /** The node's own fields and its source, last (what `dfw parse` prints). */
  toJSON(): object {
    return { ...this, source: this.source };
  }
}

/**
 * The source line a node prints as, when it is a trusted parsed node; undefined for a node built
 * in code, a copy, or a hand-made object with a `source` field (those print canonically).
 */
export function sourceText(node: object): string | undefined {
  return Sourced.textOf(node);
}

/** The 1-based line a trusted node was read from, or undefined. */
export function sourceLine(node: object): number | undefined {
  return Sourced.lineOf(node);
}

/**
 * A trusted node with plain fields: `fields` (deeply frozen here) and its line. The parsers make
 * every node that has no lazy part with it; the JSON readers make one only for a line that
 * parses back to exactly these fields.
 */
export class SourcedNode extends Sourced {
  constructor(fields: object, text: string, line: number) {
    super(text, line);
    for (const k of Object.keys(fields)) deepFreeze((fields as Record<string, unknown>)[k]);
    Object.assign(this, fields);
    Object.freeze(this);
  }
}

/** Freezes a value and everything it holds (plain data: objects and arrays). */
export function deepFreeze<T>(v: T): T {
  if (typeof v !== 'object' || v === null || Object.isFrozen(v)) return v;
  Object.freeze(v);
  for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
  return v;
}

/**
 * The same trusted node, read from line `line` instead (the JSON readers keep the numbers they
 * are given). For nodes whose fields are all own properties (not lazy getters).
 */
export function relocated<T extends object>(node: T, line: number): T {
  const text = sourceText(node);
  if (text === undefined) return node;
  return new SourcedNode({ ...node }, text, line) as unknown as T;
}

/** A node under construction, before it is frozen. */
export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Shared by every node without options: one frozen empty array. */
export const NONE: readonly never[] = Object.freeze([]);
