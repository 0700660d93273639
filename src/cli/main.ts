#!/usr/bin/env node
// dfw's command line: argument parsing only; every command calls the library.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { commands } from './commands/index.js';

const cli = yargs(hideBin(process.argv))
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
await cli.parseAsync();
