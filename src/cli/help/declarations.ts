// What each command declares to yargs (its positionals, options, examples, epilogue), read by
// running its builder against a recorder instead of yargs. The man page and the completion
// scripts are made from this, so they list exactly what `dfw <command> --help` lists, and a
// command added to commands/index.ts appears in both without another list to keep.
import type { CommandModule } from 'yargs';
import { HELP_DESCRIBE, VERSION_DESCRIBE } from './text.js';

export interface OptionDecl {
  name: string;
  /** Other names (-p for --policy). */
  aliases: string[];
  type?: 'string' | 'number' | 'boolean';
  choices?: readonly (string | number)[];
  default?: unknown;
  describe: string;
  /** Takes several values (--plugin). */
  array: boolean;
  required: boolean;
}

export interface CommandDecl {
  name: string;
  /** The usage line's words after the name, e.g. `[file]`. */
  args: string;
  describe: string;
  positionals: OptionDecl[];
  options: OptionDecl[];
  examples: { command: string; describe: string }[];
  epilogue: string[];
}

/** The options every command has, and dfw alone (yargs adds them: main.ts). */
export const GLOBAL_OPTIONS: readonly OptionDecl[] = [
  { name: 'help', aliases: ['h'], type: 'boolean', describe: HELP_DESCRIBE, array: false, required: false },
  {
    name: 'version',
    aliases: [],
    type: 'boolean',
    describe: VERSION_DESCRIBE,
    array: false,
    required: false,
  },
];

type Spec = Record<string, unknown>;

function optionDecl(name: string, spec: Spec): OptionDecl {
  const alias = spec.alias;
  const choices = spec.choices as readonly (string | number)[] | undefined;
  return {
    name,
    aliases: alias === undefined ? [] : Array.isArray(alias) ? alias.map(String) : [String(alias)],
    type: (spec.type as OptionDecl['type']) ?? (typeof choices?.[0] === 'number' ? 'number' : undefined),
    choices,
    default: spec.default,
    describe: typeof spec.describe === 'string' ? spec.describe : '',
    array: spec.array === true,
    required: spec.demandOption === true || spec.demandOption === 'string',
  };
}

/** A stand-in for yargs' Argv that records what a builder declares; other calls chain and do nothing. */
/** Adds an option; one declared again (ipset's own --diff and --check) replaces the first, as in yargs. */
function declare(list: OptionDecl[], o: OptionDecl): void {
  const i = list.findIndex((x) => x.name === o.name);
  if (i >= 0) list[i] = o;
  else list.push(o);
}

function recorder(into: CommandDecl): unknown {
  const record: Record<string, (...a: unknown[]) => void> = {
    positional: (name, spec) => declare(into.positionals, optionDecl(String(name), (spec ?? {}) as Spec)),
    option: (name, spec) => {
      if (typeof name === 'string') declare(into.options, optionDecl(name, (spec ?? {}) as Spec));
      else for (const [n, s] of Object.entries(name as Record<string, Spec>)) declare(into.options, optionDecl(n, s));
    },
    example: (command, describe) => into.examples.push({ command: String(command), describe: String(describe) }),
    epilogue: (text) => into.epilogue.push(String(text)),
  };
  record.options = record.option!;
  record.epilog = record.epilogue!;
  const proxy: unknown = new Proxy(
    {},
    {
      get: (_target, key) => {
        // defineCommand reads what the builder declared (command.ts).
        if (key === 'getOptions') return () => ({ array: [], alias: {} });
        if (typeof key !== 'string' || key === 'then') return undefined;
        const fn = record[key];
        return (...a: unknown[]) => {
          fn?.(...a);
          return proxy;
        };
      },
    },
  );
  return proxy;
}

const dollarZero = (s: string): string => s.replace(/\$0/g, 'dfw');

/** What a command module declares. */
export function declarationOf(module: CommandModule<object, unknown>): CommandDecl {
  const [name, ...args] = String(module.command).split(' ');
  const decl: CommandDecl = {
    name: name!,
    args: args.join(' '),
    describe: typeof module.describe === 'string' ? module.describe : '',
    positionals: [],
    options: [],
    examples: [],
    epilogue: [],
  };
  if (typeof module.builder === 'function') (module.builder as (y: unknown) => unknown)(recorder(decl));
  else if (module.builder !== undefined)
    for (const [n, s] of Object.entries(module.builder)) declare(decl.options, optionDecl(n, s as Spec));
  decl.examples = decl.examples.map((e) => ({ command: dollarZero(e.command), describe: e.describe }));
  decl.epilogue = decl.epilogue.map(dollarZero);
  return decl;
}

/** The flags of an option as typed: `--policy`, `-p`. */
export function flagsOf(o: OptionDecl): string[] {
  return [o.name, ...o.aliases].map((n) => (n.length === 1 ? `-${n}` : `--${n}`));
}

/**
 * What the value of an option (or a positional) is, for the man page's word after the flag and
 * for what completes: yargs knows only `string`, so a file or a folder is told by the description.
 */
export type ValueKind =
  { kind: 'none' } | { kind: 'flag' } | { kind: 'file' } | { kind: 'dir' } | { kind: 'words'; words: string[] };

export function valueKind(o: OptionDecl): ValueKind {
  if (o.type === 'boolean') return { kind: 'flag' };
  if (o.choices !== undefined) return { kind: 'words', words: o.choices.map(String) };
  if (o.type === 'number') return { kind: 'none' };
  if (/\bfolder\b/i.test(o.describe)) return { kind: 'dir' };
  return /\bfile\b|\bdump\b|\bmodule\b|\bexecutable\b|\binstalled\b/i.test(o.describe)
    ? { kind: 'file' }
    : { kind: 'none' };
}
