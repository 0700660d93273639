// Hostile input and failing I/O: `-o FILE` is written atomically (a temporary file in the same folder,
// then a rename; the mode and owner of the file it replaces are kept); on any error nothing is
// written, an existing file is left as it was and no temporary file stays behind, even when the
// error comes halfway through the output (a printer error, a full or read-only file system, a
// rename that fails). Input that is not UTF-8, binary, empty or over 1 GiB gets a clear message
// and exit 2, quickly, never a crash or a hang.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  ftruncateSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeInput, firstInvalidUtf8, MAX_INPUT_BYTES, readInput, writeOutput, writeOutputs } from '../src/cli/io.js';
import { DfwError } from '../src/errors.js';
import { CLI, dfw } from './support/cli.js';
import { FIXTURES } from './support/fixtures.js';
import { scratch } from './support/scratch.js';
import { inCI } from './support/netns.js';

const { work, folder } = scratch('dfw-hostile-io-');

const FIXTURE = join(FIXTURES, 'iptables', 'docker29.nft.v4');
const FIXTURE_TEXT = readFileSync(FIXTURE, 'utf8');
const POLICY = join(FIXTURES, 'policies', 'web.yaml');

/** Temporary files dfw may have left in a folder. */
const leftovers = (dir: string) => readdirSync(dir).filter((f) => f.includes('.dfw-') || f.endsWith('.tmp'));

/** A dump big enough that the printer hands several chunks to the writer before its end. */
function bigDump(rules: number): string {
  const lines = [
    '*filter',
    ':INPUT ACCEPT [0:0]',
    ':FORWARD DROP [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':DOCKER-USER - [0:0]',
    '-A FORWARD -j DOCKER-USER',
  ];
  for (let i = 0; i < rules; i++)
    lines.push(`-A INPUT -s 192.0.2.${i % 256}/32 -p tcp -m tcp --dport ${1 + (i % 65000)} -j ACCEPT`);
  lines.push('COMMIT', '');
  return lines.join('\n');
}

/** A plugin that appends, at the very end of the filter table, a rule the printer refuses (a 300-byte comment). */
const BAD_PLUGIN = `export function transform(dump) {
  const f = dump.items.find((t) => t.kind === 'table' && t.name === 'filter');
  f.body.push({ kind: 'rule', chain: 'INPUT', spec: { options: [], matches: [{ name: 'comment', options: [{ flag: '--comment', negated: false, values: ['x'.repeat(300)] }] }], target: { kind: 'jump', name: 'ACCEPT', options: [] } } });
  return dump;
}
`;

function run(args: string[], options: { input?: string; stdin?: number; timeout?: number } = {}) {
  const started = Date.now();
  const r = spawnSync(process.execPath, [CLI, ...args], {
    input: options.input,
    stdio: options.stdin === undefined ? 'pipe' : [options.stdin, 'pipe', 'pipe'],
    encoding: 'utf8',
    timeout: options.timeout ?? 60_000,
    maxBuffer: 256 * 1024 * 1024,
  });
  return {
    status: r.status ?? -1,
    stdout: r.stdout ?? '',
    stderr: r.stderr ?? '',
    ms: Date.now() - started,
    signal: r.signal,
  };
}

// ---- atomic -o --------------------------------------------------------------------------------

