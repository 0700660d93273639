// Issue 20: the man page and the completion scripts are made from the commands' declarations,
// as `dfw --help` is; these tests hold the three together: every command, option, example and
// exit code of --help is in the page and completes, and a command added later is picked up.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CommandModule } from 'yargs';
import { commands } from '../src/cli/commands/index.js';
import { defineCommand } from '../src/cli/command.js';
import { completionScript } from '../src/cli/help/completion-script.js';
import { manPage } from '../src/cli/help/manpage.js';
import { dfw } from './support/cli.js';
import { ROOT } from './support/fixtures.js';
import { inCI } from './support/netns.js';

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

/** dist/dfw.1 as man shows it, one line per option (wide: nothing wraps). */
function renderedPage(): string {
  const r = spawnSync('man', ['--warnings', '-l', join(ROOT, 'dist', 'dfw.1')], {
    encoding: 'utf8',
    env: { ...process.env, MANPAGER: 'cat', PAGER: 'cat', MANWIDTH: '250' },
  });
  expect(r.status, r.stderr).toBe(0);
  expect(r.stderr).toBe('');
  return r.stdout;
}

const COMMAND_NAMES = dfw(['--help'])
  .stdout.split('\n')
  .map((l) => /^ {2}dfw (\w+)/.exec(l)?.[1])
  .filter((n): n is string => n !== undefined);

/** The flags --help lists for a command: `-p`, `--policy`, ... */
function helpFlags(help: string): string[] {
  const options = help.split('\nOptions:\n')[1]!.split('\n\n')[0]!;
  return options
    .split('\n')
    .flatMap((l) => /^ {2}(?:(-\w), )? *(--[\w-]+)/.exec(l)?.slice(1) ?? [])
    .filter(Boolean) as string[];
}

/** Example command lines of --help (two or more spaces part a command from its description). */
function helpExamples(help: string): string[] {
  const part = help.split('\nExamples:\n')[1];
  return part === undefined
    ? []
    : part
        .split('\n')
        .filter((l) => l.startsWith('  '))
        .map((l) => l.trim().split(/ {2,}/)[0]!);
}

/** One command's block of the rendered page: from `   dfw NAME` to the next command or section. */
function pageBlock(page: string, name: string): string {
  const start = page.search(new RegExp(`^ {3}dfw ${name}\\b`, 'm'));
  expect(start, `the man page has no section for dfw ${name}`).toBeGreaterThan(0);
  const rest = page.slice(start + 1);
  const end = rest.search(/^ {3}dfw \w|^[A-Z]/m);
  return end < 0 ? rest : rest.slice(0, end);
}

describe.skipIf(!has('man') && !inCI)('the man page and --help (issue 20)', () => {
  const page = renderedPage();

  it('lists every command --help lists, and no other', () => {
    expect(COMMAND_NAMES.length).toBeGreaterThanOrEqual(9);
    const inPage = [...page.matchAll(/^ {3}dfw (\w+)/gm)].map((m) => m[1]);
    expect(inPage).toEqual(COMMAND_NAMES);
  });

  it.each(COMMAND_NAMES)(
    'dfw %s: every option of --help is in the page, and every option of the page in --help',
    (name) => {
      const help = dfw([name, '--help']);
      expect(help.status, help.stderr).toBe(0);
      const block = pageBlock(page, name);
      const fromHelp = helpFlags(help.stdout).filter((f) => f !== '-h' && f !== '--help' && f !== '--version');
      const fromPage = [...block.matchAll(/^ {14}(-[^ \n,]+(?:, -[^ \n,]+)*)/gm)].flatMap((m) => m[1]!.split(', '));
      expect([...fromPage].sort()).toEqual([...fromHelp].sort());
    },
  );

  it.each(COMMAND_NAMES)('dfw %s: every example of --help is in EXAMPLES', (name) => {
    const examples = page.split(/^EXAMPLES$/m)[1]!.split(/^SEE ALSO$/m)[0]!;
    for (const e of helpExamples(dfw([name, '--help']).stdout)) expect(examples).toContain(e);
  });

  it("the exit codes of --help are the page's EXIT STATUS", () => {
    const line = /^Exit codes: (.*)\.$/m.exec(dfw(['--help']).stdout)![1]!;
    const status = page.split(/^EXIT STATUS$/m)[1]!.split(/^FILES$/m)[0]!;
    const codes = line.split(/, (?=\d )/).map((c) => /^(\d) (.*)$/.exec(c)!.slice(1));
    expect(codes.map((c) => c[0])).toEqual(['0', '1', '2']);
    for (const [code, meaning] of codes)
      expect(status).toMatch(new RegExp(`^ {7}${code}\\s+${meaning!.replace(/[-/\\^$*+?.()|[\]{}]/g, '\\$&')}$`, 'm'));
  });
});

