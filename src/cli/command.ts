// Shared shape of a dfw command: a yargs builder and a handler that returns the exit code.
// Handlers collect their whole output first and write it only on success, so that an error
// never leaves half a result on stdout or in -o FILE.
import type { Argv, CommandModule } from 'yargs';
import { DfwError } from '../errors.js';
import { reportError } from './io.js';

export type Handler<A> = (args: A) => number | Promise<number>;

/** What the handler needs to know of the options a builder declared. */
interface Declared {
  /** Options that take several values (`array: true`, e.g. --plugin). */
  arrays: Set<string>;
  aliases: Record<string, string[]>;
}

const flag = (name: string): string => (name.length === 1 ? `-${name}` : `--${name}`);

/**
 * yargs turns an option given twice into an array of its values, which a handler expecting one
 * value reads wrongly (`--mode noflush --mode noflush` matched neither mode and printed nothing,
 * exit 0; `-o a -o b` crashed). Booleans are the exception: yargs keeps the last
 * (`--no-dump --dump`). So: an option that takes one value, given more than once, is refused.
 */
function repeatedOption(args: Record<string, unknown>, declared: Declared): string | undefined {
  for (const [key, value] of Object.entries(args)) {
    if (key === '_' || key === '$0' || !Array.isArray(value)) continue;
    const name = key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    const names = [...new Set([name, ...(declared.aliases[name] ?? [])])].sort((a, b) => a.length - b.length);
    if (names.some((n) => declared.arrays.has(n))) continue;
    const times = value.length === 2 ? 'twice' : `${value.length} times`;
    return `${names.map(flag).join('/')} given ${times}: it takes one value (${value.map((v) => JSON.stringify(v === '' ? '-' : v)).join(', ')})`;
  }
  return undefined;
}

export function defineCommand<A>(spec: {
  command: string;
  describe: string;
  builder: (y: Argv) => Argv<A>;
  handler: Handler<A>;
}): CommandModule<object, A> {
  let declared: Declared = { arrays: new Set(), aliases: {} };
  return {
    command: spec.command,
    describe: spec.describe,
    builder: ((y: Argv) => {
      const built = spec.builder(y);
      // getOptions() is in yargs but not in its types.
      const options = (
        built as unknown as { getOptions(): { array: string[]; alias: Record<string, string[]> } }
      ).getOptions();
      // yargs lists an alias under one of its names only: make each name see the others.
      const aliases: Record<string, string[]> = {};
      for (const [name, others] of Object.entries(options.alias)) {
        const group = [name, ...others];
        for (const n of group) aliases[n] = [...new Set([...(aliases[n] ?? []), ...group])];
      }
      declared = { arrays: new Set(options.array), aliases };
      return built;
    }) as CommandModule<object, A>['builder'],
    handler: async (args) => {
      try {
        const repeated = repeatedOption(args as Record<string, unknown>, declared);
        if (repeated !== undefined) throw new DfwError(repeated);
        process.exitCode = await spec.handler(args as A);
      } catch (e) {
        process.exitCode = reportError(e);
      }
    },
  };
}
