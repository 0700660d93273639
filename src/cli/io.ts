// The CLI's only I/O: reading the input (file or stdin), writing results atomically,
// and turning errors into stderr text and exit codes. The library never does any of this.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync, chmodSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { isAscii } from 'node:buffer';
import { DfwError, DfwSyntaxError } from '../errors.js';

/** Inputs above this size are refused rather than read (they could not be a real dump). */
export const MAX_INPUT_BYTES = 1024 * 1024 * 1024;

export interface Input {
  /** Name used in messages: the path as given, or `<stdin>`. */
  file: string;
  text: string;
}

/** Reads FILE, or stdin when FILE is undefined or `-`; refuses binary and non-UTF-8 input. */
export function readInput(path: string | undefined): Input {
  // yargs hands a positional `-` over as '' (it reads `-` as an empty option name).
  const fromStdin = path === undefined || path === '-' || path === '';
  const file = fromStdin ? '<stdin>' : path;
  let buf: Buffer;
  try {
    if (!fromStdin) {
      const st = statSync(path);
      if (st.isDirectory()) throw new DfwError(`${file}: is a directory`);
      if (st.size > MAX_INPUT_BYTES) throw new DfwError(`${file}: ${st.size} bytes is over the 1 GiB input limit`);
    }
    buf = readFileSync(fromStdin ? 0 : path);
  } catch (e) {
    if (e instanceof DfwError) throw e;
    const err = e as NodeJS.ErrnoException;
    throw new DfwError(`${file}: cannot read: ${err.code ?? err.message}`);
  }
  return { file, text: decodeInput(buf, file) };
}

/** Strict UTF-8 decoding with a message that says where the bad bytes are. */
export function decodeInput(buf: Buffer, file: string): string {
  if (buf.length > MAX_INPUT_BYTES) throw new DfwError(`${file}: input over the 1 GiB limit`);
  // Most dumps are ASCII: then latin1 decoding gives the same string, fastest, as one-byte text.
  if (isAscii(buf)) return buf.toString('latin1');
  const nul = buf.indexOf(0);
  if (nul >= 0) {
    const line = countLines(buf, nul);
    throw new DfwError(`${file}:${line}: binary input (NUL byte at offset ${nul}); expected a text dump`);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(buf);
  } catch {
    const off = firstInvalidUtf8(buf);
    throw new DfwError(`${file}:${countLines(buf, off)}: not valid UTF-8 (byte 0x${(buf[off] ?? 0).toString(16)} at offset ${off})`);
  }
}

function countLines(buf: Buffer, end: number): number {
  let n = 1;
  for (let i = 0; i < end; i++) if (buf[i] === 10) n++;
  return n;
}

function firstInvalidUtf8(buf: Buffer): number {
  const dec = new TextDecoder('utf-8', { fatal: true });
  let lo = 0;
  let hi = buf.length;
  // Binary search for the shortest prefix that fails to decode.
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    try {
      dec.decode(buf.subarray(0, mid + 1), { stream: true });
      lo = mid + 1;
    } catch {
      hi = mid;
    }
  }
  return Math.min(lo, buf.length - 1);
}

/** Produces text in chunks: calls `emit` for each, in order. */
export type Producer = (emit: (chunk: string) => void) => void;

/**
 * Writes `text` to stdout, or atomically to `path`: a temporary file in the same folder,
 * flushed, given the mode of the file it replaces, then renamed over it. On any error the
 * temporary file is removed and an existing file is left as it was.
 */
export function writeOutput(text: string | Producer, path: string | undefined): void {
  const produce: Producer = typeof text === 'string' ? (emit) => emit(text) : text;
  if (path === undefined || path === '-' || path === '') {
    // The whole result is computed before this point, so an error never leaves half of it.
    produce((chunk) => process.stdout.write(chunk));
    return;
  }
  const tmp = join(dirname(path), `.${basename(path)}.dfw-${process.pid}.tmp`);
  let mode: number | undefined;
  try {
    mode = statSync(path).mode & 0o7777;
  } catch {
    mode = undefined;
  }
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', mode ?? 0o644);
    const out = fd;
    produce((chunk) => {
      writeSync(out, chunk);
    });
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    if (mode !== undefined) chmodSync(tmp, mode);
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      /* nothing to remove */
    }
    const err = e as NodeJS.ErrnoException;
    throw new DfwError(`${path}: cannot write: ${err.code ?? err.message}`);
  }
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

/** Non-fatal findings go to stderr; they never change the exit code. */
export function warn(message: string): void {
  process.stderr.write(`dfw: warning: ${message}\n`);
}