/** A command another helper might register later: the generators must pick it up unaided. */
const later = defineCommand({
  command: 'later [file]',
  describe: 'A command registered after this test was written',
  builder: (y) =>
    y
      .positional('file', { type: 'string', describe: 'dump to read' })
      .option('shade', { choices: ['light', 'dark'] as const, describe: 'which shade' })
      .option('rules', { alias: 'r', type: 'string', describe: 'rules file' })
      .example('$0 later x --shade dark', 'try it'),
  handler: () => 0,
}) as CommandModule<object, unknown>;

describe('a command added to the list is in the page and completes', () => {
  const all = [...commands, later] as CommandModule<object, unknown>[];

  it('the man page', () => {
    const roff = manPage(all, { version: '9.9.9', date: '2026-01-01' });
    expect(roff).toContain('.SS "dfw later [FILE]"');
    expect(roff).toContain('\\fB\\-\\-shade\\fR \\fIlight|dark\\fR');
    expect(roff).toContain('\\fB\\-\\-rules\\fR, \\fB\\-r\\fR \\fIFILE\\fR');
    expect(roff).toContain('dfw later x \\-\\-shade dark');
  });

  it('bash and zsh', () => {
    expect(completionScript('bash', all)).toMatch(
      /^ {4}later\)\n(.*\n)*? {8}--shade\) COMPREPLY=\(\$\(compgen -W 'light dark'/m,
    );
    expect(completionScript('zsh', all)).toContain("'--shade[which shade]:value:(light dark)'");
  });
});

/** What bash completes for a command line whose last word is being typed. */
function bashComplete(words: string[], cwd = ROOT): string[] {
  const script = dfw(['completion', 'bash']).stdout;
  const quoted = words.map((w) => `'${w}'`).join(' ');
  const r = spawnSync(
    'bash',
    [
      '-c',
      `${script}\nCOMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _dfw; printf '%s\\n' "\${COMPREPLY[@]}"`,
    ],
    { encoding: 'utf8', cwd },
  );
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.split('\n').filter(Boolean).sort();
}

describe('dfw completion bash', () => {
  it('completes commands, options, the choices of --mode, --format and --family', () => {
    expect(bashComplete(['dfw', ''])).toEqual([...COMMAND_NAMES, '--help', '--version', '-h'].sort());
    expect(bashComplete(['dfw', 'tr'])).toEqual(['trace', 'transform']);
    expect(bashComplete(['dfw', 'transf'])).toEqual(['transform']);
    expect(bashComplete(['dfw', 'transform', '--mo'])).toEqual(['--mode']);
    expect(bashComplete(['dfw', 'transform', '--no-d'])).toEqual(['--no-dump']);
    expect(bashComplete(['dfw', 'transform', '--mode', ''])).toEqual(['full', 'noflush']);
    expect(bashComplete(['dfw', 'ipset', '--mode', ''])).toEqual(['flush', 'incremental', 'swap']);
    expect(bashComplete(['dfw', 'transform', '--family', ''])).toEqual(['4', '6']);
    expect(bashComplete(['dfw', 'nft', '--family', ''])).toEqual(['4', '6', 'both']);
    expect(bashComplete(['dfw', 'parse', '--format', ''])).toEqual(['ipset', 'iptables']);
    expect(bashComplete(['dfw', 'completion', ''])).toEqual(['bash', 'zsh']);
    expect(bashComplete(['dfw', 'transform', '--plugin-timeout', ''])).toEqual([]);
  });

  it('completes file names for FILE, --policy and -o, folders for --out', () => {
    expect(bashComplete(['dfw', 'transform', 'fixtures/demo/p'])).toEqual(['fixtures/demo/policy.yaml']);
    expect(bashComplete(['dfw', 'transform', '--policy', 'fixtures/demo/'])).toEqual(['fixtures/demo/policy.yaml']);
    expect(bashComplete(['dfw', 'ipset', '-p', 'fixtures/demo/'])).toEqual(['fixtures/demo/policy.yaml']);
    expect(bashComplete(['dfw', 'diff', 'x', 'fixtures/demo/'])).toEqual(['fixtures/demo/policy.yaml']);
    expect(bashComplete(['dfw', 'bundle', '--out', 'fixtures/de'])).toEqual(['fixtures/demo']);
  });
});