describe('-o FILE: atomic', () => {
  it('writes through a temporary file in the same folder, renamed over the target at the end', () => {
    const dir = folder('atomic');
    const out = join(dir, 'rules.v4');
    writeFileSync(out, 'old\n');
    const before = statSync(out).ino;
    const seen: string[][] = [];
    writeOutput((emit) => {
      emit('first half\n');
      // Halfway: the target still holds the old text, the new one is in a hidden file beside it.
      seen.push(readdirSync(dir).sort());
      expect(readFileSync(out, 'utf8')).toBe('old\n');
      emit('second half\n');
    }, out);
    expect(seen[0]).toHaveLength(2);
    expect(seen[0]!.find((f) => f !== 'rules.v4')).toMatch(/^\.rules\.v4\.dfw-\d+\.tmp$/);
    expect(readFileSync(out, 'utf8')).toBe('first half\nsecond half\n');
    expect(statSync(out).ino).not.toBe(before); // a new file, renamed in: never a half-written one
    expect(leftovers(dir)).toEqual([]);
  });

  it('keeps the mode of the file it replaces (600 stays 600), and its owner when run as root', () => {
    const dir = folder('mode');
    const out = join(dir, 'rules.v4');
    writeFileSync(out, 'old\n');
    chmodSync(out, 0o600);
    const root = process.getuid?.() === 0;
    if (root) chownSync(out, 4321, 8765);
    const r = dfw(['fmt', FIXTURE, '-o', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(readFileSync(out, 'utf8')).toBe(FIXTURE_TEXT);
    expect(statSync(out).mode & 0o7777).toBe(0o600);
    if (root) expect([statSync(out).uid, statSync(out).gid]).toEqual([4321, 8765]);
    chmodSync(out, 0o640);
    expect(dfw(['transform', FIXTURE, '-p', POLICY, '-o', out]).status).toBe(0);
    expect(statSync(out).mode & 0o7777).toBe(0o640);
    expect(leftovers(dir)).toEqual([]);
  });

  it('writes through a symbolic link to the file it points to, and the link stays', () => {
    const dir = folder('symlink');
    const real = join(dir, 'real.v4');
    const link = join(dir, 'link.v4');
    writeFileSync(real, 'old\n');
    chmodSync(real, 0o600);
    symlinkSync('real.v4', link);
    expect(dfw(['fmt', FIXTURE, '-o', link]).status).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe('real.v4');
    expect(readFileSync(real, 'utf8')).toBe(FIXTURE_TEXT);
    expect(statSync(real).mode & 0o7777).toBe(0o600);
    expect(leftovers(dir)).toEqual([]);
  });

  it('a new file gets the usual mode (0644 less the umask)', () => {
    const dir = folder('new');
    const out = join(dir, 'new.v4');
    expect(dfw(['fmt', FIXTURE, '-o', out]).status).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(FIXTURE_TEXT);
    expect(statSync(out).mode & 0o777).toBe(0o644 & ~process.umask());
    expect(leftovers(dir)).toEqual([]);
  });
});

// ---- nothing written on error -----------------------------------------------------------------

describe('-o FILE: on any error, nothing is written', () => {
  it('bad input: exit 2, the existing file unchanged, no temporary file', () => {
    const dir = folder('bad-input');
    const out = join(dir, 'rules.v4');
    writeFileSync(out, 'old\n');
    chmodSync(out, 0o600);
    const bad = join(dir, 'bad.v4');
    writeFileSync(bad, '*filter\n-A INPUT -j\nCOMMIT\n');
    for (const args of [
      ['fmt', bad, '-o', out],
      ['transform', bad, '-p', POLICY, '-o', out],
      ['transform', FIXTURE, '-p', bad, '-o', out],
      ['strip', bad, '--all', '-o', out],
    ]) {
      const r = dfw(args);
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stdout).toBe('');
      expect(readFileSync(out, 'utf8')).toBe('old\n');
      expect(statSync(out).mode & 0o7777).toBe(0o600);
      expect(leftovers(dir)).toEqual([]);
    }
  });

  it('an error thrown halfway through the output (library): the reason, not "cannot write"; nothing left', () => {
    const dir = folder('midway-lib');
    const out = join(dir, 'rules.v4');
    writeFileSync(out, 'old\n');
    let tempSeen = false;
    let error: unknown;
    try {
      writeOutput((emit) => {
        emit('x'.repeat(1 << 20));
        tempSeen = leftovers(dir).length === 1;
        throw new DfwError('--comment value is 300 bytes: at most 255');
      }, out);
    } catch (e) {
      error = e;
    }
    expect(tempSeen).toBe(true);
    expect(error).toBeInstanceOf(DfwError);
    expect((error as Error).message).toBe('--comment value is 300 bytes: at most 255');
    expect(readFileSync(out, 'utf8')).toBe('old\n');
    expect(leftovers(dir)).toEqual([]);
  });

  it(
    'a printer error after 40,000 lines (a plugin rule over the limits): exit 2, nothing on stdout or in -o FILE',
    { timeout: 120_000 },
    () => {
      const dir = folder('midway-cli');
      const input = join(dir, 'big.v4');
      writeFileSync(input, bigDump(40_000));
      const plugin = join(dir, 'bad-plugin.mjs');
      writeFileSync(plugin, BAD_PLUGIN);
      const out = join(dir, 'rules.v4');
      writeFileSync(out, 'old\n');
      chmodSync(out, 0o600);

      const toFile = run(['transform', input, '-p', POLICY, '--plugin', plugin, '-o', out]);
      expect(toFile.status, toFile.stderr).toBe(2);
      expect(toFile.stderr).toMatch(/--comment value is 300 bytes/);
      expect(toFile.stderr).not.toMatch(/cannot write/);
      expect(readFileSync(out, 'utf8')).toBe('old\n');
      expect(leftovers(dir)).toEqual([]);

      // To stdout: the first chunks must not have gone out before the error.
      const toStdout = run(['transform', input, '-p', POLICY, '--plugin', plugin]);
      expect(toStdout.status, toStdout.stderr).toBe(2);
      expect(toStdout.stdout.length).toBe(0);
    },
  );

  it('-o names a folder (the rename would fail): exit 2, the folder untouched, no temporary file', () => {
    const dir = folder('rename');
    const target = join(dir, 'rules.v4');
    mkdirSync(target);
    writeFileSync(join(target, 'inside'), 'keep\n');
    const r = dfw(['fmt', FIXTURE, '-o', target]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/cannot write/);
    expect(readdirSync(target)).toEqual(['inside']);
    expect(leftovers(dir)).toEqual([]);
  });

  it('a folder that does not exist: exit 2 and a message', () => {
    const r = dfw(['fmt', FIXTURE, '-o', join(work, 'no-such-folder', 'rules.v4')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/cannot write: no such file or directory \(ENOENT\)/);
  });

  const mountReason = ((): string | undefined => {
    if (process.getuid?.() !== 0) return 'not root: cannot mount a tmpfs';
    const probe = folder('mount-probe');
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { encoding: 'utf8' });
    if (m.status !== 0) return `mount failed: ${m.stderr.trim()}`;
    spawnSync('umount', [probe]);
    return undefined;
  })();
  const mountIt = mountReason === undefined ? it : inCI ? it : it.skip;

  /** A tiny tmpfs at a fresh folder, unmounted (lazily if busy) whatever happens. */
  function withTmpfs(label: string, sizeKiB: number, body: (dir: string) => void): void {
    if (mountReason !== undefined) throw new Error(`cannot test a full file system: ${mountReason}`);
    const dir = folder(label);
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKiB}k,mode=0755`, 'tmpfs', dir], {
      encoding: 'utf8',
    });
    expect(m.status, m.stderr).toBe(0);
    try {
      body(dir);
    } finally {
      if (spawnSync('umount', [dir]).status !== 0) spawnSync('umount', ['-l', dir]);
    }
  }

  mountIt(
    `a full file system (a 64 KiB tmpfs): exit 2, the old file intact, no partial or temporary file${mountReason ? ` (skipped: ${mountReason})` : ''}`,
    { timeout: 60_000 },
    () => {
      const input = join(folder('full-input'), 'big.v4');
      writeFileSync(input, bigDump(3000)); // ~200 KiB of output
      withTmpfs('full', 64, (dir) => {
        const out = join(dir, 'rules.v4');
        writeFileSync(out, 'old\n');
        chmodSync(out, 0o600);
        const r = dfw(['fmt', input, '-o', out]);
        expect(r.status, r.stderr).toBe(2);
        expect(r.stderr).toMatch(/ENOSPC|no space/);
        expect(readFileSync(out, 'utf8')).toBe('old\n');
        expect(statSync(out).mode & 0o7777).toBe(0o600);
        expect(readdirSync(dir)).toEqual(['rules.v4']);
        // And when it fits, it is written.
        const small = dfw(['fmt', FIXTURE, '-o', out]);
        expect(small.status, small.stderr).toBe(0);
        expect(readFileSync(out, 'utf8')).toBe(FIXTURE_TEXT);
      });
    },
  );

  mountIt(
    `a read-only file system: exit 2, the old file intact${mountReason ? ` (skipped: ${mountReason})` : ''}`,
    { timeout: 60_000 },
    () => {
      withTmpfs('readonly', 256, (dir) => {
        const out = join(dir, 'rules.v4');
        writeFileSync(out, 'old\n');
        expect(spawnSync('mount', ['-o', 'remount,ro', dir]).status).toBe(0);
        const r = dfw(['fmt', FIXTURE, '-o', out]);
        expect(r.status, r.stderr).toBe(2);
        expect(r.stderr).toMatch(/EROFS/);
        expect(readFileSync(out, 'utf8')).toBe('old\n');
        expect(readdirSync(dir)).toEqual(['rules.v4']);
      });
    },
  );

  mountIt(
    `dfw bundle: one file of the bundle on a read-only file system: none of the others changes${mountReason ? ` (skipped: ${mountReason})` : ''}`,
    { timeout: 60_000 },
    () => {
      const dir = folder('bundle-partial');
      const out = join(dir, 'bundle');
      const first = dfw(['bundle', '--policy', POLICY, '--out', out]);
      expect(first.status, first.stderr).toBe(0);
      const order = first.stdout
        .trim()
        .split('\n')
        .map((p) => basename(p)); // bundle order
      const before = new Map(order.map((f) => [f, readFileSync(join(out, f), 'utf8')]));
      // Another policy name changes the rule files (and maybe others): see which, in a spare folder.
      const other = join(dir, 'other.yaml');
      writeFileSync(other, readFileSync(POLICY, 'utf8').replace(/^name: \S+/m, 'name: other'));
      const spare = join(dir, 'spare');
      expect(dfw(['bundle', '--policy', other, '--out', spare]).status).toBe(0);
      const changed = order.filter((f) => readFileSync(join(spare, f), 'utf8') !== before.get(f));
      expect(changed.length).toBeGreaterThanOrEqual(2);
      // The last changed file, in the order they are written, lives on a read-only file system.
      const last = changed.at(-1)!;
      withTmpfs('bundle-ro', 256, (ro) => {
        writeFileSync(join(ro, last), before.get(last)!);
        rmSync(join(out, last));
        symlinkSync(join(ro, last), join(out, last));
        expect(spawnSync('mount', ['-o', 'remount,ro', ro]).status).toBe(0);
        const r = dfw(['bundle', '--policy', other, '--out', out]);
        expect(r.status, r.stderr).toBe(2);
        expect(r.stderr).toMatch(/EROFS/);
        expect(r.stdout).toBe('');
        for (const f of order) expect(readFileSync(join(out, f), 'utf8'), f).toBe(before.get(f));
        expect(leftovers(out)).toEqual([]);
      });
    },
  );
});

// ---- hostile input ----------------------------------------------------------------------------

describe('several results at once (--diff FILE with -o FILE, a bundle): both or neither', () => {
  it('transform and ipset: -o that cannot be written leaves --diff FILE unwritten, and the old one unchanged', () => {
    const dir = folder('diff-and-o');
    const diffFile = join(dir, 'changes.diff');
    const missing = join(dir, 'no-such-folder', 'rules.v4');
    const asFolder = join(dir, 'a-folder');
    mkdirSync(asFolder);
    for (const out of [missing, asFolder]) {
      const r = dfw(['transform', FIXTURE, '-p', POLICY, '--diff', diffFile, '-o', out]);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/cannot write: .*\((ENOENT|EISDIR)\)/);
      expect(existsSync(diffFile)).toBe(false);
      expect(leftovers(dir)).toEqual([]);
    }
    writeFileSync(diffFile, 'old diff\n');
    const ipsetPolicy = join(dir, 'sets.yaml');
    writeFileSync(
      ipsetPolicy,
      'version: 1\nname: t\nexternal: [eth0]\nsources: [set:friends]\nipsets:\n  friends:\n    type: hash:ip\n    entries: [192.0.2.9]\n',
    );
    const r = dfw(['ipset', '-p', ipsetPolicy, '--diff', diffFile, '-o', missing], '');
    expect(r.status, r.stderr).toBe(2);
    expect(readFileSync(diffFile, 'utf8')).toBe('old diff\n');
    expect(leftovers(dir)).toEqual([]);
  });

  it('--diff FILE and -o naming the same file: exit 2 and why, nothing written', () => {
    const dir = folder('diff-same-file');
    const same = join(dir, 'rules.v4');
    for (const args of [
      ['--diff', same, '-o', same],
      ['--diff', same, '-o', join(dir, '.', 'rules.v4')],
    ]) {
      const r = dfw(['transform', FIXTURE, '-p', POLICY, ...args]);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/named for two outputs/);
      expect(existsSync(same)).toBe(false);
      expect(leftovers(dir)).toEqual([]);
    }
  });

  it('both written when both can be: the diff in FILE, the result in -o FILE', () => {
    const dir = folder('diff-and-o-ok');
    const r = dfw([
      'transform',
      FIXTURE,
      '-p',
      POLICY,
      '--diff',
      join(dir, 'changes.diff'),
      '-o',
      join(dir, 'rules.v4'),
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(readFileSync(join(dir, 'changes.diff'), 'utf8')).toMatch(/^--- /);
    expect(readFileSync(join(dir, 'rules.v4'), 'utf8')).toBe(dfw(['transform', FIXTURE, '-p', POLICY]).stdout);
  });

  it('library: a producer that fails after another file was written in full leaves both files as they were', () => {
    const dir = folder('outputs-lib');
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    writeFileSync(a, 'old a\n');
    writeFileSync(b, 'old b\n');
    expect(() =>
      writeOutputs([
        { text: 'new a\n', path: a },
        {
          text: () => {
            throw new DfwError('b cannot be printed');
          },
          path: b,
        },
      ]),
    ).toThrow('b cannot be printed');
    expect([readFileSync(a, 'utf8'), readFileSync(b, 'utf8')]).toEqual(['old a\n', 'old b\n']);
    expect(leftovers(dir)).toEqual([]);
    writeOutputs([
      { text: 'new a\n', path: a },
      { text: 'new b\n', path: b },
    ]);
    expect([readFileSync(a, 'utf8'), readFileSync(b, 'utf8')]).toEqual(['new a\n', 'new b\n']);
  });
});

describe('input that is not a text dump: a clear message and exit 2, quickly', () => {
  it('not UTF-8: names the file, the line and the byte', () => {
    const dir = folder('utf8');
    const file = join(dir, 'latin1.v4');
    writeFileSync(
      file,
      Buffer.concat([
        Buffer.from('*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m comment --comment "Gr'),
        Buffer.from([0xfc]),
        Buffer.from('\u00dfe" -j ACCEPT\nCOMMIT\n'),
      ]),
    );
    for (const r of [dfw(['fmt', file]), run(['fmt'], { stdin: openSync(file, 'r') })]) {
      expect(r.status, r.stderr).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/:3: not valid UTF-8 \(byte 0xfc at offset 61\)/);
    }
  });

  it('binary (a NUL byte in otherwise ASCII text): names the offset', () => {
    const text = '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\u0000\nCOMMIT\n';
    const r = dfw(['fmt', '-'], text);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/<stdin>:3: binary input \(NUL byte at offset 46\)/);
    expect(() => decodeInput(Buffer.from(text), 'x')).toThrow(/binary input/);
  });

  it('a policy file that is binary or not UTF-8 is refused the same way, naming it', () => {
    const dir = folder('policy-bytes');
    const bin = join(dir, 'policy.yaml');
    writeFileSync(bin, Buffer.from('version: 1\nname: web\u0000\n'));
    const r = dfw(['transform', FIXTURE, '-p', bin]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/policy\.yaml:2: binary input/);
    writeFileSync(bin, Buffer.from([0x76, 0x3a, 0x20, 0xc0, 0x80, 0x0a]));
    const r2 = dfw(['transform', FIXTURE, '-p', bin]);
    expect(r2.status).toBe(2);
    expect(r2.stderr).toMatch(/policy\.yaml:1: not valid UTF-8 \(byte 0xc0 at offset 3\)/);
  });

  it('a byte order mark: named, not shown as an invisible character in "found"', () => {
    const r = dfw(['fmt', '-'], `\ufeff${FIXTURE_TEXT}`);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/byte order mark/);
  });

  it('/dev/zero as FILE and as stdin: refused as binary at once, never read to the end', () => {
    for (const r of [
      run(['fmt', '/dev/zero'], { timeout: 20_000 }),
      run(['fmt'], { stdin: openSync('/dev/zero', 'r'), timeout: 20_000 }),
    ]) {
      expect(r.signal, 'killed by the timeout: dfw hung').toBeNull();
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/binary input \(NUL byte at offset 0\)/);
      expect(r.ms).toBeLessThan(15_000);
    }
  });

  it('over 1 GiB (a sparse file, no disk used): refused from its size, as FILE and as stdin', () => {
    const dir = folder('huge');
    const file = join(dir, 'huge.v4');
    const fd = openSync(file, 'w');
    ftruncateSync(fd, MAX_INPUT_BYTES + 1);
    closeSync(fd);
    expect(statSync(file).blocks).toBeLessThan(64); // sparse indeed
    for (const r of [
      run(['fmt', file], { timeout: 20_000 }),
      run(['transform', '-p', POLICY], { stdin: openSync(file, 'r'), timeout: 20_000 }),
    ]) {
      expect(r.signal, 'killed by the timeout: dfw hung').toBeNull();
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`${MAX_INPUT_BYTES + 1} bytes is over the 1 GiB input limit`));
      expect(r.ms).toBeLessThan(15_000);
    }
    expect(() => readInput(file)).toThrow(/over the 1 GiB input limit/);
    // decodeInput checks the length before looking at a byte.
    expect(() => decodeInput({ length: MAX_INPUT_BYTES + 1 } as Buffer, 'big')).toThrow(/over the 1 GiB input limit/);
  });

  it('a large sparse file under the limit is refused as binary after its first block (no 1 GiB read)', () => {
    const dir = folder('sparse');
    const file = join(dir, 'holes.v4');
    writeFileSync(file, '*filter\n');
    const fd = openSync(file, 'r+');
    ftruncateSync(fd, 900 * 1024 * 1024);
    closeSync(fd);
    const r = run(['fmt', file], { timeout: 20_000 });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/:2: binary input \(NUL byte at offset 8\)/);
    expect(r.ms).toBeLessThan(15_000);
  });

  it('a folder or a missing file as input: a message, not a stack', () => {
    const a = dfw(['fmt', work]);
    expect(a.status).toBe(2);
    expect(a.stderr).toMatch(/is a directory/);
    const b = dfw(['fmt', join(work, 'missing.v4')]);
    expect(b.status).toBe(2);
    expect(b.stderr).toMatch(/cannot read: no such file or directory \(ENOENT\)/);
    for (const r of [a, b]) expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  });

  it('empty input: the commands that rewrite or read an iptables dump refuse it (exit 2, "empty")', () => {
    for (const args of [
      ['transform', '-', '-p', POLICY],
      ['strip', '-', '--all'],
      ['fmt', '-'],
      ['parse', '-'],
    ]) {
      const r = dfw(args, '');
      expect(r.status, `dfw ${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/empty/);
    }
  });

  it('empty input: ipset accepts it (ipset save prints nothing when no set exists), and an empty policy is refused', () => {
    const r = dfw(['ipset', '-', '-p', POLICY], '');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^create ipfriends /);
    const dir = folder('empty-policy');
    writeFileSync(join(dir, 'p.yaml'), '');
    const p = dfw(['transform', FIXTURE, '-p', join(dir, 'p.yaml')]);
    expect(p.status).toBe(2);
    expect(p.stderr).toMatch(/empty policy/);
  });
});

