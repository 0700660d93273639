#!/usr/bin/env node
// dfw benchmark (README.md "Performance"). `npm run bench` builds, then runs this.
//
// For each size it measures, each as a whole process, with stdout a pipe that `cat` drains
// (--stdout null: /dev/null):
//   node baseline.mjs FILE                       read, split, join, write (the bare Node floor)
//   iptables-legacy-restore --test FILE          in a throw-away network namespace
//   iptables-nft-restore --test FILE             idem
//   dfw fmt FILE
//   dfw transform FILE --policy P                (full)
//   dfw exposure FILE                            (A6: at most 2 × transform at 1M lines)
//   dfw transform FILE --policy P --mode noflush
//   dfw transform T --policy P --check           T = FILE already transformed by dfw
//   node baseline.mjs N, dfw transform N --policy P --create-chain   N = the same dump without Docker
//   dist/dfw-linux-x64 transform FILE --policy P (the single executable, npm run package)
// once: dfw --version with node dist/dfw.cjs and with the executable (start-up),
// and once: node baseline.mjs / dfw ipset on a 100k-member `ipset save` dump.
// Cells of one size are run round-robin (pair by pair), so that a noisy neighbour hits all of
// them alike. Wall time: median of the runs; peak RSS: the child's ru_maxrss (GNU time %M).
//
//   node test/bench/run.mjs [--sizes 10k,100k,1M] [--runs 5] [--cell-budget 45]
//                              [--timeout 300] [--no-iptables] [--ipset-members 100k]
//                              [--cells transform,exposure]
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  writeFileSync,
  rmSync,
  closeSync,
  statSync,
} from 'node:fs';
import { cpus, totalmem, release, loadavg, hostname } from 'node:os';
import { join, dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateIptables, generateIpset, parseSize } from './gen.mjs';
import { createNetns, netnsUnavailable } from './netns.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const out = join(root, 'bench-out');
let dfwMain = join(root, 'dist', 'dfw.cjs');
// The single executable (issue 20), measured beside the npm build when it exists.
let dfwExe = join(root, 'dist', 'dfw-linux-x64');
const policy = join(here, 'policy.yaml');
const baseline = join(here, 'baseline.mjs');
const NODE = process.execPath;

// ---------------------------------------------------------------------------------------------
// arguments

const opts = {
  sizes: ['10k', '100k', '1M'],
  runs: 5,
  cellBudget: 45,
  timeout: 300,
  iptables: true,
  ipsetMembers: 100_000,
  snapshot: true,
  stdout: 'pipe',
};
{
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) die(`${a} needs a value`);
      return v;
    };
    if (a === '--sizes')
      opts.sizes = val()
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    else if (a === '--runs') opts.runs = posInt(val(), a);
    else if (a === '--cell-budget') opts.cellBudget = posInt(val(), a);
    else if (a === '--timeout') opts.timeout = posInt(val(), a);
    else if (a === '--no-iptables') opts.iptables = false;
    else if (a === '--stdout') {
      opts.stdout = val();
      if (!['pipe', 'null'].includes(opts.stdout)) die(`--stdout takes pipe or null, got ${opts.stdout}`);
    } else if (a === '--cells' || a === '--only') opts.cells = new Set(val().split(','));
    else if (a === '--exe') dfwExe = resolve(val());
    else if (a === '--ipset-members') opts.ipsetMembers = parseSize(val());
    else if (a === '--dfw') {
      dfwMain = resolve(val());
      opts.snapshot = false;
    } else if (a === '--no-snapshot') opts.snapshot = false;
    else if (a === '-h' || a === '--help') {
      process.stdout.write(
        'usage: node test/bench/run.mjs [--sizes 10k,100k,1M] [--runs 5] [--cell-budget 45]\n' +
          '                                [--timeout 300] [--no-iptables] [--ipset-members 100k]\n' +
          '                                [--dfw dist/dfw.cjs] [--no-snapshot] [--stdout pipe|null]\n' +
          '                                [--cells KEYS] [--exe FILE]\n' +
          '  --runs N          runs per measurement (median); a cell whose first run is slow gets\n' +
          '                    fewer, so that it takes about --cell-budget seconds (at least 1 run)\n' +
          '  --timeout S       per run; a run over it is reported as a timeout\n' +
          '  --dfw FILE        the dfw CLI to run with node (default: a copy of dist/ taken at start,\n' +
          '                    so that a concurrent rebuild cannot change dfw in the middle of a run)\n' +
          '  --no-snapshot     run dist/dfw.cjs in place\n' +
          '  --stdout pipe     (default) every command writes into a pipe that `cat` drains, as in\n' +
          '                    `iptables-save | dfw transform | iptables-restore`; null: /dev/null\n' +
          '  --cells K,K       only these cells of each size (keys: node, legacy, nft, fmt, transform, noflush,\n' +
          '                    check, node-nodocker, create-chain, trace, exposure, lint, transform-exe,\n' +
          '                    version, version-exe, ipset); --only is the same\n' +
          '  --exe FILE        the single executable (default dist/dfw-linux-x64, from npm run package)\n' +
          'Results: a Markdown table on stdout, bench-out/results.md and bench-out/results.json.\n',
      );
      process.exit(0);
    } else die(`unknown argument ${a} (see --help)`);
  }
}
function die(msg) {
  process.stderr.write(`bench: ${msg}\n`);
  process.exit(2);
}
function posInt(s, what) {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1) die(`${what} needs a positive integer, got ${s}`);
  return n;
}
const sizes = opts.sizes.map((s) => {
  try {
    return parseSize(s);
  } catch {
    return die(`bad size ${s} in --sizes`);
  }
});
const label = (n) => (n % 1_000_000 === 0 ? `${n / 1_000_000}M` : n % 1000 === 0 ? `${n / 1000}k` : String(n));
const log = (s) => process.stderr.write(`${s}\n`);

