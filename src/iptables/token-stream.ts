// nearley's lexer interface over a line that is already tokenized: the driver tokenizes
// once (for the shape cache and for values) and the grammar reads the same tokens.
import type { Token } from './lexer.js';

export class TokenStream {
  private tokens: readonly Token[] = [];
  private i = 0;

  reset(chunk: unknown): void {
    this.tokens = chunk as readonly Token[];
    this.i = 0;
  }

  next(): Token | undefined {
    return this.tokens[this.i++];
  }

  save(): object {
    return {};
  }

  formatError(token: Token, message: string): string {
    return `${message} at offset ${token.offset}`;
  }

  has(_type: string): boolean {
    return true;
  }
}
