// dfw fmt [FILE]: parse and print back (a validation pass; an untouched dump comes back unchanged).
import { dumpFromJson, parseDump, printDumpChunks } from '../../dump.js';
import { parseJsonText } from '../../json-input.js';
import { defineCommand } from '../command.js';
import { readInput, refuseEmpty, writeOutput } from '../io.js';
import { formatOption, type FormatArg } from './format-option.js';

export const fmtCommand = defineCommand({
  command: 'fmt [file]',
  describe: 'Parse a dump and print it back (exit 2 with the line and column of the first error)',
  builder: (y) =>
    y
      .positional('file', { type: 'string', describe: 'dump to read (default or "-": stdin)' })
      .option('format', formatOption)
      .option('from-json', {
        type: 'boolean',
        default: false,
        describe: 'read the JSON form that dfw parse prints (edited nodes are validated and printed canonically)',
      })
      .option('o', { alias: 'output', type: 'string', describe: 'write to this file (atomically) instead of stdout' })
      .example('iptables-save | $0 fmt > /dev/null', 'check that a dump is valid restore input')
      .example('$0 fmt rules.v4 -o rules.v4', 'validate in place (the file is replaced only on success)')
      .example("iptables-save | dfw parse | jq '...' | $0 fmt --from-json | iptables-restore", 'edit a dump as JSON'),
  handler: (args: { file?: string; format?: FormatArg; o?: string; fromJson?: boolean }) => {
    const input = readInput(args.file);
    if (!args.fromJson) refuseEmpty(input, args.format);
    const dump = args.fromJson
      ? dumpFromJson(parseJsonText(input.text, input.file), input.file)
      : parseDump(input.text, { file: input.file, format: args.format });
    writeOutput((emit) => printDumpChunks(dump, emit), args.o);
    return 0;
  },
});
