// Small TCP servers in namespaces, and bounded probes that connect from a chosen source address.
// Each server answers one line `<name>:<port>` and closes; a probe reports what it saw:
//   open     the server's line came back (the banner says which container answered)
//   timeout  nothing came back within the probe's time (dropped)
//   refused  RST or ICMP port-unreachable (REJECT)
//   error    anything else (the detail says what)
import { spawn, type ChildProcess } from 'node:child_process';
import type { Netns } from '../support/netns.js';

export type Seen = 'open' | 'timeout' | 'refused' | 'error';

export const PROBE_TIMEOUT_MS = 1500;

/** Env for node children: no loader or inspector options inherited from the test runner. */
function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  return env;
}

const SERVER_JS = `
const net = require('net');
const [name, ...ports] = process.argv.slice(1);
let ready = 0;
for (const port of ports) {
  const srv = net.createServer((c) => { c.on('error', () => {}); c.end(name + ':' + port + '\\n'); });
  srv.on('error', (e) => { process.stderr.write(String(e) + '\\n'); process.exit(1); });
  srv.listen({ port: Number(port), host: '::', ipv6Only: false }, () => {
    if (++ready === ports.length) process.stdout.write('ready\\n');
  });
}
// Exit with the test process: stdin is a pipe from it. And never live longer than 15 minutes.
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
setTimeout(() => process.exit(0), 15 * 60 * 1000).unref();
`;

export interface Server {
  name: string;
  ns: Netns;
  ports: number[];
  stop(): void;
}

/** Starts a server answering on every port (IPv4 and IPv6); resolves when it listens (bounded, 10 s). */
export function startServer(ns: Netns, name: string, ports: number[]): Promise<Server> {
  const child: ChildProcess = spawn(
    'ip',
    ['netns', 'exec', ns.name, process.execPath, '-e', SERVER_JS, name, ...ports.map(String)],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: childEnv(),
    },
  );
  const stop = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    child.stdin?.destroy();
  };
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`server ${name} in ${ns.name} not ready after 10 s: ${err}`));
    }, 10_000);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('ready\n')) {
        clearTimeout(timer);
        resolve({ name, ns, ports, stop });
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server ${name} in ${ns.name} exited (${code}): ${err}`));
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

// All probes of a batch run in parallel inside one node process in the namespace.
const PROBE_JS = `
const net = require('net');
const ps = JSON.parse(process.argv[1]);
Promise.all(ps.map((p) => new Promise((done) => {
  const t0 = Date.now();
  let connected = false, buf = '', fin = false;
  const s = net.connect({ host: p.dst, port: p.port, localAddress: p.src || undefined });
  const end = (seen, detail) => {
    if (fin) return;
    fin = true; clearTimeout(timer); s.destroy();
    done({ seen, detail, ms: Date.now() - t0 });
  };
  const timer = setTimeout(() => connected ? end('error', 'connected, no answer') : end('timeout'), p.timeoutMs);
  s.setEncoding('utf8');
  s.on('connect', () => { connected = true; });
  s.on('data', (d) => { buf += d; const i = buf.indexOf('\\n'); if (i >= 0) end('open', buf.slice(0, i)); });
  s.on('error', (e) => end(e.code === 'ECONNREFUSED' ? 'refused' : 'error', e.code || String(e)));
  s.on('close', () => end(buf ? 'open' : 'error', buf || 'closed without answer'));
}))).then((r) => process.stdout.write(JSON.stringify(r)));
`;

export interface ProbeSpec {
  /** namespace the connection starts from */
  ns: Netns;
  /** label of the source for the log, e.g. `friend` or `c1` */
  from: string;
  /** source address to bind (omitted: the kernel picks) */
  src?: string;
  dst: string;
  port: number;
  expect: Seen;
  /** when open is expected: the line the right server answers, e.g. `c1:80` */
  banner?: string;
}

export interface ProbeResult extends ProbeSpec {
  seen: Seen;
  detail?: string;
  ms: number;
  ok: boolean;
  line: string;
}

function fmtAddr(a: string): string {
  return a.includes(':') ? `[${a}]` : a;
}

function runBatch(
  ns: Netns,
  specs: ProbeSpec[],
  timeoutMs: number,
): Promise<{ seen: Seen; detail?: string; ms: number }[]> {
  const payload = JSON.stringify(specs.map((s) => ({ src: s.src, dst: s.dst, port: s.port, timeoutMs })));
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', ns.name, process.execPath, '-e', PROBE_JS, payload], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: childEnv(),
    });
    let out = '';
    let err = '';
    const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs + 10_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', (e) => {
      clearTimeout(killer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(killer);
      try {
        const r = JSON.parse(out) as { seen: Seen; detail?: string; ms: number }[];
        if (r.length !== specs.length) throw new Error('wrong count');
        resolve(r);
      } catch {
        reject(new Error(`probe batch in ${ns.name} failed (${code}): ${err || out}`));
      }
    });
  });
}

/**
 * Runs every probe (in parallel, one node process per source namespace), prints one line per probe
 * `tag source → dest:port expected X seen Y`, and returns the results; `ok` is false on a mismatch
 * (including an `open` answered by the wrong server).
 */
export async function probe(tag: string, specs: ProbeSpec[], timeoutMs = PROBE_TIMEOUT_MS): Promise<ProbeResult[]> {
  if (specs.length > 200) throw new Error('too many probes in one call');
  const byNs = new Map<Netns, number[]>();
  specs.forEach((s, i) => byNs.set(s.ns, [...(byNs.get(s.ns) ?? []), i]));
  const results: ProbeResult[] = new Array(specs.length);
  await Promise.all(
    [...byNs.entries()].map(async ([ns, idx]) => {
      const r = await runBatch(
        ns,
        idx.map((i) => specs[i]!),
        timeoutMs,
      );
      idx.forEach((i, k) => {
        const s = specs[i]!;
        const got = r[k]!;
        const bannerOk =
          got.seen !== 'open' || s.expect !== 'open' || s.banner === undefined || got.detail === s.banner;
        const ok = got.seen === s.expect && bannerOk;
        const src = s.src ? `${s.from} ${s.src}` : s.from;
        const extra = got.detail ? ` (${got.detail})` : '';
        const want = s.expect === 'open' && s.banner ? `open (${s.banner})` : s.expect;
        const line = `${tag} ${src} → ${fmtAddr(s.dst)}:${s.port} expected ${want} seen ${got.seen}${extra} ${got.ms}ms${ok ? '' : '  <-- MISMATCH'}`;
        results[i] = { ...s, seen: got.seen, detail: got.detail, ms: got.ms, ok, line };
      });
    }),
  );
  console.log(results.map((r) => r.line).join('\n'));
  return results;
}

/** The mismatching probe lines (empty when every probe saw what was expected). */
export function mismatches(results: ProbeResult[]): string[] {
  return results.filter((r) => !r.ok).map((r) => r.line);
}
