// Runs the nearley grammar over one line's tokens and returns its shape: the line's
// structure as token positions. Shapes depend only on the sequence of token types, so a
// shape computed once serves every line with the same type sequence (a big dump has only
// a few dozen of them); `ShapeCache` keeps them.
import nearley from 'nearley';
import grammar from '../grammar/iptables.gen.js';
import { FLAG_WORDS } from './commands.js';
import type { Token, TokenType } from './lexer.js';
import { scanKey, scanMatches, type Scan } from './scan.js';

export interface OptionShape {
  neg: number;
  flag: number;
  values: number[];
}

export interface SectionShape {
  kind: 'match' | 'jump' | 'goto';
  flag: number;
  name: number;
  options: OptionShape[];
}

export interface SpecShape {
  options: OptionShape[];
  sections: SectionShape[];
}

export type LineShape =
  | { kind: 'comment' }
  | { kind: 'table'; name: number }
  | { kind: 'chain'; name: number; policy: number; counters: number }
  | { kind: 'commit' }
  | { kind: 'rule' | 'command'; op: number; chain: number; args: number[]; spec: SpecShape | null; counters: number };

/** The grammar rejected the line: at token `index` (or at the end when index = tokens.length). */
export class ShapeError extends Error {
  constructor(
    readonly index: number,
    readonly expected: TokenType[],
  ) {
    super(`unexpected token at ${index}`);
  }
}

/** Thrown when a line has several parses: a bug in the grammar, never the input's fault. */
export class AmbiguityError extends Error {}

const compiled = nearley.Grammar.fromCompiled(grammar as unknown as nearley.CompiledRules);

interface EarleyState {
  rule: { symbols: unknown[] };
  dot: number;
}

function expectedIn(states: EarleyState[] | undefined): TokenType[] {
  const out = new Set<TokenType>();
  for (const s of states ?? []) {
    const sym = s.rule.symbols[s.dot] as { type?: TokenType } | string | undefined;
    if (sym !== undefined && typeof sym === 'object' && sym.type !== undefined) out.add(sym.type);
  }
  return [...out];
}

/** Parses one line's tokens with a fresh nearley parser (the plain, uncached path). */
export function parseShape(tokens: readonly Token[]): LineShape {
  const parser = new nearley.Parser(compiled);
  const table = (parser as unknown as { table: { states: EarleyState[] }[] }).table;
  try {
    parser.feed(tokens as unknown as string);
  } catch (e) {
    const tok = (e as { token?: Token }).token;
    const index = tok?.index ?? tokens.length;
    throw new ShapeError(index, expectedIn(table[table.length - 2]?.states));
  }
  const results = parser.results as LineShape[];
  if (results.length === 0) throw new ShapeError(tokens.length, expectedIn(table[table.length - 1]?.states));
  if (results.length > 1) throw new AmbiguityError(`grammar ambiguity: ${results.length} parses`);
  return results[0]!;
}

/** One character per token type; the flag words' come from their table (src/iptables/commands.ts). */
const CODES = {
  comment: '#',
  table: '*',
  colon: ':',
  counters: 'c',
  commit: 'C',
  word: 'w',
  bang: '!',
  opt: 'o',
  ...Object.fromEntries(FLAG_WORDS.map((w) => [w.token, w.code])),
} as Record<TokenType, string>;

/** One character per token type: the key under which a shape is shared. */
export function shapeKey(tokens: readonly Token[]): string {
  let k = '';
  for (const t of tokens) k += CODES[t.type];
  return k;
}

/**
 * At most this many shapes are kept. Every fixture of the test suite together has about 170
 * shapes, and a generated million-line dump in the bench style adds five: real dumps stay far
 * below, while a stream of made-up lines (each with a new shape) can no longer grow the cache
 * without end.
 */
export const MAX_SHAPES = 1024;
/**
 * And at most this many tokens in all their keys together: a shape costs a few dozen bytes per
 * token, so this keeps the cache to a few megabytes even when each line is long (a line may
 * hold thousands of words). Real shapes have at most a few dozen tokens.
 */
export const MAX_SHAPE_TOKENS = 1 << 16;

/**
 * Shapes by key. Errors are not cached: a bad line is rare and its message needs its tokens.
 * When a new shape would pass a limit, the cache starts again empty: the shapes a dump
 * really uses come back at the cost of one grammar parse each, and the lookup of a known
 * shape (every line of a big dump) costs no bookkeeping.
 */
export class ShapeCache {
  private readonly shapes = new Map<string, LineShape>();
  /** Shapes by the hash of a scan (src/iptables/scan.ts), checked against the key: the fast path's index. */
  private readonly byHash = new Map<number, [string, LineShape]>();
  private tokens = 0;

  constructor(
    readonly maxShapes = MAX_SHAPES,
    readonly maxTokens = MAX_SHAPE_TOKENS,
  ) {}

  /** Shapes kept now. */
  get size(): number {
    return this.shapes.size;
  }

  /** Tokens in the keys of the shapes kept now. */
  get keptTokens(): number {
    return this.tokens;
  }

  get(tokens: readonly Token[]): LineShape {
    const key = shapeKey(tokens);
    let shape = this.shapes.get(key);
    if (shape === undefined) {
      shape = parseShape(tokens);
      this.add(key, shape);
    }
    return shape;
  }

  private add(key: string, shape: LineShape): void {
    if (key.length > this.maxTokens) return; // alone over the limit: not worth a place
    if (this.shapes.size >= this.maxShapes || this.tokens + key.length > this.maxTokens) {
      this.shapes.clear();
      this.byHash.clear();
      this.tokens = 0;
    }
    this.shapes.set(key, shape);
    this.tokens += key.length;
  }

  /** The shape already known for a key, if any (the fast path never runs nearley itself). */
  peek(key: string): LineShape | undefined {
    return this.shapes.get(key);
  }

  /** The shape already known for a scanned line, if any: by its hash first, without making the key. */
  peekScan(scan: Scan): LineShape | undefined {
    const hit = this.byHash.get(scan.hash);
    if (hit !== undefined && scanMatches(scan, hit[0])) return hit[1];
    const key = scanKey(scan);
    const shape = this.shapes.get(key);
    // On a hash collision the first key keeps the slot; the other goes by its key.
    if (shape !== undefined && hit === undefined) this.byHash.set(scan.hash, [key, shape]);
    return shape;
  }
}