describe.skipIf(!has('zsh') && !inCI)('dfw completion zsh', () => {
  /** The specs _dfw hands to zsh's completion functions, with those functions stubbed to print them. */
  function zshSpecs(words: string[]): string {
    const script = dfw(['completion', 'zsh']).stdout;
    const stubs =
      '_arguments() { print -rl -- "$@"; }; _describe() { print -rl -- "${(@P)${@[-1]}}"; }; compadd() { print -rl -- "$@"; }';
    const quoted = words.map((w) => `'${w}'`).join(' ');
    const r = spawnSync('zsh', ['-f', '-c', `${stubs}\nwords=(${quoted}); CURRENT=${words.length}\n${script}`], {
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    return r.stdout;
  }

  it('parses (zsh -n)', () => {
    const r = spawnSync('zsh', ['-n'], { input: dfw(['completion', 'zsh']).stdout, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });

  it("offers the commands first, then each command's options with their choices and files", () => {
    const first = zshSpecs(['dfw', '']);
    for (const name of COMMAND_NAMES) expect(first).toMatch(new RegExp(`^${name}:`, 'm'));
    const transform = zshSpecs(['dfw', 'transform', '']);
    expect(transform).toContain('--mode[full]:value:(full noflush)');
    expect(transform).toContain('--family[address family]:value:(4 6)');
    expect(transform).toContain('(--policy -p)-p[policy file]:file:_files');
    expect(transform).toContain('*--plugin[ES module exporting transform]:file:_files');
    expect(transform).toContain('1:file:_files');
    expect(zshSpecs(['dfw', 'parse', '']).split('\n')).toContain('--format[input format]:value:(iptables ipset)');
  });
});

describe('README and CHANGELOG (issue 20)', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

  it("README: the developer's two commands first, then Install (the .deb, the executable, then npm)", () => {
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)![1]!.split('\n');
    expect(firstBlock[0]).toMatch(/^npm ci && npm start\b/);
    expect(firstBlock[1]).toMatch(/^npm test\b/);
    const headings = [...readme.matchAll(/^(#{2,3}) (.*)$/gm)].map((m) => m[2]);
    expect(headings.slice(0, 3)).toEqual([
      'Install',
      'On a host: the Debian package or the single executable',
      'For development: npm',
    ]);
    const install = readme.split(/^## Install$/m)[1]!.split(/^## /m)[0]!;
    expect(install.indexOf('.deb')).toBeLessThan(install.indexOf('dfw-linux-x64'));
    expect(install.indexOf('dfw-linux-x64')).toBeLessThan(install.indexOf('npm install -g'));
  });

  it('CHANGELOG: Keep a Changelog, with an [Unreleased] section first', () => {
    const changelog = readFileSync(join(ROOT, 'CHANGELOG.md'), 'utf8');
    expect(changelog).toMatch(/\[Keep a Changelog\]\(https:\/\/keepachangelog\.com\//);
    expect(/^## (.*)$/m.exec(changelog)![1]).toBe('[Unreleased]');
    for (const h of [...changelog.matchAll(/^### (.*)$/gm)].map((m) => m[1]))
      expect(['Added', 'Changed', 'Deprecated', 'Removed', 'Fixed', 'Security', 'Breaking']).toContain(h);
  });
});
