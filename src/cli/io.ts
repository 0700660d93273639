// The CLI's only I/O: reading the input (file or stdin), writing results atomically,
// and turning errors into stderr text and exit codes. The library never does any of this.
import {
  chmodSync,
  constants,
  chownSync,
  closeSync,
  fstatSync,
  fsyncSync,
  openSync,
  readFileSync,
  readSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { isAscii } from 'node:buffer';
import { DfwError, DfwSyntaxError } from '../errors.js';

/** The words for the system errors a user meets most, as strerror(3) says them. */
const ERRNO_TEXT: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'is a directory',
  ENOSPC: 'no space left on the device',
  EROFS: 'read-only file system',
  ENXIO: 'no such device or address',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'file name too long',
  EMFILE: 'too many open files',
  EBUSY: 'device or resource busy',
  EIO: 'input/output error',
  EFBIG: 'file too large',
  EPIPE: 'broken pipe',
};

/** A system error as `permission denied (EACCES)`: the words first, the code for searching. */
export function systemError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err.code === undefined) return err.message ?? String(e);
  const words = ERRNO_TEXT[err.code];
  return words === undefined ? err.code : `${words} (${err.code})`;
}

/** Inputs above this size are refused rather than read (they could not be a real dump). */
export const MAX_INPUT_BYTES = 1024 * 1024 * 1024;

export interface Input {
  /** Name used in messages: the path as given, or `<stdin>`. */
  file: string;
  text: string;
}

/**
 * Whether a FILE argument means stdin or stdout: none, `-`, or '' (yargs hands a positional `-`
 * over as '': it reads `-` as an empty option name).
 */
export function isStdio(path: string | undefined): path is undefined | '' | '-' {
  return path === undefined || path === '-' || path === '';
}

/** How messages name stdin. */
export const STDIN_NAME = '<stdin>';

/** Reads FILE, or stdin when FILE is undefined or `-`; refuses binary and non-UTF-8 input. */
export function readInput(path: string | undefined): Input {
  const fromStdin = isStdio(path);
  const file = fromStdin ? STDIN_NAME : path;
  let fd: number | undefined;
  try {
    fd = fromStdin ? 0 : openSync(path, 'r');
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new DfwError(`${file}: is a directory`);
    // A regular file (or stdin redirected from one) says its size: refuse before reading it.
    if (st.isFile() && st.size > MAX_INPUT_BYTES) throw new DfwError(tooBig(file, st.size));
    return { file, text: decodeInput(readAll(fd, file, st.isFile() ? st.size : 0), file) };
  } catch (e) {
    if (e instanceof DfwError) throw e;
    throw new DfwError(`${file}: cannot read: ${systemError(e)}`);
  } finally {
    if (fd !== undefined && fd !== 0) {
      releaseTwin(fd);
      closeSync(fd);
    }
  }
}

const tooBig = (file: string, bytes: number | string): string =>
  `${file}: ${bytes} bytes is over the 1 GiB input limit (a real iptables-save or ipset save dump is far smaller)`;

const READ_CHUNK = 1 << 20;

/**
 * Reads to the end, a chunk at a time, stopping as soon as the input is known to be refused: a
 * NUL byte (binary input, or a device such as /dev/zero that never ends) or more than
 * MAX_INPUT_BYTES. readFileSync would first read all of it, however large, or never return.
 * A regular file is read straight into one buffer of its size; anything else into a buffer
 * that doubles as needed.
 */
function readAll(fd: number, file: string, sizeHint: number): Buffer {
  // One byte more than the size, to see the end at once (or that the file has grown).
  let buf = Buffer.allocUnsafe(Math.max(sizeHint + 1, 1 << 16));
  let total = 0;
  blockingFromStart(fd);
  for (;;) {
    if (total === buf.length) {
      const bigger = Buffer.allocUnsafe(Math.min(buf.length * 2, MAX_INPUT_BYTES + 1));
      buf.copy(bigger, 0, 0, total);
      buf = bigger;
    }
    let n: number;
    try {
      n = retryAgain(fd, (f) => readSync(f, buf, total, Math.min(buf.length - total, READ_CHUNK), null));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EOF') break;
      throw e;
    }
    if (n === 0) break;
    const nul = buf.subarray(total, total + n).indexOf(0);
    if (nul >= 0) {
      throw new DfwError(
        `${file}:${countLines(buf, total + nul)}: binary input (NUL byte at offset ${total + nul}); expected a text dump`,
      );
    }
    total += n;
    if (total > MAX_INPUT_BYTES) throw new DfwError(tooBig(file, `more than ${MAX_INPUT_BYTES}`));
  }
  return buf.subarray(0, total);
}

