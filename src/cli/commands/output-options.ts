// Options shared by the commands that rewrite a dump: -o, --diff, --check.
import type { Argv } from 'yargs';
import { unifiedDiff } from '../../diff.js';
import { writeOutput, type Input } from '../io.js';

export interface OutputArgs {
  o?: string;
  diff?: string;
  check?: boolean;
}

export function outputOptions<T>(y: Argv<T>) {
  return y
    .option('o', { alias: 'output', type: 'string', describe: 'write to this file (atomically) instead of stdout' })
    .option('diff', { type: 'string', describe: 'print the unified diff of input and result instead of the result; with FILE, write the diff to FILE and the result as usual' })
    .option('check', { type: 'boolean', default: false, describe: 'write nothing; exit 0 when nothing would change, 1 (diff on stderr) when something would' });
}

/**
 * Writes the result of a rewrite. `full` is the whole new dump (what --check and --diff
 * compare with the input); `output` is what the chosen mode prints.
 */
export function emitResult(args: OutputArgs, input: Input, full: string, output: string, what: string): number {
  const diff = (): string => unifiedDiff(input.text, full, input.file, `${input.file} (${what})`);
  if (args.check) {
    const d = diff();
    if (d === '') return 0;
    process.stderr.write(d);
    return 1;
  }
  if (args.diff === '') {
    writeOutput(diff(), args.o);
    return 0;
  }
  if (args.diff !== undefined) writeOutput(diff(), args.diff);
  writeOutput(output, args.o);
  return 0;
}
