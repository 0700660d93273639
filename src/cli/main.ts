// dfw's command line: argument parsing only; every command calls the library.
// The bin (bin.ts) runs this from a bundle compiled with a code cache (code-cache.ts).
import yargs from 'yargs';
import { commands } from './commands/index.js';
import { DESCRIPTION, EXIT_CODES_LINE, HELP_DESCRIBE, VERSION_DESCRIBE } from './help/text.js';
import { reportError } from './io.js';
import { exitNow, pendingWork, pluginsLoaded, setModuleImporter, type ModuleImporter } from './plugins.js';

export interface CliHost {
  /** import() as the bin sees it: the bundle runs as a vm script, which has no module loader. */
  importModule: ModuleImporter;
}

// The package's version, written into the bundle at build time (bundle.mjs): the bundle has no
// package.json next to it for yargs to find.
declare const __DFW_VERSION__: string | undefined;
// The commit it was built from (issue 20), null when built outside git without DFW_COMMIT.
declare const __DFW_COMMIT__: string | null | undefined;
const COMMIT = typeof __DFW_COMMIT__ === 'string' ? __DFW_COMMIT__ : undefined;
const VERSION = `${typeof __DFW_VERSION__ === 'string' ? __DFW_VERSION__ : 'unknown'}${COMMIT !== undefined ? ` (commit ${COMMIT})` : ''}`;

const COMMAND_NAMES = commands.map((c) => String(c.command).split(' ')[0]!);

/** Edit distance, for "did you mean": a command name is short, so the plain table is enough. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

/** The message for a first word that is no command, or undefined when it is one. */
function unknownCommand(word: string): string | undefined {
  if (COMMAND_NAMES.includes(word)) return undefined;
  const near = COMMAND_NAMES.map((n) => ({ n, d: distance(word.toLowerCase(), n) }))
    .filter((x) => x.d <= Math.max(1, Math.floor(x.n.length / 3)))
    .sort((x, y) => x.d - y.d)[0];
  return near !== undefined
    ? `unknown command ${word}: did you mean ${near.n}?`
    : `unknown command ${word} (the commands: ${COMMAND_NAMES.join(', ')})`;
}

function usageError(message: string): never {
  // Usage errors: exit 2 and nothing on stdout, as the CLI contract says.
  process.stderr.write(`dfw: ${message}\nRun dfw --help for usage.\n`);
  return process.exit(2);
}

/** Runs one dfw command line (the arguments after `dfw`); the exit code is left in process.exitCode. Never rejects. */
export async function main(argv: string[], host: CliHost): Promise<void> {
  setModuleImporter(host.importModule);
  const first = argv[0];
  if (first !== undefined && !first.startsWith('-')) {
    const unknown = unknownCommand(first);
    if (unknown !== undefined) usageError(unknown);
  }
  const cli = yargs(argv)
    .scriptName('dfw')
    .usage(`$0 <command> [FILE] [options]\n\n${DESCRIPTION}`)
    .strict()
    .wrap(null)
    .demandCommand(1, 'Name a command: see dfw --help.')
    .help('help', HELP_DESCRIBE)
    .alias('help', 'h')
    .version('version', VERSION_DESCRIBE, VERSION)
    .epilogue(EXIT_CODES_LINE)
    .fail((msg, err) => usageError(msg ?? err?.message ?? 'usage error'));
  for (const c of commands) cli.command(c);
  // A plugin whose promise never settles lets the event loop drain with the command pending:
  // Node would then exit 0 with nothing written. Say so, and exit 2.
  let finished = false;
  const pending = () => {
    if (finished) return;
    process.stderr.write(
      `dfw: ${pendingWork()} never finished (a promise that never settles, or a top-level await that never ends); nothing was written\n`,
    );
    process.exitCode = 2;
  };
  process.once('beforeExit', pending);
  try {
    await cli.parseAsync();
  } catch (e) {
    // Commands report their own errors (defineCommand): anything reaching here is a bug in dfw.
    process.exitCode = reportError(e);
  }
  finished = true;
  process.off('beforeExit', pending);
  // Whatever a plugin left running (a timer, a socket) must neither keep dfw alive nor fail it
  // after its result was written.
  if (pluginsLoaded()) exitNow(typeof process.exitCode === 'number' ? process.exitCode : 0);
}
