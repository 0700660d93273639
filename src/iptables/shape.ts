// Runs the nearley grammar over one line's tokens and returns its shape: the line's
// structure as token positions. Shapes depend only on the sequence of token types, so a
// shape computed once serves every line with the same type sequence (a big dump has only
// a few dozen of them); `ShapeCache` keeps them.
import nearley from 'nearley';
import grammar from '../grammar/iptables.gen.js';
import type { Token, TokenType } from './lexer.js';

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

const CODES: Record<TokenType, string> = {
  comment: '#',
  table: '*',
  colon: ':',
  counters: 'c',
  commit: 'C',
  word: 'w',
  bang: '!',
  opt: 'o',
  match: 'm',
  jump: 'j',
  goto: 'g',
  append: 'A',
  insert: 'I',
  del: 'D',
  replace: 'R',
  check: 'K',
  newchain: 'N',
  delchain: 'X',
  flush: 'F',
  zero: 'Z',
  policy: 'P',
  rename: 'E',
};

/** One character per token type: the key under which a shape is shared. */
export function shapeKey(tokens: readonly Token[]): string {
  let k = '';
  for (const t of tokens) k += CODES[t.type];
  return k;
}

/** Shapes by key. Errors are not cached: a bad line is rare and its message needs its tokens. */
export class ShapeCache {
  private readonly shapes = new Map<string, LineShape>();

  get(tokens: readonly Token[]): LineShape {
    const key = shapeKey(tokens);
    let shape = this.shapes.get(key);
    if (shape === undefined) {
      shape = parseShape(tokens);
      this.shapes.set(key, shape);
    }
    return shape;
  }

  /** The shape already known for a key, if any (the fast path never runs nearley itself). */
  peek(key: string): LineShape | undefined {
    return this.shapes.get(key);
  }
}
