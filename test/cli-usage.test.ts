// Issue 22, item 2 (an option that takes one value, given twice) and the CLI parts of item 16
// (--version, -h, an unknown command, a file dfw may not read).
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { dfw } from './support/cli.js';
import { FIXTURES, ROOT } from './support/fixtures.js';

const FIXTURE = join(FIXTURES, 'iptables', 'docker29.nft.v4');
const POLICY = join(FIXTURES, 'policies', 'web.yaml');
const IPSET = join(FIXTURES, 'ipset', 'hash-ip.ipset');

const work = mkdtempSync(join(tmpdir(), 'dfw-usage-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// Each command with the arguments it needs to succeed.
const BASE: Record<string, string[]> = {
  transform: [FIXTURE, '-p', POLICY],
  strip: [FIXTURE, '--all'],
  ipset: [IPSET, '-p', POLICY],
  bundle: ['-p', POLICY, '--out', join(work, 'bundle')],
  nft: [join(FIXTURES, 'nft', 'docker29', 'input.json'), '-p', POLICY],
  diff: [FIXTURE, FIXTURE],
  parse: [FIXTURE],
  fmt: [FIXTURE],
};

// A valid value for each option that takes one.
const VALUE: Record<string, (command: string) => string> = {
  policy: () => POLICY,
  mode: (c) => (c === 'ipset' ? 'flush' : 'noflush'),
  family: () => '4',
  ipsets: () => IPSET,
  'plugin-timeout': () => '5',
  output: () => join(work, 'out'),
  diff: () => join(work, 'out.diff'),
  out: () => join(work, 'bundle'),
  prefix: () => '/srv/fw',
  'policy-path': () => '/srv/fw/policy.yaml',
  'dfw-path': () => '/usr/bin/dfw',
  'sbin-dir': () => '/sbin',
  format: () => 'iptables',
  backend: () => 'iptables',
};

/** The options of a command that take one value, as its --help lists them: [long name, short name]. */
function singleValued(command: string): [string, string | undefined][] {
  const help = dfw([command, '--help']).stdout;
  const out: [string, string | undefined][] = [];
  for (const line of help.split('\n')) {
    const m = /^\s+(?:-(\w), )?--([\w-]+)\s.*\[(?:string|number|choices:[^\]]*)\]/.exec(line);
    if (m !== null && !/\[array\]/.test(line)) out.push([m[2]!, m[1]]);
  }
  return out;
}

describe('an option that takes one value, given twice: exit 2 naming it (issue 22, item 2)', () => {
  const cases = Object.keys(BASE).flatMap((command) =>
    singleValued(command).map(([long, short]) => ({ command, long, short })),
  );

  it('finds the options of every command in their help', () => {
    expect(cases.map((c) => `${c.command} --${c.long}`)).toEqual(
      expect.arrayContaining([
        'transform --mode',
        'transform --family',
        'transform --output',
        'transform --diff',
        'transform --policy',
        'ipset --mode',
        'strip --diff',
        'bundle --out',
        'diff --output',
        'fmt --format',
        'parse --output',
      ]),
    );
    for (const c of cases) expect(VALUE[c.long], `a value for ${c.command} --${c.long}`).toBeDefined();
  });

  it.each(cases)('$command --$long', ({ command, long, short }) => {
    const base = BASE[command]!;
    const value = VALUE[long]!(command);
    const given = base.includes(`--${long}`) || (short !== undefined && base.includes(`-${short}`));
    const args = [command, ...base, ...(given ? [] : [`--${long}`, value]), `--${long}`, value];
    rmSync(join(work, 'out'), { force: true });
    const r = dfw(args);
    expect(r.status, `${args.join(' ')}\n${r.stderr}`).toBe(2);
    expect(r.stderr).toContain(`--${long} given twice`);
    expect(r.stdout).toBe('');
    expect(existsSync(join(work, 'out'))).toBe(false);
  });

  it('the cases of the issue: --mode noflush twice, -o a -o b, --diff twice, -p twice, --family 4 --family 6', () => {
    for (const extra of [
      ['--mode', 'noflush', '--mode', 'noflush'],
      ['-o', join(work, 'a'), '-o', join(work, 'b')],
      ['--diff', join(work, 'a'), '--diff', join(work, 'b')],
      ['-p', POLICY],
      ['--family', '4', '--family', '6'],
    ]) {
      const r = dfw(['transform', FIXTURE, '-p', POLICY, ...extra]);
      expect(r.status, `${extra.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(/^dfw: (-\w\/)?--[\w-]+ given twice: it takes one value/m);
      expect(r.stderr).not.toMatch(/internal error|ERR_INVALID_ARG_TYPE|\n\s+at /);
      expect(r.stdout).toBe('');
    }
  });

  it('a repeatable option (--plugin) and booleans (the last one counts) are not refused', () => {
    const plugin = join(work, 'same.mjs');
    writeFileSync(plugin, 'export function transform(d) { return d; }\n');
    const twice = dfw(['transform', FIXTURE, '-p', POLICY, '--plugin', plugin, '--plugin', plugin]);
    expect(twice.status, twice.stderr).toBe(0);
    const bools = dfw(['transform', FIXTURE, '-p', POLICY, '--check', '--check']);
    expect(bools.status, bools.stderr).toBe(1);
  });
});

describe('smaller CLI matters (issue 22, item 16)', () => {
  it('--version prints the package version, from any folder', () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    // Outside the repository: yargs finds no package.json by walking up from there.
    const r = dfw(['--version'], undefined, work);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${version}\n`);
  });

  it('-h is --help, for dfw and for each command', () => {
    for (const args of [[], ['transform'], ['bundle']]) {
      const h = dfw([...args, '-h']);
      const help = dfw([...args, '--help']);
      expect(h.status, h.stderr).toBe(0);
      expect(h.stdout).toBe(help.stdout);
      expect(h.stdout).toMatch(/Options:/);
    }
  });

  it('an unknown command is called one, with the nearest command when there is one', () => {
    const typo = dfw(['tranform', FIXTURE]);
    expect(typo.status).toBe(2);
    expect(typo.stderr).toMatch(/^dfw: unknown command tranform: did you mean transform\?$/m);
    const other = dfw(['frobnicate']);
    expect(other.status).toBe(2);
    expect(other.stderr).toMatch(
      /^dfw: unknown command frobnicate \(the commands: transform, strip, ipset, bundle, nft, diff, parse, fmt, lint\)$/m,
    );
    expect(other.stderr).not.toMatch(/Unknown argument/);
    expect(other.stdout).toBe('');
  });

  it.skipIf(process.getuid?.() !== 0)('a file dfw may not read: "permission denied", not a bare EACCES', () => {
    const secret = join(work, 'secret.v4');
    writeFileSync(secret, readFileSync(FIXTURE));
    chmodSync(secret, 0o600);
    chmodSync(work, 0o755);
    // As nobody (uid 65534), who may not read a root file of mode 600.
    const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'dfw.cjs'), 'fmt', secret], {
      uid: 65534,
      gid: 65534,
      encoding: 'utf8',
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`dfw: ${secret}: cannot read: permission denied (EACCES)\n`);
  });
});
