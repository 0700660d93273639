// dfw completion bash|zsh: a completion script for the shell, made from the commands' declarations.
import { defineCommand } from '../command.js';
import { completionScript, SHELLS, type Shell } from '../help/completion-script.js';
import { writeOutput } from '../io.js';
import { commands } from './index.js';

export const completionCommand = defineCommand({
  command: 'completion <shell>',
  describe: 'Print a completion script for bash or zsh (commands, options, their choices, file names)',
  builder: (y) =>
    y
      .positional('shell', { choices: SHELLS, demandOption: true, describe: 'the shell the script is for' })
      .example('source <($0 completion bash)', 'complete dfw in this bash session')
      .example('$0 completion zsh > ~/.zfunc/_dfw', 'install it for zsh (a folder on $fpath)'),
  handler: (args: { shell: Shell }) => {
    writeOutput(completionScript(args.shell, commands), undefined);
    return 0;
  },
});
