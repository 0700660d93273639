// Boot persistence: golden files of `dfw bundle` (fixtures/bundle/<case>/: policy.yaml, args, expected/),
// its --check, idempotence, stale files and errors, and `systemd-analyze verify` on the units.
// The CLI runs as a process, inside the case folder, as a user runs it. Needs `npm run build`.
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BUNDLE_FILE_NAMES,
  buildBundle,
  bundleOptions,
  compareBundle,
  ipsetRestoreText,
  pathProblem,
  reapplyCommands,
} from '../src/bundle/index.js';
import { parseIpset } from '../src/ipset/index.js';
import { loadPolicy } from '../src/policy/load.js';
import { CLI, dfw } from './support/cli.js';
import { FIXTURES, caseDirs } from './support/fixtures.js';
import { inCI } from './support/netns.js';

const CASES_DIR = join(FIXTURES, 'bundle');

interface Case {
  name: string;
  dir: string;
  policyText: string;
  args: string[];
  /** expected/: file name → content */
  expected: Map<string, string>;
}

function loadCases(): Case[] {
  return caseDirs(CASES_DIR).map((name) => {
    const dir = join(CASES_DIR, name);
    const argsFile = join(dir, 'args');
    const expectedDir = join(dir, 'expected');
    return {
      name,
      dir,
      policyText: readFileSync(join(dir, 'policy.yaml'), 'utf8'),
      args: existsSync(argsFile) ? readFileSync(argsFile, 'utf8').trim().split(/\s+/).filter(Boolean) : [],
      expected: folder(expectedDir),
    };
  });
}

const CASES = loadCases();
const work = mkdtempSync(join(tmpdir(), 'dfw-bundle-golden-'));
let counter = 0;
const freshDir = (label: string) => join(work, `${++counter}-${label}`);

/** The files of a folder: name → content. */
function folder(dir: string): Map<string, string> {
  return new Map(
    readdirSync(dir)
      .sort()
      .map((f) => [f, readFileSync(join(dir, f), 'utf8')]),
  );
}

/** Bundle order: the order in which dfw writes (and lists) the files. */
const inBundleOrder = (names: Iterable<string>) =>
  [...names].sort((a, b) => BUNDLE_FILE_NAMES.indexOf(a) - BUNDLE_FILE_NAMES.indexOf(b));

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('fixtures/bundle: the cases', () => {
  it('has a DOCKER-USER case and a DOCKER chain case, each with the files its chain needs', () => {
    const byName = new Map(CASES.map((c) => [c.name, c]));
    const user = byName.get('docker-user')!;
    const docker = byName.get('docker-chain')!;
    expect(loadPolicy(user.policyText, 'p').chain).toBe('DOCKER-USER');
    expect(loadPolicy(docker.policyText, 'p').chain).toBe('DOCKER');
    expect([...user.expected.keys()].sort()).toEqual([
      'dfw-firewall.service',
      'ipset.restore',
      'policy.yaml',
      'rules.v4',
      'rules.v6',
    ]);
    expect([...docker.expected.keys()].sort()).toEqual([
      'dfw-firewall.service',
      'dfw-reapply.service',
      'ipset.restore',
      'policy.yaml',
    ]);
    expect([...byName.get('ipv4-only')!.expected.keys()].sort()).toEqual([
      'dfw-firewall.service',
      'policy.yaml',
      'rules.v4',
    ]);
    expect([...byName.get('docker-chain-no-sets')!.expected.keys()].sort()).toEqual([
      'dfw-reapply.service',
      'policy.yaml',
    ]);
  });
});

