// The words of dfw's help that are not an option's: the summary, the exit codes, the files. One
// source for `dfw --help` (main.ts) and the man page (manpage.ts), so that the two cannot differ.

export const SUMMARY = 'transform iptables-save / ipset save dumps for a Docker host';

export const DESCRIPTION = 'Transforms iptables-save / ipset save dumps; never runs a command itself.';

/** Longer text for the man page's DESCRIPTION; paragraphs. */
export const DESCRIPTION_MORE = [
  "dfw reads iptables-save, ip6tables-save and ipset save output (or nft's JSON ruleset), puts the rules of a declarative policy in a chain of its own (DFW-<name>), reached by one jump at the top of Docker's DOCKER-USER chain (or DOCKER), and prints files ready for iptables-restore, ipset restore or nft -f, or a unified diff. Every rule it does not manage is kept as it was.",
  'Input is read from FILE, or from standard input when FILE is missing or "-". Output goes to standard output, or with -o FILE to FILE, written atomically. On an error nothing is written.',
];

export const HELP_DESCRIBE = 'Show help';
export const VERSION_DESCRIBE = 'Show the version and the commit dfw was built from';

export const EXIT_CODES: readonly { code: number; meaning: string }[] = [
  { code: 0, meaning: 'done / no difference' },
  { code: 1, meaning: '--check or diff found a difference' },
  { code: 2, meaning: 'bad input, policy or usage' },
];

/** The top-level epilogue of `dfw --help`. */
export const EXIT_CODES_LINE = `Exit codes: ${EXIT_CODES.map((e) => `${e.code} ${e.meaning}`).join(', ')}.`;

/** Files the Debian package installs that a user looks for (the man page's FILES). */
export const FILES: readonly { path: string; text: string }[] = [
  { path: '/usr/bin/dfw', text: 'the dfw executable (Node.js is built in)' },
  {
    path: '/usr/share/doc/dfw/examples/',
    text: 'example policies: web.yaml (the reference example), classic.yaml, demo.yaml',
  },
  { path: '/usr/share/doc/dfw/README.md.gz', text: 'the user manual: workflows, limits, scripting' },
  { path: '/usr/share/bash-completion/completions/dfw', text: 'bash completion (dfw completion bash)' },
  { path: '/usr/share/zsh/vendor-completions/_dfw', text: 'zsh completion (dfw completion zsh)' },
];

export const SEE_ALSO = ['iptables-save(8)', 'iptables-restore(8)', 'ip6tables-restore(8)', 'ipset(8)', 'nft(8)'];