/** Strict UTF-8 decoding with a message that says where the bad bytes are. */
export function decodeInput(buf: Buffer, file: string): string {
  if (buf.length > MAX_INPUT_BYTES) throw new DfwError(tooBig(file, buf.length));
  // NUL first: it is ASCII, so the fast path below would let it through.
  const nul = buf.indexOf(0);
  if (nul >= 0) {
    const line = countLines(buf, nul);
    throw new DfwError(`${file}:${line}: binary input (NUL byte at offset ${nul}); expected a text dump`);
  }
  // Most dumps are ASCII: then latin1 decoding gives the same string, fastest, as one-byte text.
  if (isAscii(buf)) return buf.toString('latin1');
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(buf);
  } catch {
    const off = Math.min(firstInvalidUtf8(buf), buf.length - 1);
    throw new DfwError(
      `${file}:${countLines(buf, off)}: not valid UTF-8 (byte 0x${(buf[off] ?? 0).toString(16)} at offset ${off})`,
    );
  }
}

function countLines(buf: Buffer, end: number): number {
  let n = 1;
  for (let i = buf.indexOf(10); i >= 0 && i < end; i = buf.indexOf(10, i + 1)) n++;
  return n;
}

/** Offset of the first byte that is not part of well-formed UTF-8 (RFC 3629), in one pass. */
export function firstInvalidUtf8(buf: Buffer): number {
  const n = buf.length;
  let i = 0;
  while (i < n) {
    const b = buf[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let len: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) len = 2;
    else if (b >= 0xe0 && b <= 0xef) {
      len = 3;
      if (b === 0xe0) lo = 0xa0; // no overlong forms
      if (b === 0xed) hi = 0x9f; // no surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      len = 4;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f; // nothing above U+10FFFF
    } else return i;
    for (let k = 1; k < len; k++) {
      const c = buf[i + k];
      if (c === undefined) return i;
      if (k === 1 ? c < lo || c > hi : c < 0x80 || c > 0xbf) return i;
    }
    i += len;
  }
  return n;
}

/** Produces text in chunks: calls `emit` for each, in order. */
export type Producer = (emit: (chunk: string) => void) => void;

/** One result of a command: its text, and where it goes (undefined, '' or '-': stdout). */
export interface Output {
  text: string | Producer;
  path: string | undefined;
}

/**
 * Writes `text` to stdout, or atomically to `path`: a temporary file in the same folder,
 * flushed, given the mode and owner of the file it replaces, then renamed over it (over the
 * file a symbolic link points to, so that the link stays). On any error, including one thrown
 * by `text` while it is being produced, nothing is written: the temporary file is removed, an
 * existing file is left as it was, and stdout gets nothing.
 */
export function writeOutput(text: string | Producer, path: string | undefined): void {
  writeOutputs([{ text, path }]);
}

/**
 * Writes several results as one (--diff FILE next to -o FILE, the files of a bundle): each
 * file is produced in full into its temporary file and stdout into memory first; only when all
 * are complete are the files renamed into place, in order, and then stdout written. An error
 * before that leaves every file as it was and stdout empty.
 *
 * Only a regular file (or a new one) is replaced by a rename. A character device (/dev/null,
 * a terminal) or a FIFO is written in place, after the files, as stdout is: renaming over it
 * would turn /dev/null into a data file, and a FIFO's reader would never see the result.
 * `/dev/stdout`, `/dev/stderr`, `/dev/fd/N` and `/proc/self/fd/N` are dfw's own descriptors,
 * written directly (opening them again fails on a socket, and a rename over a file the shell
 * redirected stdout to would detach it). A socket or a block device is refused.
 */