describe('UTF-8 validation finds the first bad byte', () => {
  it('agrees with TextDecoder on random bytes (2,000 cases)', () => {
    const decoder = new TextDecoder('utf-8', { fatal: true });
    const valid = (b: Uint8Array) => {
      try {
        decoder.decode(b);
        return true;
      } catch {
        return false;
      }
    };
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 24 }),
      // Mostly valid text with a few bytes changed: the interesting boundary cases.
      fc
        .tuple(
          fc.string({ unit: 'grapheme', maxLength: 12 }),
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 2 }),
        )
        .map(([s, edits]) => {
          const b = Buffer.from(s, 'utf8');
          for (const [at, v] of edits) if (b.length > 0) b[at % b.length] = v;
          return new Uint8Array(b);
        }),
    );
    fc.assert(
      fc.property(bytes, (arr) => {
        const buf = Buffer.from(arr);
        const off = firstInvalidUtf8(buf);
        expect(off === buf.length, `${buf.toString('hex')} → ${off}`).toBe(valid(buf));
        // Everything before the reported byte is valid UTF-8.
        expect(valid(buf.subarray(0, off))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('points at overlong forms, surrogates and code points above U+10FFFF', () => {
    expect(firstInvalidUtf8(Buffer.from([0x61, 0xc0, 0x80]))).toBe(1);
    expect(firstInvalidUtf8(Buffer.from([0x61, 0x62, 0xed, 0xa0, 0x80]))).toBe(2);
    expect(firstInvalidUtf8(Buffer.from([0xf4, 0x90, 0x80, 0x80]))).toBe(0);
    expect(firstInvalidUtf8(Buffer.from([0xe2, 0x98]))).toBe(0);
    expect(firstInvalidUtf8(Buffer.from('☃ ok', 'utf8'))).toBe(6);
  });
});

it('the test leaves no mount behind', () => {
  const mounts = readFileSync('/proc/mounts', 'utf8');
  expect(mounts).not.toContain(work);
  expect(existsSync(work)).toBe(true);
});
