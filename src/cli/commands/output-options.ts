// Options shared by the commands that rewrite a dump: -o, --diff, --check.
import type { Argv } from 'yargs';
import { unifiedDiff } from '../../diff.js';
import { checkDiffFile, STDIN_NAME, writeOutput, writeOutputs, type Input, type Producer } from '../io.js';

export interface OutputArgs {
  o?: string;
  diff?: string;
  check?: boolean;
}

export function outputOptions<T>(y: Argv<T>) {
  return y
    .option('o', { alias: 'output', type: 'string', describe: 'write to this file (atomically) instead of stdout' })
    .option('diff', {
      type: 'string',
      describe:
        'print the unified diff of input and result instead of the result; with FILE, write the diff to FILE and the result as usual',
    })
    .option('check', {
      type: 'boolean',
      default: false,
      describe: 'write nothing; exit 0 when nothing would change, 1 (diff on stderr) when something would',
    });
}

/** Whether `printer` produces exactly `text`, compared chunk by chunk. */
function producesText(printer: Producer, text: string): boolean {
  let offset = 0;
  let same = true;
  printer((chunk) => {
    if (same && text.startsWith(chunk, offset)) offset += chunk.length;
    else same = false;
  });
  return same && offset === text.length;
}

function collect(printer: Producer): string {
  const parts: string[] = [];
  printer((c) => parts.push(c));
  return parts.join('');
}

/**
 * Writes the result of a rewrite. `full` prints the whole new dump (what --check and --diff
 * compare with the input); `output` prints what the chosen mode writes.
 */
export function emitResult(args: OutputArgs, input: Input, full: Producer, output: Producer, what: string): number {
  const diff = (): string => unifiedDiff(input.text, collect(full), input.file, `${input.file} (${what})`);
  if (args.check) {
    if (producesText(full, input.text)) return 0;
    process.stderr.write(diff());
    return 1;
  }
  if (args.diff === '') {
    writeOutput(diff(), args.o);
    return 0;
  }
  checkDiffFile(args.diff, [input.file === STDIN_NAME ? undefined : input.file]);
  // With --diff FILE, the diff and the result are written together: both, or neither.
  writeOutputs([
    ...(args.diff !== undefined ? [{ text: diff(), path: args.diff }] : []),
    { text: output, path: args.o },
  ]);
  return 0;
}