describe.each(CASES)('golden $name', (c) => {
  const base = ['bundle', '--policy', 'policy.yaml', ...c.args];

  it('dfw bundle --out DIR writes exactly expected/, and lists the files it wrote, in order', () => {
    const out = freshDir(c.name);
    const r = dfw([...base, '--out', out], undefined, c.dir);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(folder(out)).toEqual(c.expected);
    expect(r.stdout).toBe(
      inBundleOrder(c.expected.keys())
        .map((f) => `${join(out, f)}\n`)
        .join(''),
    );
    expect(folder(out).get('policy.yaml'), 'policy.yaml is a byte copy of the policy').toBe(c.policyText);
  });

  it('expected/ is current: --check exits 0, prints nothing (the golden-file review a CI runs)', () => {
    const r = dfw([...base, '--out', 'expected', '--check'], undefined, c.dir);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('');
    expect(r.status).toBe(0);
  });

  it('writing again with the unchanged policy changes no byte and touches no file', () => {
    const out = freshDir(`${c.name}-again`);
    expect(dfw([...base, '--out', out], undefined, c.dir).status).toBe(0);
    const before = new Map([...folder(out).keys()].map((f) => [f, statSync(join(out, f)).mtimeMs]));
    const contents = folder(out);
    const again = dfw([...base, '--out', out], undefined, c.dir);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout, 'nothing written').toBe('');
    expect(folder(out)).toEqual(contents);
    for (const [f, t] of before) expect(statSync(join(out, f)).mtimeMs, f).toBe(t);
    expect(
      readdirSync(out).filter((f) => f.startsWith('.')),
      'no temporary files left',
    ).toEqual([]);
  });

  it('the library gives the same files, and the same bytes on every call', () => {
    const policy = loadPolicy(c.policyText, 'policy.yaml');
    const opt = (flag: string) => {
      const i = c.args.indexOf(flag);
      return i < 0 ? undefined : c.args[i + 1];
    };
    const given = {
      prefix: opt('--prefix'),
      policyPath: opt('--policy-path'),
      dfwPath: opt('--dfw-path'),
      sbinDir: opt('--sbin-dir'),
      ipv6: !c.args.includes('--no-ipv6'),
    };
    const a = buildBundle(policy, c.policyText, given);
    const b = buildBundle(loadPolicy(c.policyText, 'policy.yaml'), c.policyText, given);
    expect(a).toEqual(b);
    expect(new Map(a.files.map((f) => [f.name, f.text]))).toEqual(c.expected);
    expect(compareBundle(a, c.expected)).toEqual([]);
  });

  it('rules.v4 / rules.v6 are what dfw transform --mode noflush --no-dump --family 4|6 prints', () => {
    for (const f of [4, 6]) {
      const name = `rules.v${f}`;
      if (!c.expected.has(name)) continue;
      const r = dfw(
        ['transform', '--policy', 'policy.yaml', '--mode', 'noflush', '--no-dump', '--family', String(f)],
        undefined,
        c.dir,
      );
      expect(r.status, r.stderr).toBe(0);
      expect(c.expected.get(name)).toBe(r.stdout);
      // One table, one COMMIT: iptables-restore applies it in one transaction (docs/format.md#errors-and-atomicity), so
      // a host switches from the old rules to the new ones at once. It declares the policy's own
      // chain only, never DOCKER-USER (other tools' rules there survive a reload).
      const owned = `DFW-${loadPolicy(c.policyText, 'p').name}`;
      const text = r.stdout;
      expect(text.match(/^\*/gm)).toEqual(['*']);
      expect(text.match(/^COMMIT$/gm)).toHaveLength(1);
      expect(text.match(/^:.*/gm)).toEqual([`:${owned} - [0:0]`]);
      expect(text).not.toMatch(new RegExp(`^-A (?!${owned} )`, 'm'));
      expect(text).not.toMatch(/^-[DIFX] /m);
    }
  });

  it('ipset.restore is an ipset restore file: parsed, it prints back the same; each set is created -exist then swapped in from a flushed temporary set', () => {
    const text = c.expected.get('ipset.restore');
    if (text === undefined) return;
    const dump = parseIpset(text, 'ipset.restore');
    const commands = dump.lines.filter((l) => l.kind !== 'comment' && l.kind !== 'blank');
    const policy = loadPolicy(c.policyText, 'p');
    for (const s of policy.ipsets) {
      const own = commands
        .filter((l) => 'set' in l && (l.set === s.name || l.set === `${s.name}-dfwtmp`))
        .map((l) => l.kind);
      expect(own, s.name).toEqual(['create', 'create', 'flush', ...s.entries.map(() => 'add'), 'swap', 'destroy']);
    }
    for (const l of commands) if (l.kind === 'create') expect(l.exist, 'every create has -exist').toBe(true);
    expect(text.split('\n')[1], 'the first lines say why').toMatch(/^# Boot and update file/);
  });

  it('the units name the paths given (or the defaults) and load the sets before the rules', () => {
    const fw = c.expected.get('dfw-firewall.service');
    if (fw !== undefined) {
      const exec = fw.split('\n').filter((l) => l.startsWith('ExecStart='));
      // Sets, then per family the owned chain's file and the jump (added only when missing).
      const order = ['ipset', 'iptables-restore', 'iptables', 'ip6tables-restore', 'ip6tables'];
      const kinds = exec.map(
        (l) => /^ExecStart=(?:\/bin\/bash -c '|)\S*\/(ipset|ip6?tables(?:-restore)?) /.exec(l)?.[1],
      );
      expect(kinds.filter((k) => k === undefined)).toEqual([]);
      expect([...kinds].sort((a, b) => order.indexOf(a!) - order.indexOf(b!))).toEqual(kinds);
      for (const l of exec.filter((x) => x.includes("-c '")))
        expect(l).toMatch(
          / -C DOCKER(-USER)? -m comment --comment "dfw:[^"]+:jump" -j DFW-\S+ 2>\/dev\/null \|\| \S+ -w -I /,
        );
      expect(fw).toMatch(/^Before=.*\bdocker\.socket docker\.service\b/m);
      expect(fw).toMatch(/^Type=oneshot$/m);
      expect(fw).toMatch(/^RemainAfterExit=yes$/m);
      for (const l of exec)
        expect(l).toMatch(
          c.args.includes('--sbin-dir')
            ? /^ExecStart=(\/bin\/bash -c ')?\/sbin\//
            : /^ExecStart=(\/bin\/bash -c ')?\/usr\/sbin\//,
        );
    }
    const re = c.expected.get('dfw-reapply.service');
    if (re !== undefined) {
      expect(re).toMatch(/^PartOf=docker\.service$/m);
      expect(re).toMatch(/^After=docker\.service\b/m);
      expect(re).toMatch(/^WantedBy=docker\.service$/m);
      for (const l of re.split('\n').filter((x) => x.startsWith('ExecStart=')))
        expect(l).toMatch(
          /^ExecStart=\/bin\/bash -o pipefail -c '[^']*\| [^']*dfw transform --policy \S+ --family [46] --mode noflush \| [^']*-restore -w --noflush'$/,
        );
    }
  });
});

describe('dfw bundle --check: what differs', () => {
  const c = CASES.find((x) => x.name === 'docker-user')!;
  const base = ['bundle', '--policy', 'policy.yaml'];

  function written(label: string): string {
    const out = freshDir(label);
    const r = dfw([...base, '--out', out], undefined, c.dir);
    expect(r.status, r.stderr).toBe(0);
    return out;
  }

  it('a changed file, a missing file: exit 1, their paths on stdout, a unified diff on stderr; nothing written', () => {
    const out = written('check');
    writeFileSync(join(out, 'rules.v4'), c.expected.get('rules.v4')!.replace('-j DROP', '-j ACCEPT'));
    rmSync(join(out, 'ipset.restore'));
    writeFileSync(join(out, 'notes.txt'), 'not a bundle file: ignored\n');
    const before = folder(out);
    const r = dfw([...base, '--out', out, '--check'], undefined, c.dir);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(`${join(out, 'ipset.restore')}\n${join(out, 'rules.v4')}\n`);
    expect(r.stderr).toContain(`--- ${join(out, 'rules.v4')}\n+++ ${join(out, 'rules.v4')} (dfw bundle)\n`);
    expect(r.stderr).toMatch(/^-.*-j ACCEPT$/m);
    expect(r.stderr).toMatch(/^\+.*"dfw:web:default" -j DROP$/m);
    expect(r.stderr).toContain(`--- /dev/null\n+++ ${join(out, 'ipset.restore')} (dfw bundle)\n`);
    expect(folder(out)).toEqual(before);
    // Writing repairs exactly those two files; then --check is content.
    const w = dfw([...base, '--out', out], undefined, c.dir);
    expect(w.stdout).toBe(`${join(out, 'ipset.restore')}\n${join(out, 'rules.v4')}\n`);
    expect(dfw([...base, '--out', out, '--check'], undefined, c.dir).status).toBe(0);
    expect(readFileSync(join(out, 'notes.txt'), 'utf8')).toBe('not a bundle file: ignored\n');
  });

  it('a missing folder: exit 1, every file listed, the folder not made', () => {
    const out = freshDir('absent');
    const r = dfw([...base, '--out', out, '--check'], undefined, c.dir);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(
      inBundleOrder(c.expected.keys())
        .map((f) => `${join(out, f)}\n`)
        .join(''),
    );
    expect(existsSync(out)).toBe(false);
  });

  it('a file of an older bundle that this one does not have (rules.v6 after --no-ipv6): listed by --check, removed on write', () => {
    const out = written('stale');
    const check = dfw([...base, '--no-ipv6', '--out', out, '--check'], undefined, c.dir);
    expect(check.status).toBe(1);
    expect(check.stdout).toBe(`${join(out, 'dfw-firewall.service')}\n${join(out, 'rules.v6')}\n`);
    expect(check.stderr).toContain(`--- ${join(out, 'rules.v6')}\n+++ /dev/null\n`);
    const w = dfw([...base, '--no-ipv6', '--out', out], undefined, c.dir);
    expect(w.status, w.stderr).toBe(0);
    expect(w.stdout).toBe(`${join(out, 'dfw-firewall.service')}\n${join(out, 'rules.v6')}\n`);
    expect(existsSync(join(out, 'rules.v6'))).toBe(false);
    expect(readFileSync(join(out, 'dfw-firewall.service'), 'utf8')).not.toMatch(/ip6tables/);
  });

  it('a changed policy: exactly the files it changes are listed and rewritten', () => {
    const out = written('changed');
    const changed = join(work, 'changed-policy.yaml');
    writeFileSync(changed, c.policyText.replace('entries: [203.0.113.7, 198.51.100.22]', 'entries: [203.0.113.8]'));
    const r = dfw(['bundle', '--policy', changed, '--out', out, '--check'], undefined, c.dir);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(`${join(out, 'policy.yaml')}\n${join(out, 'ipset.restore')}\n`);
    expect(r.stderr).toMatch(/^-add ipfriends-dfwtmp 203\.0\.113\.7$/m);
    expect(r.stderr).toMatch(/^\+add ipfriends-dfwtmp 203\.0\.113\.8$/m);
  });

  it('--out through a symbolic link to a file keeps the link and writes the file it points to', () => {
    const out = written('link');
    const target = join(work, 'rules.v4.real');
    writeFileSync(target, '# dfw: policy old\n'); // an older rules.v4 of dfw's: dfw replaces only its own files
    rmSync(join(out, 'rules.v4'));
    symlinkSync(target, join(out, 'rules.v4'));
    const r = dfw([...base, '--out', out], undefined, c.dir);
    expect(r.stdout).toBe(`${join(out, 'rules.v4')}\n`);
    expect(readFileSync(target, 'utf8')).toBe(c.expected.get('rules.v4'));
  });
});

describe('dfw bundle: errors exit 2 with a clear message and write nothing', () => {
  const c = CASES.find((x) => x.name === 'docker-user')!;

  const cases: [string, string[], RegExp][] = [
    ['a relative --prefix', ['--prefix', 'etc/dfw'], /--prefix "etc\/dfw": expected an absolute path/],
    ['a path with a space', ['--dfw-path', '/opt/my dfw/dfw'], /--dfw-path "\/opt\/my dfw\/dfw": only letters, digits/],
    ['a path with %', ['--policy-path', '/etc/dfw/%i.yaml'], /--policy-path .*only letters, digits/],
    ['a path with ..', ['--sbin-dir', '/usr/../sbin'], /--sbin-dir "\/usr\/..\/sbin": expected a normalised path/],
  ];
  it.each(cases)('%s', (_label, args, message) => {
    const out = freshDir('bad-option');
    const r = dfw(['bundle', '--policy', 'policy.yaml', '--out', out, ...args], undefined, c.dir);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(existsSync(out)).toBe(false);
  });

  it('a bad policy: the policy error (file:line:col), no folder made', () => {
    const out = freshDir('bad-policy');
    const p = join(work, 'bad.yaml');
    writeFileSync(p, 'version: 1\nname: web\nexternal: [eth0]\ndefault: maybe\n');
    const r = dfw(['bundle', '--policy', p, '--out', out]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${p}:4:`);
    expect(existsSync(out)).toBe(false);
  });

  it('a set the rules use but the policy does not declare: refused (iptables-restore would fail at boot)', () => {
    const out = freshDir('no-set');
    const p = join(work, 'noset.yaml');
    writeFileSync(p, 'version: 1\nname: web\nexternal: [eth0]\nsources: [set:elsewhere]\n');
    const r = dfw(['bundle', '--policy', p, '--out', out]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/set elsewhere is not declared under ipsets:/);
    expect(existsSync(out)).toBe(false);
  });

  it('--out names a file: "not a directory"; a bundle file name taken by a folder: said so', () => {
    const file = join(work, 'plain-file');
    writeFileSync(file, 'x\n');
    const r = dfw(['bundle', '--policy', 'policy.yaml', '--out', file], undefined, c.dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`dfw: ${file}: not a directory\n`);
    expect(readFileSync(file, 'utf8')).toBe('x\n');

    const out = freshDir('dir-in-the-way');
    mkdirSync(join(out, 'rules.v4'), { recursive: true });
    const d = dfw(['bundle', '--policy', 'policy.yaml', '--out', out, '--check'], undefined, c.dir);
    expect(d.status).toBe(2);
    expect(d.stderr).toContain(`${join(out, 'rules.v4')}: is a directory`);
  });

  it('--out and --policy are required', () => {
    const a = dfw(['bundle', '--policy', 'policy.yaml'], undefined, c.dir);
    expect(a.status).not.toBe(0);
    expect(a.stderr).toMatch(/Missing required argument: out/);
    const b = dfw(['bundle', '--out', freshDir('x')], undefined, c.dir);
    expect(b.status).not.toBe(0);
    expect(b.stderr).toMatch(/Missing required argument: policy/);
  });
});

// ---- systemd-analyze verify ------------------------------------------------------------------

function has(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** Why `systemd-analyze verify` cannot run the unit checks here, or undefined. */
function verifyUnavailable(): string | undefined {
  if (has('systemd-analyze') === undefined) return 'systemd-analyze is not installed (Debian: apt-get install systemd)';
  const r = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
  if (r.status !== 0) return `systemd-analyze --version failed: ${r.stderr.trim()}`;
  // The units run ipset, iptables-restore and ip6tables-restore from one folder: find it.
  const restore = has('iptables-restore');
  if (restore === undefined) return 'iptables-restore is not installed';
  for (const tool of ['ipset', 'ip6tables-restore', 'iptables-save', 'ip6tables-save']) {
    if (!existsSync(join(dirname(restore), tool)))
      return `${tool} is not in ${dirname(restore)} (next to iptables-restore)`;
  }
  if (!existsSync('/bin/bash')) return '/bin/bash does not exist';
  return undefined;
}

const verifyReason = verifyUnavailable();
if (verifyReason !== undefined)
  console.warn(`systemd-analyze verify tests ${inCI ? 'FAIL (CI)' : 'skipped'}: ${verifyReason}`);
const describeVerify = verifyReason === undefined || inCI ? describe : describe.skip;

describeVerify(
  `systemd-analyze verify accepts the generated units${verifyReason ? ` (skipped: ${verifyReason})` : ''}`,
  () => {
    beforeAll(() => {
      if (verifyReason !== undefined) throw new Error(`systemd-analyze verify cannot run in CI: ${verifyReason}`);
    });

    /** `systemd-analyze verify` of the given unit files, from their folder (bounded: 30 s). */
    function verify(dir: string, units: string[]): { status: number; output: string } {
      const r = spawnSync('systemd-analyze', ['verify', ...units.map((u) => join(dir, u))], {
        cwd: dir,
        encoding: 'utf8',
        timeout: 30_000,
      });
      return { status: r.status ?? -1, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
    }

    const STUB_DOCKER =
      '[Unit]\nDescription=stand-in for Docker (test only)\n\n[Service]\nType=notify\nExecStart=/bin/true\n';

    it.each(CASES)(
      '$name: no complaint with a docker.service next to them; without one, only that docker.service is missing',
      (c) => {
        // Units pointing at the tools of this machine, so that verify checks every ExecStart binary
        // (the dfw of the re-apply pipe is inside bash -c: verify does not look at it).
        const sbin = dirname(has('iptables-restore')!);
        const dir = freshDir(`verify-${c.name}`);
        const args = [
          'bundle',
          '--policy',
          'policy.yaml',
          '--out',
          dir,
          ...c.args.filter((a, i, all) => a !== '--sbin-dir' && all[i - 1] !== '--sbin-dir'),
          '--sbin-dir',
          sbin,
        ];
        const r = dfw(args, undefined, c.dir);
        expect(r.status, r.stderr).toBe(0);
        const units = readdirSync(dir)
          .filter((f) => f.endsWith('.service'))
          .sort();
        expect(units.length).toBeGreaterThan(0);
        for (const u of units) {
          for (const line of readFileSync(join(dir, u), 'utf8')
            .split('\n')
            .filter((l) => l.startsWith('ExecStart='))) {
            const bin = line.slice('ExecStart='.length).split(' ')[0]!;
            expect(existsSync(bin), `${u}: ${bin} exists`).toBe(true);
          }
        }

        // Alone: the only thing verify may say is that docker.service (BindsTo=) does not exist here.
        const alone = verify(dir, units);
        const other = alone.output
          .split('\n')
          .filter((l) => l.trim() !== '' && !/Unit docker\.service not found/.test(l));
        expect(other, alone.output).toEqual([]);
        if (alone.output.trim() === '') expect(alone.status).toBe(0);

        // With a stand-in docker.service in the same folder: nothing to say at all.
        writeFileSync(join(dir, 'docker.service'), STUB_DOCKER);
        const full = verify(dir, units);
        expect(full.output, full.output).toBe('');
        expect(full.status).toBe(0);
      },
    );

    it('the check is real: a unit with an unknown key and a missing binary is refused', () => {
      const dir = freshDir('verify-broken');
      mkdirSync(dir, { recursive: true });
      const c = CASES.find((x) => x.name === 'docker-user')!;
      const unit = c.expected
        .get('dfw-firewall.service')!
        .replace(/^ExecStart=\/usr\/sbin\/ipset /m, 'ExecStart=/nonexistent/ipset ')
        .replace('RemainAfterExit=yes', 'RemainAfterExit=yes\nRemainAfterExist=yes');
      writeFileSync(join(dir, 'dfw-firewall.service'), unit);
      const r = verify(dir, ['dfw-firewall.service']);
      expect(r.status).not.toBe(0);
      expect(r.output).toMatch(/Unknown key 'RemainAfterExist'/);
      expect(r.output).toMatch(/\/nonexistent\/ipset is not executable/);
    });

    it('the re-apply commands are what the unit runs (library and file agree)', () => {
      const c = CASES.find((x) => x.name === 'docker-chain')!;
      const unit = c.expected.get('dfw-reapply.service')!;
      const exec = unit
        .split('\n')
        .filter((l) => l.startsWith('ExecStart='))
        .map((l) => l.slice('ExecStart='.length));
      expect(exec).toEqual(reapplyCommands(bundleOptions()));
    });
  },
);

describe('library details', () => {
  const policyWith = (sets: string) => loadPolicy(`version: 1\nname: t\nexternal: [eth0]\nipsets:\n${sets}`, 'p.yaml');

  it('temporary set names stay within 31 bytes and never take a name the policy uses', () => {
    const long = 'a'.repeat(31);
    const p = policyWith(
      `  ${long}:\n    type: hash:ip\n    family: inet\n    entries: [192.0.2.1]\n  x:\n    type: hash:ip\n    family: inet\n    entries: []\n  x-dfwtmp:\n    type: hash:ip\n    family: inet\n    entries: []\n`,
    );
    const text = ipsetRestoreText(p)!;
    expect(text).toContain(`swap ${long} ${'a'.repeat(24)}-dfwtmp\n`);
    expect(text).toContain('swap x x-dfwtmp2\n');
    expect(text).toContain('swap x-dfwtmp x-dfwtmp-dfwtmp\n');
    expect(text).toContain('# set x: 0 members\n');
  });

  it('a policy without sets has no ipset.restore and its unit loads only the rules', () => {
    const b = buildBundle(
      loadPolicy('version: 1\nname: t\nexternal: [eth0]\n', 'p'),
      'version: 1\nname: t\nexternal: [eth0]\n',
    );
    expect(b.files.map((f) => f.name)).toEqual(['policy.yaml', 'rules.v4', 'rules.v6', 'dfw-firewall.service']);
    expect(b.absent).toEqual(['ipset.restore', 'dfw-reapply.service', 'dfw.nft', 'dfw-nft.service']);
    expect(b.files.find((f) => f.name === 'dfw-firewall.service')!.text).not.toMatch(/ipset/);
  });

  it('paths: plain absolute paths only, defaults under /etc/dfw', () => {
    expect(bundleOptions()).toEqual({
      prefix: '/etc/dfw',
      policyPath: '/etc/dfw/policy.yaml',
      dfwPath: '/usr/local/bin/dfw',
      sbinDir: '/usr/sbin',
      ipv6: true,
    });
    expect(bundleOptions({ prefix: '/srv/fw' }).policyPath).toBe('/srv/fw/policy.yaml');
    for (const bad of ['relative', '/a b', '/a/', '/a//b', '/a/./b', "/a'b", '/a$b', '/a%b', '/a;b'])
      expect(pathProblem(bad), bad).toBeDefined();
    for (const good of ['/', '/etc/dfw', '/opt/dfw-1.2/bin/dfw', '/srv/fw_x+y@z'])
      expect(pathProblem(good), good).toBeUndefined();
  });

  it('compareBundle: missing, changed and stale files, each with a diff', () => {
    const c = CASES.find((x) => x.name === 'docker-user')!;
    const b = buildBundle(loadPolicy(c.policyText, 'p'), c.policyText, { ipv6: false });
    const have = new Map(c.expected);
    have.delete('policy.yaml');
    have.set('rules.v4', 'x\n');
    const d = compareBundle(b, have);
    expect(d.map((x) => [x.name, x.status])).toEqual([
      ['policy.yaml', 'missing'],
      ['rules.v4', 'changed'],
      ['dfw-firewall.service', 'changed'],
      ['rules.v6', 'stale'],
    ]);
    for (const x of d) expect(x.diff).toMatch(/^--- /);
  });
});
