// Byte counts of text as the kernel and the restore tools count it: UTF-8, no terminating NUL.

const encoder = new TextEncoder();

/** UTF-8 length; plain ASCII (the usual case) is counted without encoding. */
export function byteLength(s: string): number {
  return /^[\x00-\x7f]*$/.test(s) ? s.length : encoder.encode(s).length;
}

/** The longest prefix of `s` (whole code points) that fits in `max` UTF-8 bytes. */
export function truncateBytes(s: string, max: number): string {
  if (byteLength(s) <= max) return s;
  let out = '';
  let n = 0;
  for (const c of s) {
    const b = byteLength(c);
    if (n + b > max) break;
    out += c;
    n += b;
  }
  return out;
}
