// Build step (npm run build): writes dist/dfw.1, the man page, from the commands' declarations
// (src/cli/help/manpage.ts), the same ones `dfw --help` prints. The date is the commit's (or
// SOURCE_DATE_EPOCH's), so that a build of one commit gives the same page.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { commands } from '../dist/cli/commands/index.js';
import { manPage } from '../dist/cli/help/manpage.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

function buildDate() {
  const epoch = Number(process.env.SOURCE_DATE_EPOCH);
  if (Number.isInteger(epoch) && epoch > 0) return new Date(epoch * 1000).toISOString().slice(0, 10);
  const git = spawnSync('git', ['-C', root, 'log', '-1', '--format=%cs'], { encoding: 'utf8', timeout: 10_000 });
  if (git.status === 0 && /^\d{4}-\d\d-\d\d$/.test(git.stdout.trim())) return git.stdout.trim();
  return new Date().toISOString().slice(0, 10);
}

writeFileSync(join(root, 'dist', 'dfw.1'), manPage(commands, { version, date: buildDate() }));
