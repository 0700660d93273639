// One port item of a policy: `443`, `"443"` or a range `"8000:8100"`, as iptables writes ranges.

import { WELL_KNOWN_PORTS } from '../net/services.js';
import { quoted } from '../text/quote.js';
import type { PortRange } from './types.js';

export type PortResult = { ok: true; value: PortRange } | { ok: false; reason: string };

/** What a port item may be; the loader appends `, found X`. */
export const PORT_EXPECTED = 'expected a port (1-65535), a range "8000:8100" or a list of these';

const DECIMAL = /^(0|[1-9][0-9]*)$/;

function checkNumber(n: number, shown: string): string | undefined {
  if (n < 1 || n > 65535) return `port ${shown} is out of range (1-65535)`;
  return undefined;
}

/** An integer from the YAML (source: its text, to refuse `0x50`, `80.0`, `1e2`). */
export function parsePortNumber(n: number, source: string | undefined): PortResult {
  const shown = source ?? String(n);
  if (!Number.isInteger(n) || (source !== undefined && !/^[0-9]+$/.test(source))) {
    return { ok: false, reason: `${PORT_EXPECTED}, found ${shown} (write ports as decimal integers)` };
  }
  const bad = checkNumber(n, shown);
  if (bad !== undefined) return { ok: false, reason: bad };
  return { ok: true, value: { from: n, to: n } };
}

/** A string item: `"443"` or `"8000:8100"`. */
export function parsePortString(s: string): PortResult {
  const found = `${PORT_EXPECTED}, found ${quoted(s)}`;
  if (DECIMAL.test(s)) {
    const n = Number(s);
    const bad = checkNumber(n, s);
    return bad === undefined ? { ok: true, value: { from: n, to: n } } : { ok: false, reason: bad };
  }
  const range = /^([0-9]+):([0-9]+)$/.exec(s);
  if (range) {
    const [, a = '', b = ''] = range;
    if (!DECIMAL.test(a) || !DECIMAL.test(b)) return { ok: false, reason: `${found} (no leading zeros)` };
    const from = Number(a);
    const to = Number(b);
    const bad = checkNumber(from, a) ?? checkNumber(to, b);
    if (bad !== undefined) return { ok: false, reason: `${bad} in range "${s}"` };
    if (from > to) return { ok: false, reason: `range "${s}" is reversed: write "${b}:${a}"` };
    return { ok: true, value: { from, to } };
  }
  const dashed = /^([0-9]+)\s*-\s*([0-9]+)$/.exec(s);
  if (dashed) return { ok: false, reason: `${found} (port ranges take a colon: "${dashed[1]}:${dashed[2]}")` };
  if (/^[0-9]*:[0-9]*$/.test(s)) return { ok: false, reason: `${found} (a range needs both ends, e.g. "1024:65535")` };
  const known = WELL_KNOWN_PORTS[s.toLowerCase()];
  if (known !== undefined) return { ok: false, reason: `${found} (service names are not looked up: write ${known})` };
  return { ok: false, reason: found };
}

/** Slots a list of ranges takes in one `-m multiport` match (a range counts 2; the limit is 15). */
export function multiportSlots(ports: readonly PortRange[]): number {
  return ports.reduce((n, p) => n + (p.from === p.to ? 1 : 2), 0);
}
