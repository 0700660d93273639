// dfw parse [FILE]: the dump as a JSON AST.
import { dockerLayout } from '../../docker/layout.js';
import { dumpToJson, isIptablesDump, parseDump } from '../../dump.js';
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
    // An iptables dump's Docker layout rides along (additive: readers of the JSON form ignore it).
    const json = isIptablesDump(dump) ? { ...dumpToJson(dump), layout: dockerLayout(dump) } : dumpToJson(dump);
    writeOutput(`${JSON.stringify(json, null, 2)}\n`, args.o);
    return 0;
  },
});
