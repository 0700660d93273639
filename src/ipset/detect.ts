// Tells an `ipset save` / restore file from an iptables-save one by content, for `dfw parse` and
// `dfw fmt`: the first line that is not blank, a `#` comment or COMMIT decides. iptables dumps
// start their content with `*table` (then `:CHAIN` and `-A CHAIN` lines); ipset dumps with a
// command word (`create`, `add`, or an alias, docs/format.md#commands-and-aliases), maybe after `-exist`.
import { commandOf, isExistOption } from './settypes.js';

const IPSET_COMMANDS = new Set(['create', 'add', 'del', 'test', 'flush', 'destroy', 'rename', 'swap']);

export function looksLikeIpset(text: string): boolean {
  for (const raw of text.split('\n')) {
    const line = raw.replace(/^[ \t\v\f\r]+/, '').replace(/\r$/, '');
    if (line === '' || line.startsWith('#') || line === 'COMMIT') continue;
    if (line.startsWith('*') || line.startsWith(':')) return false;
    const words = line.split(/[ \t]+/).map((w) => w.replace(/"/g, ''));
    const cmdAt = words.findIndex((w) => !isExistOption(w));
    const cmd = words[cmdAt] ?? '';
    if (!IPSET_COMMANDS.has(commandOf(cmd) ?? '')) return false;
    // `-A`, `-D`, `-N`... are both ipset and iptables commands: an iptables rule goes on with
    // more options (`-A INPUT -s 10.0.0.1 -j DROP`); an ipset line has none but -exist.
    if (cmd.startsWith('-')) return !words.slice(cmdAt + 1).some((w) => w.startsWith('-') && !isExistOption(w));
    return true;
  }
  return false;
}
