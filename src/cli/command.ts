// Shared shape of a dfw command: a yargs builder and a handler that returns the exit code.
// Handlers collect their whole output first and write it only on success, so that an error
// never leaves half a result on stdout or in -o FILE.
import type { Argv, CommandModule } from 'yargs';
import { reportError } from './io.js';

export type Handler<A> = (args: A) => number | Promise<number>;

export function defineCommand<A>(spec: {
  command: string;
  describe: string;
  builder: (y: Argv) => Argv<A>;
  handler: Handler<A>;
}): CommandModule<object, A> {
  return {
    command: spec.command,
    describe: spec.describe,
    builder: spec.builder as CommandModule<object, A>['builder'],
    handler: async (args) => {
      try {
        process.exitCode = await spec.handler(args as A);
      } catch (e) {
        process.exitCode = reportError(e);
      }
    },
  };
}
