// Compiles grammar/*.ne with nearleyc into src/grammar/*.gen.ts (never edited by hand).
// The generated code is not type-clean under `strict`, hence the @ts-nocheck banner.
import { execFileSync } from 'node:child_process';
import { readdirSync, writeFileSync, mkdirSync, statSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const nearleyc = join(root, 'node_modules', '.bin', 'nearleyc');
mkdirSync(join(root, 'src', 'grammar'), { recursive: true });
for (const f of readdirSync(join(root, 'grammar')).filter((f) => f.endsWith('.ne'))) {
  const src = join(root, 'grammar', f);
  const out = join(root, 'src', 'grammar', f.replace(/\.ne$/, '.gen.ts'));
  if (existsSync(out) && statSync(out).mtimeMs >= statSync(src).mtimeMs) continue;
  const code = execFileSync(nearleyc, [src], { encoding: 'utf8' });
  writeFileSync(out, `// @ts-nocheck\n// Generated from grammar/${f} by grammar/compile.mjs. Do not edit.\n${code}`);
}