export function writeOutputs(outputs: readonly Output[]): void {
  const plans = outputs.map((o) => ({ o, place: placeOf(o.path) }));
  const files = plans.flatMap(({ o, place }) =>
    place.kind === 'file' ? [{ path: o.path!, target: place.target }] : [],
  );
  const twice = files.find((f, i) => files.findIndex((g) => g.target === f.target) !== i);
  if (twice !== undefined)
    throw new DfwError(`${twice.path}: named for two outputs (--diff FILE and -o FILE must differ)`);
  const staged: Staged[] = [];
  const direct: { place: Place; path: string | undefined; chunks: string[] }[] = [];
  try {
    for (const { o, place } of plans) {
      const produce: Producer = typeof o.text === 'string' ? (emit) => emit(o.text as string) : o.text;
      // Produce everything before writing anything: a printer error in the middle (a rule over
      // iptables-restore's limits, say) must not leave the first part of the result anywhere.
      if (place.kind === 'file') staged.push(stage(produce, o.path!, place.target));
      else {
        const chunks: string[] = [];
        produce((chunk) => chunks.push(chunk));
        direct.push({ place, path: o.path, chunks });
      }
    }
  } catch (e) {
    for (const s of staged) s.discard();
    throw e;
  }
  for (let i = 0; i < staged.length; i++) {
    try {
      staged[i]!.commit();
    } catch (e) {
      for (const rest of staged.slice(i + 1)) rest.discard();
      throw e;
    }
  }
  // Devices and FIFOs before stdout: stdout comes last, as it always has.
  direct.sort(
    (a, b) => Number(a.place.kind === 'fd' && a.place.fd === 1) - Number(b.place.kind === 'fd' && b.place.fd === 1),
  );
  for (const d of direct) writeDirect(d.place, d.path, d.chunks);
}

/** Where an output goes: a file replaced by a rename, a file written in place, or one of dfw's descriptors. */
type Place = { kind: 'file'; target: string } | { kind: 'in-place'; target: string } | { kind: 'fd'; fd: number };

/** Paths that name one of the process's own descriptors. */
const FD_PATH = /^\/(?:dev\/(stdin|stdout|stderr)|dev\/fd\/(\d+)|proc\/self\/fd\/(\d+))$/;

function placeOf(path: string | undefined): Place {
  if (isStdio(path)) return { kind: 'fd', fd: 1 };
  const m = FD_PATH.exec(resolve(path));
  if (m !== null)
    return { kind: 'fd', fd: m[1] !== undefined ? ['stdin', 'stdout', 'stderr'].indexOf(m[1]) : Number(m[2] ?? m[3]) };
  const target = targetOf(path);
  let st;
  try {
    st = statSync(target);
  } catch {
    return { kind: 'file', target }; // a new file
  }
  if (st.isFile() || st.isDirectory()) return { kind: 'file', target }; // a folder: stage() says EISDIR
  if (st.isCharacterDevice() || st.isFIFO()) return { kind: 'in-place', target };
  const what = st.isSocket() ? 'a socket' : st.isBlockDevice() ? 'a block device (a disk)' : 'not a regular file';
  throw new DfwError(
    `${path}: is ${what}: dfw writes only to a regular file, a character device such as /dev/null, or a FIFO`,
  );
}

function writeDirect(place: Place, path: string | undefined, chunks: readonly string[]): void {
  const name = isStdio(path) ? 'stdout' : path;
  let fd: number | undefined;
  try {
    // O_WRONLY alone: no O_CREAT (the device or FIFO exists; a vanished one is an error, not a
    // new file), no O_TRUNC (meaningless for them). A FIFO waits here for its reader, as `>` does.
    fd =
      place.kind === 'fd' ? place.fd : openSync(place.kind === 'in-place' ? place.target : path!, constants.O_WRONLY);
    // Straight to the descriptor, not through process.stdout: no Buffer copy of every chunk, and
    // a reader that goes away (EPIPE) is an error here rather than an unhandled stream event.
    blockingFromStart(fd);
    for (const chunk of chunks) writeAll(fd, chunk);
  } catch (e) {
    const epipe = (e as NodeJS.ErrnoException).code === 'EPIPE';
    throw new DfwError(
      `cannot write to ${name}: ${epipe ? 'the reading end was closed before the output was complete (EPIPE)' : systemError(e)}`,
    );
  } finally {
    if (fd !== undefined && place.kind !== 'fd') {
      releaseTwin(fd);
      closeSync(fd);
    }
  }
}

/** A result written in full to its temporary file, waiting to be renamed over its target. */
interface Staged {
  commit(): void;
  discard(): void;
}

/** The file a path names: through symbolic links; a new file (or a dangling link) as given. */
function targetOf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