mkdirSync(out, { recursive: true });
const devnull = openSync('/dev/null', 'w');

// ---------------------------------------------------------------------------------------------
// peak RSS of a child: GNU time (%M = ru_maxrss of the waited child, KiB), else python3 wait4().

const RSS_FILE = join(out, `.rss-${process.pid}`);
const rss = detectRss();
function detectRss() {
  const candidates = [];
  for (const t of ['/usr/bin/time', '/bin/time']) {
    if (!existsSync(t)) continue;
    candidates.push({ name: `GNU time (${t} -f %M)`, wrap: (argv) => [t, '-o', RSS_FILE, '-f', '%M', ...argv] });
  }
  const py = spawnSync('sh', ['-c', 'command -v python3'], { encoding: 'utf8' }).stdout.trim();
  if (py) {
    const code =
      'import os,sys,subprocess\n' +
      'p=subprocess.Popen(sys.argv[2:])\n' +
      '_,st,ru=os.wait4(p.pid,0)\n' +
      'open(sys.argv[1],"w").write("%d\\n"%ru.ru_maxrss)\n' +
      'sys.exit(os.WEXITSTATUS(st) if os.WIFEXITED(st) else 128+os.WTERMSIG(st))\n';
    candidates.push({ name: 'python3 os.wait4() ru_maxrss', wrap: (argv) => [py, '-c', code, RSS_FILE, ...argv] });
  }
  for (const c of candidates) {
    // Calibrate: a child that holds a 64 MiB buffer must report at least 64 MiB.
    rmSync(RSS_FILE, { force: true });
    const argv = c.wrap([NODE, '-e', 'const b=Buffer.alloc(64*1024*1024,1);if(b[5]!==1)process.exit(3)']);
    const r = spawnSync(argv[0], argv.slice(1), { stdio: 'ignore', timeout: 30_000 });
    const kib = readRss();
    if (r.status === 0 && kib !== undefined && kib >= 64 * 1024 && kib < 4 * 1024 * 1024) {
      return { ...c, calibration: `64 MiB buffer → ${(kib / 1024).toFixed(0)} MiB` };
    }
  }
  return {
    name: 'none',
    wrap: (argv) => argv,
    calibration: "no way to read a child's peak RSS: install the apt package `time` (GNU time), or python3",
    none: true,
  };
}
function readRss() {
  try {
    const lines = readFileSync(RSS_FILE, 'utf8').trim().split('\n');
    const n = Number(lines[lines.length - 1]);
    return Number.isFinite(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// input files (generated when missing or when gen.mjs changed)

const genHash = createHash('sha256')
  .update(readFileSync(join(here, 'gen.mjs')))
  .digest('hex')
  .slice(0, 16);
const stampFile = join(out, '.gen-stamp.json');
let stamp = {};
try {
  stamp = JSON.parse(readFileSync(stampFile, 'utf8'));
} catch {
  stamp = {};
}
function ensure(file, make) {
  const key = relative(out, file);
  if (existsSync(file) && stamp[key] === genHash) return;
  const t0 = Date.now();
  const text = make();
  writeFileSync(file, text);
  stamp[key] = genHash;
  writeFileSync(stampFile, `${JSON.stringify(stamp, null, 2)}\n`);
  log(`generated ${relative(root, file)} (${countLines(file)} lines, ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}
const lineCache = new Map();
function countLines(file) {
  if (!lineCache.has(file)) {
    const buf = readFileSync(file);
    let n = 0;
    for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) n++;
    lineCache.set(file, n);
  }
  return lineCache.get(file);
}

const files = new Map();
for (const n of sizes) {
  const l = label(n);
  const main = join(out, `kube-${l}.rules`);
  const nodocker = join(out, `kube-${l}-nodocker.rules`);
  ensure(main, () => generateIptables({ lines: n, docker: true }));
  ensure(nodocker, () => generateIptables({ lines: n, docker: false }));
  files.set(n, { main, nodocker, transformed: join(out, `kube-${l}.transformed.rules`) });
}
const ipsetFile = join(out, `ipset-${label(opts.ipsetMembers)}.save`);
ensure(ipsetFile, () => generateIpset({ members: opts.ipsetMembers }));

// ---------------------------------------------------------------------------------------------
// running one process

// coreutils `timeout`; without it spawnSync's own timeout still bounds every run.
const hasTimeout = spawnSync('sh', ['-c', 'command -v timeout'], { stdio: 'ignore' }).status === 0;

/**
 * Runs argv once (stdout to `stdoutFd`, default /dev/null), bounded by --timeout.
 * @returns {{ok: boolean, wall: number, rssKiB?: number, status: number, err?: string}}
 */
function runOnce(argv, { stdoutFd = devnull, netns } = {}) {
  rmSync(RSS_FILE, { force: true });
  // dfw runs in a pipe, where Node's stdout is non-blocking and the reader sets the pace: measure
  // it there, for every row alike. The pipe lives inside the RSS wrapper, whose figure is the
  // largest of the processes it waited for (the command, not bash or cat); pipefail keeps the
  // command's exit status.
  const piped = opts.stdout === 'pipe' && stdoutFd === devnull;
  const cmd = piped ? ['bash', '-o', 'pipefail', '-c', '"$@" | cat > /dev/null', 'bench', ...argv] : argv;
  // `timeout` signals its whole process group, so nothing outlives a timed-out run.
  const inner = rss.wrap(cmd);
  const limit = hasTimeout ? ['timeout', '-k', '5', String(opts.timeout)] : [];
  const full = [...limit, ...(netns ? netns.prefix : []), ...inner];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(full[0], full.slice(1), {
    stdio: ['ignore', stdoutFd, 'pipe'],
    timeout: (opts.timeout + 30) * 1000,
    killSignal: 'SIGKILL',
    maxBuffer: 64 * 1024 * 1024,
  });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const status = r.status ?? (r.signal ? 128 : -1);
  const stderr = r.stderr ? r.stderr.toString('utf8') : String(r.error ?? '');
  if (status === 124 || status === 137 || r.error?.code === 'ETIMEDOUT') {
    return { ok: false, wall, status, err: `timeout (> ${opts.timeout} s)`, timeout: true };
  }
  if (status !== 0) {
    const lines = stderr
      .split('\n')
      .map((s) => s.trim())
      .filter((s) => s && !/^Command exited with non-zero status/.test(s));
    let first = lines[0] ?? '';
    // An uncaught exception starts with its location ("file:///…/x.js:4"): add the error line.
    if (/^(file:|node:|\/)\S*:\d+$/.test(first)) {
      const e = lines.find((s) => /^\w*(Error|Exception)\b/.test(s));
      if (e) first = `${e.slice(0, 150)} (at ${shown(first.replace(/^file:\/\//, ''))})`;
    }
    return { ok: false, wall, status, err: `failed (exit ${status}${first ? `: ${first.slice(0, 220)}` : ''})` };
  }
  return { ok: true, wall, status, rssKiB: readRss() };
}

// ---------------------------------------------------------------------------------------------
// namespace for the iptables baselines

let netns;
let iptablesSkip;
if (!opts.iptables) iptablesSkip = 'skipped (--no-iptables)';
else {
  const why = netnsUnavailable(['iptables-legacy-restore', 'iptables-nft-restore']);
  if (why) iptablesSkip = `skipped: ${why}`;
  else {
    try {
      netns = createNetns('bench');
    } catch (e) {
      iptablesSkip = `skipped: ${e.message}`;
    }
  }
}
if (iptablesSkip) log(`iptables baselines ${iptablesSkip}`);

// ---------------------------------------------------------------------------------------------
// cells

const shown = (p) => (p.startsWith(`${root}/`) ? relative(root, p) : p);
const dfwMissing = existsSync(dfwMain) ? undefined : `failed (${shown(dfwMain)} missing: run npm run build)`;
// Run a private copy of dist/ (others may rebuild dist/ while the bench runs). It lives under
// bench-out/, so node_modules and package.json ("type": "module") still resolve from the root.
let snapshotDir;
if (!dfwMissing && opts.snapshot) {
  snapshotDir = join(out, `dist-snapshot-${process.pid}`);
  for (let attempt = 1; attempt <= 3; attempt++) {
    rmSync(snapshotDir, { recursive: true, force: true });
    cpSync(join(root, 'dist'), snapshotDir, { recursive: true });
    const ok =
      spawnSync(NODE, [join(snapshotDir, 'dfw.cjs'), '--help'], { stdio: 'ignore', timeout: 60_000 }).status === 0;
    if (ok) break;
    log(
      `dist/ snapshot ${attempt} does not run (a build in progress?)${attempt < 3 ? ': retrying in 10 s' : ': using it anyway'}`,
    );
    if (attempt < 3) spawnSync('sleep', ['10']);
  }
  dfwMain = join(snapshotDir, 'dfw.cjs');
  if (existsSync(dfwExe)) {
    cpSync(dfwExe, join(snapshotDir, 'dfw-exe'));
    dfwExe = join(snapshotDir, 'dfw-exe');
  }
  process.on('exit', () => rmSync(snapshotDir, { recursive: true, force: true }));
  process.on('SIGINT', () => process.exit(130));
  process.on('SIGTERM', () => process.exit(143));
}
const dfw = (...args) => [NODE, dfwMain, ...args];
const exeMissing = existsSync(dfwExe) ? undefined : `skipped (${shown(dfwExe)} missing: run npm run package)`;
const exe = (...args) => [dfwExe, ...args];
/** Whether a cell is measured (--cells / --only). */
const wanted = (key) => opts.cells === undefined || opts.cells.has(key);

function cell(group, size, key, command, file, argv, extra = {}) {
  return {
    group,
    size,
    key,
    command,
    file,
    lines: countLines(file),
    argv,
    samples: [],
    rss: [],
    target: opts.runs,
    ...extra,
  };
}

function groupCells(n) {
  const f = files.get(n);
  const l = label(n);
  const cells = [
    cell(l, n, 'node', 'node baseline.mjs (read, split, join, write)', f.main, [NODE, baseline, f.main], {
      baseline: true,
    }),
    cell(l, n, 'legacy', 'iptables-legacy-restore --test', f.main, ['iptables-legacy-restore', '--test', f.main], {
      netns: true,
      skip: iptablesSkip,
    }),
    cell(l, n, 'nft', 'iptables-nft-restore --test', f.main, ['iptables-nft-restore', '--test', f.main], {
      netns: true,
      skip: iptablesSkip,
    }),
    cell(l, n, 'fmt', 'dfw fmt', f.main, dfw('fmt', f.main), { dfw: true }),
    cell(l, n, 'transform', 'dfw transform (full)', f.main, dfw('transform', f.main, '--policy', policy), {
      dfw: true,
    }),
    // issue 16: exposure's speed target is relative to dfw transform of the same dump (A6)
    cell(l, n, 'exposure', 'dfw exposure', f.main, dfw('exposure', f.main), { dfw: true }),
    cell(
      l,
      n,
      'noflush',
      'dfw transform --mode noflush',
      f.main,
      dfw('transform', f.main, '--policy', policy, '--mode', 'noflush'),
      { dfw: true },
    ),
    cell(
      l,
      n,
      'check',
      'dfw transform --check (transformed input)',
      f.main,
      dfw('transform', f.transformed, '--policy', policy, '--check'),
      {
        dfw: true,
        needsTransformed: f.transformed,
        note: 'input: this dump after dfw transform',
      },
    ),
    cell(l, n, 'node-nodocker', 'node baseline.mjs (no-Docker dump)', f.nodocker, [NODE, baseline, f.nodocker], {
      baseline: true,
      nodocker: true,
    }),
    cell(
      l,
      n,
      'create-chain',
      'dfw transform --create-chain (no-Docker dump)',
      f.nodocker,
      dfw('transform', f.nodocker, '--policy', policy, '--create-chain'),
      {
        dfw: true,
        nodocker: true,
      },
    ),
    // issue 16: one packet traced through the dump, to a port the Docker section publishes.
    cell(
      l,
      n,
      'trace',
      'dfw trace (one packet)',
      f.main,
      dfw(
        'trace',
        f.main,
        '--in',
        'eth0',
        '--src',
        '203.0.113.5',
        '--dst',
        '198.51.100.1',
        '--local',
        '198.51.100.1',
        '--dport',
        '8080',
      ),
      { dfw: true },
    ),
    cell(
      l,
      n,
      'transform-exe',
      'dfw transform (full), the single executable',
      f.main,
      exe('transform', f.main, '--policy', policy),
      { skip: exeMissing },
    ),
    // dfw lint (issue 17), with the policy (every rule runs); --severity error: the bench dump's
    // published ports are open and not all allowed (warnings), which is not a failure of the run.
    cell(l, n, 'lint', 'dfw lint --policy P', f.main, dfw('lint', f.main, '--policy', policy, '--severity', 'error'), {
      dfw: true,
    }),
  ];
  return cells.filter((c) => wanted(c.key));
}

/** Makes the transformed dump the --check cell reads; returns an error text or undefined. */
function prepareTransformed(n) {
  const f = files.get(n);
  rmSync(f.transformed, { force: true });
  if (dfwMissing) return dfwMissing;
  const fd = openSync(f.transformed, 'w');
  let r;
  try {
    r = runOnce(dfw('transform', f.main, '--policy', policy), { stdoutFd: fd });
  } finally {
    closeSync(fd);
  }
  if (!r.ok) {
    rmSync(f.transformed, { force: true });
    return `skipped: no transformed input, dfw transform ${r.err}`;
  }
  if (statSync(f.transformed).size === 0) return 'skipped: dfw transform printed nothing';
  return undefined;
}

/** Runs the cells of one group round-robin until each has its runs (bounded: runs × cells). */
function measure(cells) {
  for (const c of cells) {
    if (c.skip) c.result = c.skip;
    else if (c.dfw && dfwMissing) c.result = dfwMissing;
  }
  for (let round = 0; round < opts.runs; round++) {
    for (const c of cells) {
      if (c.result || c.samples.length >= c.target) continue;
      const r = runOnce(c.argv, { netns: c.netns ? netns : undefined });
      if (!r.ok) {
        c.result = r.err;
        c.exit = r.status;
        log(`  ${c.group} ${c.command}: ${r.err}`);
        continue;
      }
      c.samples.push(r.wall);
      if (r.rssKiB !== undefined) c.rss.push(r.rssKiB);
      if (c.samples.length === 1) {
        // A slow cell gets fewer runs so that it takes about --cell-budget seconds.
        c.target = Math.max(1, Math.min(opts.runs, Math.floor(opts.cellBudget / Math.max(r.wall, 1e-3))));
      }
      log(
        `  ${c.group} ${c.command}: run ${c.samples.length}/${c.target} ${r.wall.toFixed(3)} s` +
          (r.rssKiB ? `, ${(r.rssKiB / 1024).toFixed(1)} MiB` : ''),
      );
    }
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? undefined : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// ---------------------------------------------------------------------------------------------
// main

const startedAt = new Date();
const load0 = loadavg();
const allCells = [];
try {
  log(`peak RSS: ${rss.name}; ${rss.calibration}`);
  for (const n of sizes) {
    log(`== ${label(n)} lines`);
    const cells = groupCells(n);
    const err = wanted('check') ? prepareTransformed(n) : undefined;
    if (err) for (const c of cells) if (c.needsTransformed) c.skip = err;
    measure(cells);
    allCells.push(...cells);
  }
  log('== start-up');
  const startup = [
    cell('start-up', 0, 'version', 'node dist/dfw.cjs --version', policy, dfw('--version'), { dfw: true }),
    cell('start-up', 0, 'version-exe', 'dfw --version, the single executable', policy, exe('--version'), {
      skip: exeMissing,
    }),
  ].filter((c) => wanted(c.key));
  measure(startup);
  allCells.push(...startup);
  if (wanted('ipset')) {
    log(`== ipset, ${label(opts.ipsetMembers)} members`);
    const ig = `ipset ${label(opts.ipsetMembers)}`;
    const ipsetCells = [
      cell(
        ig,
        opts.ipsetMembers,
        'node',
        'node baseline.mjs (read, split, join, write)',
        ipsetFile,
        [NODE, baseline, ipsetFile],
        { baseline: true },
      ),
      cell(ig, opts.ipsetMembers, 'ipset', 'dfw ipset', ipsetFile, dfw('ipset', ipsetFile, '--policy', policy), {
        dfw: true,
      }),
    ];
    measure(ipsetCells);
    allCells.push(...ipsetCells);
  }
} finally {
  netns?.del();
  rmSync(RSS_FILE, { force: true });
  if (snapshotDir) rmSync(snapshotDir, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------
// results

for (const c of allCells) {
  c.median = median(c.samples);
  c.rssMiB = c.rss.length ? Math.max(...c.rss) / 1024 : undefined;
  c.rssMedianMiB = c.rss.length ? median(c.rss) / 1024 : undefined;
  c.linesPerS = c.median ? c.lines / c.median : undefined;
}
const find = (group, key) => allCells.find((c) => c.group === group && c.key === key);
for (const c of allCells) {
  if (c.median === undefined) continue;
  const node = find(c.group, c.nodocker ? 'node-nodocker' : 'node');
  const legacy = find(c.group, 'legacy');
  const nft = find(c.group, 'nft');
  if (node?.median) c.xNode = c.median / node.median;
  if (node?.rssMedianMiB && c.rssMedianMiB) c.xNodeRss = c.rssMedianMiB / node.rssMedianMiB;
  if (legacy?.median) c.xLegacy = c.median / legacy.median;
  if (nft?.median) c.xNft = c.median / nft.median;
}

const fx = (x, d = 2) => (x === undefined ? '–' : x.toFixed(d));
const fint = (x) => (x === undefined ? '–' : Math.round(x).toLocaleString('en-US'));
const md = (s) => String(s).replace(/\|/g, '\\|');
const rowsMd = [
  '| size | command | runs | median wall s | lines/s | peak RSS MiB | × node time | × node RSS | × legacy --test | × nft --test |',
  '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|',
];
for (const c of allCells) {
  if (c.result) {
    rowsMd.push(`| ${c.group} | ${md(c.command)} | ${c.samples.length} | ${md(c.result)} | – | – | – | – | – | – |`);
    continue;
  }
  const nd = c.nodocker && (c.xLegacy !== undefined || c.xNft !== undefined) ? '†' : '';
  rowsMd.push(
    `| ${c.group} | ${md(c.command)} | ${c.samples.length} | ${fx(c.median, 3)} | ${fint(c.linesPerS)} | ${fx(c.rssMiB, 1)} | ${fx(c.xNode)} | ${fx(c.xNodeRss)} | ${fx(c.xLegacy)}${c.xLegacy !== undefined ? nd : ''} | ${fx(c.xNft)}${c.xNft !== undefined ? nd : ''} |`,
  );
}

// The speed targets dfw must meet.
const acceptance = [];
function check(id, text, fn) {
  let r;
  try {
    r = fn();
  } catch (e) {
    r = { status: 'FAIL', detail: String(e.message ?? e) };
  }
  acceptance.push({ id, text, ...r });
}
const need = (n, key) => {
  if (typeof n === 'number' && !sizes.includes(n))
    throw Object.assign(new Error(`${label(n)} not measured (--sizes)`), { skip: true });
  const c = find(typeof n === 'string' ? n : label(n), key);
  if (!c && !wanted(key)) throw Object.assign(new Error(`${key} not measured (--cells)`), { skip: true });
  if (!c) throw new Error(`${label(n)} ${key}: not measured`);
  if (c.median === undefined) throw new Error(`${label(n)} ${c.command}: ${c.result ?? 'no runs'}`);
  return c;
};
function guarded(fn) {
  return () => {
    try {
      return fn();
    } catch (e) {
      return { status: e.skip ? 'SKIP' : 'FAIL', detail: e.message };
    }
  };
}
/**
 * A target on wall times: `a`'s median ≤ limit × `b`'s, each [size or group, cell key]; `name`
 * says how the detail names b.
 */
function timeRatio(id, text, [an, ak], [bn, bk], limit, name) {
  check(
    id,
    text,
    guarded(() => {
      const a = need(an, ak);
      const b = need(bn, bk);
      const ratio = a.median / b.median;
      return {
        status: ratio <= limit ? 'PASS' : 'FAIL',
        value: ratio,
        limit,
        detail: `${fx(a.median, 3)} s vs ${name ? `${name} ` : ''}${fx(b.median, 3)} s: ${fx(ratio)}× (limit ${limit}×)`,
      };
    }),
  );
}
timeRatio(
  'A1',
  '1M lines: dfw transform wall time ≤ 3 × bare Node baseline',
  [1e6, 'transform'],
  [1e6, 'node'],
  3,
  'node',
);
timeRatio(
  'A2',
  '100k lines: dfw transform wall time ≤ 0.5 × iptables-legacy-restore --test',
  [1e5, 'transform'],
  [1e5, 'legacy'],
  0.5,
  'legacy',
);
check(
  'A3',
  '1M lines: dfw transform peak RSS ≤ 1.5 × bare Node baseline',
  guarded(() => {
    const t = need(1e6, 'transform');
    const b = need(1e6, 'node');
    if (!t.rssMedianMiB || !b.rssMedianMiB) throw new Error(`peak RSS not measured (${rss.calibration})`);
    const ratio = t.rssMedianMiB / b.rssMedianMiB;
    return {
      status: ratio <= 1.5 ? 'PASS' : 'FAIL',
      value: ratio,
      limit: 1.5,
      detail: `${fx(t.rssMedianMiB, 1)} MiB vs node ${fx(b.rssMedianMiB, 1)} MiB: ${fx(ratio)}× (limit 1.5×)`,
    };
  }),
);
check(
  'A4',
  'linear: dfw transform time per line at 1M ≤ 1.25 × that at 100k',
  guarded(() => {
    const big = need(1e6, 'transform');
    const small = need(1e5, 'transform');
    const a = (big.median / big.lines) * 1e6;
    const b = (small.median / small.lines) * 1e6;
    const ratio = a / b;
    return {
      status: ratio <= 1.25 ? 'PASS' : 'FAIL',
      value: ratio,
      limit: 1.25,
      detail: `${fx(a, 2)} µs/line at 1M vs ${fx(b, 2)} µs/line at 100k: ${fx(ratio)}× (limit 1.25×)`,
    };
  }),
);
timeRatio(
  'A5',
  '1M lines: dfw trace wall time ≤ 1 × dfw transform (full) of the same dump (issue 16)',
  [1e6, 'trace'],
  [1e6, 'transform'],
  1,
  'transform',
);
timeRatio(
  'A6',
  '1M lines: dfw exposure wall time ≤ 2 × dfw transform (issue 16)',
  [1e6, 'exposure'],
  [1e6, 'transform'],
  2,
  'transform',
);
timeRatio(
  'A7',
  "100k lines: the single executable's transform wall time ≤ 1.2 × the npm build's (node dist/dfw.cjs)",
  [1e5, 'transform-exe'],
  [1e5, 'transform'],
  1.2,
  '',
);
timeRatio(
  'A8',
  "start-up: the single executable's --version ≤ 1.2 × node dist/dfw.cjs --version",
  ['start-up', 'version-exe'],
  ['start-up', 'version'],
  1.2,
  '',
);
timeRatio(
  'A9',
  '1M lines: dfw lint wall time ≤ 2 × dfw transform (issue 17)',
  [1e6, 'lint'],
  [1e6, 'transform'],
  2,
  'transform',
);
const accLines = acceptance.map((a) => `${a.status} ${a.id} ${a.text}: ${a.detail}`);

const cpu = cpus();
const ipt = spawnSync('iptables', ['--version'], { encoding: 'utf8' }).stdout?.trim() ?? '?';
const machine = {
  host: hostname(),
  cpu: `${cpu[0]?.model ?? '?'} × ${cpu.length}`,
  memGiB: +(totalmem() / 2 ** 30).toFixed(1),
  kernel: release(),
  node: process.version,
  iptables: ipt,
  loadavgStart: load0.map((x) => +x.toFixed(2)),
  loadavgEnd: loadavg().map((x) => +x.toFixed(2)),
};
const notDone = [...new Set(allCells.filter((c) => c.dfw && c.result).map((c) => `${c.command}: ${c.result}`))];
const busy = Math.max(machine.loadavgStart[0], machine.loadavgEnd[0]) > cpu.length;
const notes = [
  ...(busy
    ? [
        `**The machine was busy** (1-min load average up to ${Math.max(machine.loadavgStart[0], machine.loadavgEnd[0])} on ${cpu.length} CPUs): absolute times are inflated and noisy; compare ratios of cells measured together, and re-run on a quiet machine for the README.`,
      ]
    : []),
  `Median wall time of the runs (column "runs"), each run a whole process with stdout ${opts.stdout === 'pipe' ? 'a pipe drained by cat' : 'to /dev/null'}, measured round-robin per size.`,
  `Peak RSS: ${rss.name} (the child's ru_maxrss; calibration: ${rss.calibration}); the table shows the highest of the runs, the ratios use medians.`,
  `× node: ratio to \`node test/bench/baseline.mjs\` on the same file (the no-Docker dump for its rows; the --check row reads the transformed dump, a few lines longer than the dump whose baseline it is compared with).`,
  `iptables baselines run in a throw-away network namespace (\`ip netns exec\` is included in their wall time, not in their RSS)${iptablesSkip ? `: ${iptablesSkip}` : ''}.`,
  `† no-Docker rows are compared with the iptables baselines measured on the Docker dump of the same size.`,
];
const header = [
  `# dfw bench (${startedAt.toISOString()})`,
  '',
  `Machine: ${machine.cpu}, ${machine.memGiB} GiB, Linux ${machine.kernel}, Node ${machine.node}, ${machine.iptables}; load average ${machine.loadavgStart.join(' ')} at start, ${machine.loadavgEnd.join(' ')} at end.`,
  '',
];
const body = [
  ...rowsMd,
  '',
  ...notes.map((n) => `- ${n}`),
  '',
  '## Acceptance (the speed targets)',
  '',
  '```',
  ...accLines,
  '```',
  ...(notDone.length
    ? [
        '',
        'dfw commands without a figure (not available yet, failed or timed out):',
        '',
        ...notDone.map((n) => `- ${md(n)}`),
      ]
    : []),
  '',
];
writeFileSync(join(out, 'results.md'), [...header, ...body].join('\n'));
writeFileSync(
  join(out, 'results.json'),
  `${JSON.stringify(
    {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      options: { ...opts, sizes: sizes.map(label) },
      machine,
      rssMethod: rss.name,
      rssCalibration: rss.calibration,
      rows: allCells.map((c) => ({
        size: c.group,
        command: c.command,
        argv: c.argv.map((a) => (a === NODE ? 'node' : a === dfwMain && snapshotDir ? 'dist/dfw.cjs' : shown(a))),
        file: shown(c.file),
        lines: c.lines,
        status: c.result ? (c.result.startsWith('skipped') ? 'skipped' : 'failed') : 'ok',
        result: c.result,
        exit: c.exit,
        runs: c.samples.length,
        samplesS: c.samples,
        medianS: c.median,
        linesPerS: c.linesPerS,
        peakRssMiB: c.rssMiB,
        medianRssMiB: c.rssMedianMiB,
        xNodeTime: c.xNode,
        xNodeRss: c.xNodeRss,
        xLegacyTime: c.xLegacy,
        xNftTime: c.xNft,
      })),
      acceptance,
    },
    null,
    2,
  )}\n`,
);
process.stdout.write(`\n${body.join('\n')}\nwritten: bench-out/results.md, bench-out/results.json\n`);
