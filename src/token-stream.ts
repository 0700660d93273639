// nearley's lexer interface over a line that is already tokenized: each driver tokenizes a
// line once (for its own checks and values) and its grammar reads the same tokens. Shared by
// the iptables and ipset grammars.

export class TokenStream<T extends { offset: number }> {
  private tokens: readonly T[] = [];
  private i = 0;

  /** `types`: the token types of the grammar; other %names are tests the grammar defines. */
  constructor(private readonly types?: readonly string[]) {}

  reset(chunk: unknown): void {
    this.tokens = chunk as readonly T[];
    this.i = 0;
  }

  next(): T | undefined {
    return this.tokens[this.i++];
  }

  save(): object {
    return {};
  }

  formatError(token: T, message: string): string {
    return `${message} at offset ${token.offset}`;
  }

  /** Whether a %name of the grammar is a token type (compiled grammars ask when they load). */
  has(type: string): boolean {
    return this.types === undefined || this.types.includes(type);
  }
}