function stage(produce: Producer, path: string, target: string): Staged {
  const dir = dirname(target);
  const tmp = join(dir, `.${basename(target)}.dfw-${process.pid}.tmp`);
  const discard = () => {
    try {
      unlinkSync(tmp);
    } catch {
      /* nothing to remove */
    }
  };
  const cannotWrite = (e: unknown): DfwError => {
    if (e instanceof DfwError) return e; // the result itself is wrong: say why, not "cannot write"
    const err = e as NodeJS.ErrnoException;
    return new DfwError(
      `${path}: cannot write: ${systemError(e)}${err.code === 'ENOSPC' ? ' (the file was not changed)' : ''}`,
    );
  };
  let old: { mode: number; uid: number; gid: number; folder: boolean } | undefined;
  try {
    const st = statSync(target);
    old = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, folder: st.isDirectory() };
  } catch {
    old = undefined;
  }
  // The rename would fail: say so now, before another file of the same write is renamed.
  if (old?.folder) throw new DfwError(`${path}: cannot write: is a directory (EISDIR)`);
  let fd: number | undefined;
  try {
    // O_EXCL: never write through a file or link someone else put at the temporary name.
    fd = openSync(tmp, 'wx', old?.mode ?? 0o644);
    const out = fd;
    produce((chunk) => writeAll(out, chunk));
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    if (old !== undefined) {
      chmodSync(tmp, old.mode); // the umask applied at creation
      try {
        chownSync(tmp, old.uid, old.gid);
      } catch {
        /* not root: the file keeps our owner, as with any editor */
      }
    }
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    discard();
    throw cannotWrite(e);
  }
  const commit = () => {
    try {
      renameSync(tmp, target);
    } catch (e) {
      discard();
      throw cannotWrite(e);
    }
    try {
      // Make the rename itself durable.
      const d = openSync(dir, 'r');
      try {
        fsyncSync(d);
      } finally {
        closeSync(d);
      }
    } catch {
      /* some file systems cannot sync a folder */
    }
  };
  return { commit, discard };
}

/**
 * Writes all of `chunk`. A string goes to the kernel without a Buffer copy; writeSync may
 * write less than asked (a disk filling up, a pipe whose reader lags), so a short write is
 * finished from the chunk's bytes and is never silent.
 */
function writeAll(fd: number, chunk: string): void {
  const done = retryAgain(fd, (f) => writeSync(f, chunk));
  const total = Buffer.byteLength(chunk, 'utf8');
  if (done === total) return;
  const buf = Buffer.from(chunk, 'utf8');
  let off = done;
  while (off < total) off += retryAgain(fd, (f) => writeSync(f, buf, off, total - off));
}

/**
 * Runs `io` on `fd` until it does not fail with EAGAIN. Non-blocking mode belongs to the open
 * file description, shared by everyone who holds it: Node sets it on a stdout pipe as soon as
 * anything touches process.stdout (yargs does, at load), and a parent process may have set it on
 * a pipe it hands over. A pipe or FIFO is then opened again through /proc/self/fd: a new
 * description of the same pipe, in blocking mode, so that the kernel wakes dfw when the reader
 * has made room (a sleep-and-retry loop cost a fifth of a 1M-line transform through a pipe,
 * issue 21). Anything else (a socket) is retried after 1 ms.
 */
