// `dfw completion bash|zsh`: completion scripts made from the commands' declarations
// (declarations.ts), so that a new command or option completes without another list to keep.
import type { CommandModule } from 'yargs';
import {
  declarationOf,
  flagsOf,
  GLOBAL_OPTIONS,
  valueKind,
  type CommandDecl,
  type OptionDecl,
  type ValueKind,
} from './declarations.js';

export const SHELLS = ['bash', 'zsh'] as const;
export type Shell = (typeof SHELLS)[number];

/** Every flag a user may type for an option; a boolean also has its --no- form. */
function typedFlags(o: OptionDecl): string[] {
  return [
    ...flagsOf(o),
    ...(o.type === 'boolean' && o.name.length > 1 && o.name !== 'help' && o.name !== 'version'
      ? [`--no-${o.name}`]
      : []),
  ];
}

const shq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

function bashValueCase(o: OptionDecl): string | undefined {
  const v = valueKind(o);
  const pattern = flagsOf(o).join('|');
  if (v.kind === 'flag') return undefined;
  if (v.kind === 'none') return `        ${pattern}) return ;;`;
  if (v.kind === 'words')
    return `        ${pattern}) COMPREPLY=($(compgen -W ${shq(v.words.join(' '))} -- "$cur")); return ;;`;
  return `        ${pattern}) _dfw_files ${v.kind === 'dir' ? '-d' : '-f'}; return ;;`;
}

function bashPositional(c: CommandDecl): string {
  const p = c.positionals[0];
  if (p === undefined) return ':';
  const v = valueKind(p);
  if (v.kind === 'words') return `COMPREPLY=($(compgen -W ${shq(v.words.join(' '))} -- "$cur"))`;
  return v.kind === 'dir' ? '_dfw_files -d' : '_dfw_files -f';
}

function bashCommand(c: CommandDecl): string[] {
  const options = [...c.options, ...GLOBAL_OPTIONS];
  const flags = options.flatMap(typedFlags);
  return [
    `    ${c.name})`,
    '      case $prev in',
    ...options.map(bashValueCase).filter((l): l is string => l !== undefined),
    '      esac',
    `      if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W ${shq(flags.join(' '))} -- "$cur")); else ${bashPositional(c)}; fi`,
    '      ;;',
  ];
}

export function bashScript(decls: CommandDecl[]): string {
  const top = [...decls.map((c) => c.name), ...GLOBAL_OPTIONS.flatMap(flagsOf)];
  return [
    '# bash completion for dfw: made by `dfw completion bash` from the commands dfw declares.',
    '# Install: dfw completion bash > /usr/share/bash-completion/completions/dfw',
    '_dfw_files() {',
    '  compopt -o filenames 2>/dev/null',
    '  COMPREPLY=($(compgen "$1" -- "$cur"))',
    '}',
    '_dfw() {',
    '  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}',
    '  COMPREPLY=()',
    '  if ((COMP_CWORD == 1)); then',
    `    COMPREPLY=($(compgen -W ${shq(top.join(' '))} -- "$cur"))`,
    '    return',
    '  fi',
    '  case ${COMP_WORDS[1]} in',
    ...decls.flatMap(bashCommand),
    '  esac',
    '}',
    'complete -F _dfw dfw',
    '',
  ].join('\n');
}

/** A description inside zsh's `[...]`: one clause, no brackets or quotes to break the spec. */
function zshDescription(text: string): string {
  const first = text.split(/[;:(]/)[0]!.trim();
  return first.replace(/[[\]\\`$]/g, '').replace(/'/g, '');
}

function zshAction(v: ValueKind): string {
  if (v.kind === 'file') return ':file:_files';
  if (v.kind === 'dir') return ':folder:_files -/';
  if (v.kind === 'words') return `:value:(${v.words.join(' ')})`;
  return v.kind === 'none' ? ':value: ' : '';
}

function zshOption(o: OptionDecl): string[] {
  const flags = flagsOf(o);
  const exclusive = flags.length > 1 ? `(${flags.join(' ')})` : '';
  const desc = `[${zshDescription(o.describe)}]`;
  const action = zshAction(valueKind(o));
  const specs = flags.map((f) => shq(`${o.array ? '*' : exclusive}${f}${desc}${action}`));
  if (o.type === 'boolean' && o.name.length > 1 && o.name !== 'help' && o.name !== 'version')
    specs.push(shq(`--no-${o.name}[turn off --${o.name}]`));
  return specs;
}

function zshCommand(c: CommandDecl): string[] {
  const specs = [...c.options, ...GLOBAL_OPTIONS].flatMap(zshOption);
  c.positionals.forEach((p, i) =>
    specs.push(shq(`${i + 1}:${p.name}${zshAction(valueKind(p)).replace(/^:[^:]*/, '')}`)),
  );
  return [`    ${c.name})`, `      _arguments -s ${specs.join(' \\\n        ')}`, '      ;;'];
}

export function zshScript(decls: CommandDecl[]): string {
  const commands = decls.map((c) => shq(`${c.name}:${zshDescription(c.describe)}`));
  return [
    '#compdef dfw',
    '# zsh completion for dfw: made by `dfw completion zsh` from the commands dfw declares.',
    '# Install: dfw completion zsh > /usr/share/zsh/vendor-completions/_dfw',
    '_dfw() {',
    '  local -a commands',
    `  commands=(${commands.join(' ')})`,
    '  if (( CURRENT == 2 )); then',
    "    _describe -t commands 'dfw command' commands",
    '    compadd -- --help -h --version',
    '    return',
    '  fi',
    '  local cmd=$words[2]',
    '  shift words',
    '  (( CURRENT-- ))',
    '  case $cmd in',
    ...decls.flatMap(zshCommand),
    '  esac',
    '}',
    '_dfw "$@"',
    '',
  ].join('\n');
}

export function completionScript(shell: Shell, commands: readonly CommandModule<object, unknown>[]): string {
  const decls = commands.map(declarationOf);
  return shell === 'bash' ? bashScript(decls) : zshScript(decls);
}
