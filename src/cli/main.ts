// dfw's command line: argument parsing only; every command calls the library.
// The bin (bin.ts) runs this from a bundle compiled with a code cache (code-cache.ts).
import yargs from 'yargs';
import { commands } from './commands/index.js';
import { reportError } from './io.js';
import { setModuleImporter, type ModuleImporter } from './plugins.js';

export interface CliHost {
  /** import() as the bin sees it: the bundle runs as a vm script, which has no module loader. */
  importModule: ModuleImporter;
}

/** Runs one dfw command line (the arguments after `dfw`); the exit code is left in process.exitCode. Never rejects. */
export async function main(argv: string[], host: CliHost): Promise<void> {
  setModuleImporter(host.importModule);
  const cli = yargs(argv)
    .scriptName('dfw')
    .usage('$0 <command> [FILE] [options]\n\nTransforms iptables-save / ipset save dumps; never runs a command itself.')
    .strict()
    .wrap(null)
    .demandCommand(1, 'Name a command: see dfw --help.')
    .recommendCommands()
    .help()
    .version()
    .epilogue('Exit codes: 0 done / no difference, 1 --check or diff found a difference, 2 bad input, policy or usage.')
    .fail((msg, err) => {
      // Usage errors: exit 2 and nothing on stdout, as the CLI contract says.
      process.stderr.write(`dfw: ${msg ?? err?.message ?? 'usage error'}\nRun dfw --help for usage.\n`);
      process.exit(2);
    });
  for (const c of commands) cli.command(c);
  try {
    await cli.parseAsync();
  } catch (e) {
    // Commands report their own errors (defineCommand): anything reaching here is a bug in dfw.
    process.exitCode = reportError(e);
  }
}
