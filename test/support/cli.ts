// Runs the built CLI as a user would: a separate process, stdin, exit code, stdout, stderr.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './fixtures.js';

// The bin of the package, as users run it (the bundled CLI).
export const CLI = join(ROOT, 'dist', 'dfw.cjs');

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

export function dfw(args: string[], input?: string, cwd = ROOT): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    input,
    encoding: 'utf8',
    cwd,
    timeout: 60_000,
    maxBuffer: 512 * 1024 * 1024,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
