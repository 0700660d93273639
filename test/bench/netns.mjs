// Throw-away network namespaces for the bench: named `dfwbench-<pid>-<n>-<label>`, always
// deleted (explicitly, on process exit and on SIGINT/SIGTERM). Only names made here are ever
// deleted.
import { spawnSync } from 'node:child_process';

const live = new Set();
let counter = 0;
let hooked = false;

function cleanupAll() {
  for (const name of [...live]) {
    spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore', timeout: 20_000 });
    live.delete(name);
  }
}

function hook() {
  if (hooked) return;
  hooked = true;
  process.on('exit', cleanupAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      cleanupAll();
      process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1));
    });
  }
}

function has(cmd) {
  return spawnSync('sh', ['-c', `command -v "$1"`, 'sh', cmd], { stdio: 'ignore' }).status === 0;
}

/** Why namespaces cannot be used here (with the tools given), or undefined. */
export function netnsUnavailable(tools = []) {
  if (process.getuid?.() !== 0) return 'not root (network namespaces need root)';
  for (const t of ['ip', ...tools]) if (!has(t)) return `${t} is not installed`;
  return undefined;
}

/** Creates a namespace; returns { name, run(cmd, args, opts), del() }. Throws if `ip` fails. */
export function createNetns(label = 'ns') {
  hook();
  const name = `dfwbench-${process.pid}-${++counter}-${label}`.slice(0, 60);
  const r = spawnSync('ip', ['netns', 'add', name], { encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) throw new Error(`ip netns add ${name} failed: ${(r.stderr || String(r.error)).trim()}`);
  live.add(name);
  return {
    name,
    /** argv prefix that runs a command inside the namespace */
    prefix: ['ip', 'netns', 'exec', name],
    run(cmd, args, opts = {}) {
      const res = spawnSync('ip', ['netns', 'exec', name, cmd, ...args], {
        encoding: 'utf8',
        timeout: opts.timeoutMs ?? 120_000,
        input: opts.input,
        maxBuffer: 1024 * 1024 * 1024,
      });
      return {
        status: res.status ?? -1,
        signal: res.signal,
        stdout: res.stdout ?? '',
        stderr: res.stderr ?? (res.error ? String(res.error) : ''),
      };
    },
    del() {
      if (!live.has(name)) return;
      spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore', timeout: 20_000 });
      live.delete(name);
    },
  };
}