function retryAgain(fd: number, io: (fd: number) => number): number {
  for (;;) {
    try {
      return io(twins.get(fd) ?? fd);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      if (!twins.has(fd)) twins.set(fd, blockingTwin(fd));
      if (twins.get(fd) === undefined) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
}

/** Blocking descriptors opened for pipes that were found non-blocking, by the descriptor they stand for. */
const twins = new Map<number, number | undefined>();

function blockingTwin(fd: number): number | undefined {
  try {
    if (!fstatSync(fd).isFIFO()) return undefined;
    const access = accessMode(fd)?.access;
    return access === undefined ? undefined : openSync(`/proc/self/fd/${fd}`, access);
  } catch {
    return undefined; // no /proc, or a pipe that cannot be opened again: retry as before
  }
}

/**
 * Opens the blocking twin of a non-blocking pipe before the first read or write, so that
 * neither dfw nor libuv below it spins on EAGAIN.
 */
function blockingFromStart(fd: number): void {
  if (twins.has(fd)) return;
  try {
    if (fstatSync(fd).isFIFO() && accessMode(fd)?.nonBlocking === true) twins.set(fd, blockingTwin(fd));
  } catch {
    /* retryAgain copes */
  }
}

/** How the descriptor was opened, read from /proc/self/fdinfo (Node has no fcntl). */
function accessMode(fd: number): { access?: number; nonBlocking: boolean } | undefined {
  const flags = /^flags:\s*([0-7]+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1];
  if (flags === undefined) return undefined;
  const bits = parseInt(flags, 8);
  const mode = bits & 3;
  return {
    access: mode === 0 ? constants.O_RDONLY : mode === 1 ? constants.O_WRONLY : undefined,
    nonBlocking: (bits & constants.O_NONBLOCK) !== 0,
  };
}

/** Closes the blocking twin of a descriptor dfw is about to close (its number may be reused). */
function releaseTwin(fd: number): void {
  const twin = twins.get(fd);
  twins.delete(fd);
  if (twin !== undefined) closeSync(twin);
}

/** Prints an error the way the CLI contract says and returns the exit code (2). */
export function reportError(e: unknown): number {
  if (e instanceof DfwSyntaxError) {
    process.stderr.write(`${e.showSourceCode()}\n`);
    return 2;
  }
  if (e instanceof DfwError) {
    process.stderr.write(`dfw: ${e.message}\n`);
    return 2;
  }
  // Anything else is a bug in dfw: say so, with the stack, and still exit 2 (never half a result).
  process.stderr.write(`dfw: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  return 2;
}

/**
 * iptables-save printing nothing means it failed (there is always a table once the kernel has
 * one), and a restore built from nothing flushes nothing right: refuse it. An empty
 * `ipset save` is normal (no sets yet), so ipset input may be empty.
 */
export function refuseEmpty(
  input: Input,
  format?: string,
  hint = 'for an empty ipset dump, give --format ipset',
): void {
  if (input.text === '' && format !== 'ipset') {
    throw new DfwError(`${input.file}: empty input: expected an iptables-save dump (${hint})`);
  }
}

/** Non-fatal findings go to stderr; they never change the exit code. */
export function warn(message: string): void {
  process.stderr.write(`dfw: warning: ${message}\n`);
}

/**
 * Refuses a command line on which two inputs would read stdin (`--ipsets -` or `-p -` with the
 * dump on stdin too): the first would read all of it and the second nothing, and an error would
 * then blame the wrong input. `inputs` are the inputs the command will read: [how the command
 * line names it, its FILE argument].
 */
export function refuseStdinTwice(inputs: readonly (readonly [string, string | undefined])[]): void {
  const fromStdin = inputs.filter(([, path]) => isStdio(path)).map(([name]) => name);
  if (fromStdin.length > 1)
    throw new DfwError(
      `${fromStdin.join(' and ')} would both read stdin: only one input can come from stdin (give the other as a FILE)`,
    );
}

/** The same file, through links: a path that cannot be resolved is compared as given. */
function sameFile(a: string, b: string): boolean {
  try {
    const x = statSync(a);
    const y = statSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return resolve(a) === resolve(b);
  }
}

/**
 * `--diff FILE` replaces FILE: refuse one of the command's inputs (`--diff rules.v4` reads like
 * "diff against rules.v4"), or an existing file that is not a diff (a golden file, a dump). A
 * diff dfw wrote is empty (no change) or starts with its `--- ` and `+++ ` lines; a device or
 * FIFO holds nothing to lose.
 */
export function checkDiffFile(path: string | undefined, inputs: readonly (string | undefined)[]): void {
  if (isStdio(path)) return;
  for (const input of inputs) {
    if (!isStdio(input) && sameFile(path, input))
      throw new DfwError(`--diff ${path}: this is an input of the command; --diff FILE writes the diff to FILE`);
  }
  let head: string;
  try {
    if (!statSync(path).isFile()) return;
    const fd = openSync(path, 'r');
    try {
      const buf = Buffer.alloc(4096);
      head = buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)).toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    return; // a new file, or one writeOutputs will report on
  }
  if (head === '' || /^--- [^\n]*\n\+\+\+ /.test(head)) return;
  throw new DfwError(
    `--diff ${path}: the file exists and is not a diff (it does not start with "--- " and "+++ " lines): ` +
      '--diff FILE would replace it with the diff; remove it first, or name another file (--diff alone prints the diff)',
  );
}
