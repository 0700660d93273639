// dfw parse [FILE]: the dump as a JSON AST.
import { dumpToJson, parseDump } from '../../dump.js';
import { defineCommand } from '../command.js';
import { readInput, refuseEmpty, writeOutput } from '../io.js';
import { formatOption, type FormatArg } from './format-option.js';

export const parseCommand = defineCommand({
  command: 'parse [file]',
  describe: 'Print the AST of an iptables-save or ipset save dump as JSON',
  builder: (y) =>
    y
      .positional('file', { type: 'string', describe: 'dump to read (default or "-": stdin)' })
      .option('format', formatOption)
      .option('o', { alias: 'output', type: 'string', describe: 'write to this file (atomically) instead of stdout' })
      .example('iptables-save | $0 parse', 'structured JSON of every table, chain and rule')
      .example('$0 parse rules.v4 | jq \'.items[] | select(.kind=="table") | .name\'', 'list the tables'),
  handler: (args: { file?: string; format?: FormatArg; o?: string }) => {
    const input = readInput(args.file);
    refuseEmpty(input, args.format);
    const dump = parseDump(input.text, { file: input.file, format: args.format });
    writeOutput(`${JSON.stringify(dumpToJson(dump), null, 2)}\n`, args.o);
    return 0;
  },
});
