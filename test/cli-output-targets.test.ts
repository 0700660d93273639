// Issue 22, item 1: `-o FILE` onto something that is not a regular file. The atomic rename is for
// regular files: a character device or a FIFO is written in place, /dev/stdout and /dev/fd/N are
// dfw's own descriptors, a socket or a block device is refused; a device is never replaced.
// Real device nodes, in a private mount namespace with its own tmpfs on /dev: the host's /dev is
// never touched (the namespace, and its /dev, end with the process).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI } from './support/cli.js';
import { FIXTURES } from './support/fixtures.js';
import { inCI } from './support/netns.js';

const FIXTURE = join(FIXTURES, 'iptables', 'docker29.nft.v4');
const FIXTURE_TEXT = readFileSync(FIXTURE, 'utf8');

const work = mkdtempSync(join(tmpdir(), 'dfw-output-targets-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// Inside the namespace: a fresh /dev with the nodes node itself needs, the ones under test
// (a block device of a major number no driver has: opening it could never reach a disk), and
// the /proc/self/fd links a shell's /dev has.
const SETUP = [
  'set -e',
  'mount -t tmpfs -o size=1m,mode=0755 dfw-test-dev /dev',
  'mknod -m 666 /dev/null c 1 3',
  'mknod -m 666 /dev/zero c 1 5',
  'mknod -m 666 /dev/full c 1 7',
  'mknod -m 666 /dev/random c 1 8',
  'mknod -m 666 /dev/urandom c 1 9',
  'mknod -m 600 /dev/blk b 4000 0',
  'mkfifo /dev/fifo',
  'ln -s /proc/self/fd /dev/fd',
  'ln -s /proc/self/fd/0 /dev/stdin',
  'ln -s /proc/self/fd/1 /dev/stdout',
  'ln -s /proc/self/fd/2 /dev/stderr',
].join('\n');

/** Runs in the namespace: each case runs dfw, then says what the target is afterwards. */
const RUNNER = String.raw`
import { spawn, spawnSync } from 'node:child_process';
import { lstatSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
const [cli, fixture, work] = process.argv.slice(2);
const kind = (p) => {
  try {
    const st = lstatSync(p);
    return st.isCharacterDevice() ? 'char ' + (st.rdev >> 8) + ',' + (st.rdev & 0xff)
      : st.isBlockDevice() ? 'block' : st.isFIFO() ? 'fifo' : st.isSocket() ? 'socket'
      : st.isSymbolicLink() ? 'link' : st.isFile() ? 'file ' + st.size : 'other';
  } catch (e) { return e.code; }
};
const dfw = (args) => {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 30000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};
const out = {};
for (const name of ['null', 'full', 'blk']) {
  out[name] = { ...dfw(['fmt', fixture, '-o', '/dev/' + name]), after: kind('/dev/' + name) };
}
symlinkSync('/dev/null', work + '/to-null');
out.link = { ...dfw(['fmt', fixture, '-o', work + '/to-null']), after: kind('/dev/null'), link: kind(work + '/to-null') };
// A FIFO: its reader gets the result, and it stays a FIFO.
const reader = spawn('sh', ['-c', 'cat /dev/fifo > ' + work + '/from-fifo']);
const readerDone = new Promise((r) => reader.on('exit', r));
const fifo = dfw(['fmt', fixture, '-o', '/dev/fifo']);
await readerDone;
out.fifo = { ...fifo, after: kind('/dev/fifo'), read: readFileSync(work + '/from-fifo', 'utf8') };
// A socket: refused.
const server = createServer();
await new Promise((r) => server.listen('/dev/sock', r));
out.socket = { ...dfw(['fmt', fixture, '-o', '/dev/sock']), after: kind('/dev/sock') };
server.close();
// dfw's own stdout, as a shell pipe and as the pipe spawnSync makes; and /dev/fd/1.
const piped = spawnSync('sh', ['-c', '"$0" "$1" fmt "$2" -o /dev/stdout | cat', process.execPath, cli, fixture], { encoding: 'utf8' });
out.stdoutShell = { status: piped.status, stdout: piped.stdout, stderr: piped.stderr };
out.stdoutSpawn = dfw(['fmt', fixture, '-o', '/dev/stdout']);
out.fd1 = dfw(['fmt', fixture, '-o', '/dev/fd/1']);
// The same, with stdout redirected to a file: the file gets the output (no rename detaches it).
const redirected = spawnSync('sh', ['-c', '"$0" "$1" fmt "$2" -o /dev/stdout > "$3"', process.execPath, cli, fixture, work + '/redirected'], { encoding: 'utf8' });
out.stdoutFile = { status: redirected.status, stderr: redirected.stderr, read: readFileSync(work + '/redirected', 'utf8') };
out.devFiles = readdirSync('/dev').sort();
process.stdout.write(JSON.stringify(out));
`;

const reason = ((): string | undefined => {
  if (process.getuid?.() !== 0) return 'not root: cannot make a mount namespace';
  const probe = spawnSync('unshare', ['--mount', '--propagation', 'private', 'true'], { encoding: 'utf8' });
  if (probe.status !== 0) return `unshare --mount failed: ${probe.stderr.trim() || probe.error?.message}`;
  return undefined;
})();
const nsIt = reason === undefined || inCI ? it : it.skip;

describe('-o onto a device, a FIFO, a socket, dfw own stdout (issue 22, item 1)', () => {
  nsIt(
    `never replaces a device or FIFO; writes through them, refuses sockets and block devices${reason ? ` (skipped: ${reason})` : ''}`,
    { timeout: 120_000 },
    () => {
      const runner = join(work, 'runner.mjs');
      writeFileSync(runner, RUNNER);
      const r = spawnSync(
        'unshare',
        [
          '--mount',
          '--propagation',
          'private',
          'sh',
          '-c',
          `${SETUP}\nexec "$@"`,
          'sh',
          process.execPath,
          runner,
          CLI,
          FIXTURE,
          work,
        ],
        { encoding: 'utf8', timeout: 110_000 },
      );
      expect(r.status, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);

      // /dev/null takes the output and stays /dev/null.
      expect(out.null.status, out.null.stderr).toBe(0);
      expect(out.null.after).toBe('char 1,3');
      // /dev/full: the write fails (ENOSPC), exit 2, and it stays /dev/full.
      expect(out.full.status).toBe(2);
      expect(out.full.stderr).toMatch(/no space left on the device \(ENOSPC\)/);
      expect(out.full.after).toBe('char 1,7');
      // A block device is refused, and stays.
      expect(out.blk.status).toBe(2);
      expect(out.blk.stderr).toMatch(/\/dev\/blk: is a block device/);
      expect(out.blk.after).toBe('block');
      // Through a symbolic link to /dev/null: both stay.
      expect(out.link.status, out.link.stderr).toBe(0);
      expect(out.link.after).toBe('char 1,3');
      expect(out.link.link).toBe('link');
      // The FIFO's reader gets the whole result; the FIFO stays.
      expect(out.fifo.status, out.fifo.stderr).toBe(0);
      expect(out.fifo.read).toBe(FIXTURE_TEXT);
      expect(out.fifo.after).toBe('fifo');
      // A socket is refused, and stays.
      expect(out.socket.status).toBe(2);
      expect(out.socket.stderr).toMatch(/\/dev\/sock: is a socket/);
      expect(out.socket.after).toBe('socket');
      // /dev/stdout and /dev/fd/1: dfw's stdout, whatever it is.
      for (const name of ['stdoutShell', 'stdoutSpawn', 'fd1']) {
        expect(out[name].status, `${name}: ${out[name].stderr}`).toBe(0);
        expect(out[name].stdout, name).toBe(FIXTURE_TEXT);
      }
      expect(out.stdoutFile.status, out.stdoutFile.stderr).toBe(0);
      expect(out.stdoutFile.read).toBe(FIXTURE_TEXT);
      // No temporary file left in /dev.
      expect(out.devFiles).toEqual(
        ['blk', 'fd', 'fifo', 'full', 'null', 'random', 'stderr', 'stdin', 'stdout', 'urandom', 'zero'].sort(),
      );
    },
  );
});
