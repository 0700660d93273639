// /usr/share/doc/dfw/copyright for the .deb, machine-readable (DEP-5): dfw's own license
// (packaging/copyright.in), then one paragraph per npm package the executable may hold (the
// lock file's non-dev packages), then the Node.js runtime's license (its LICENSE file lists the
// libraries it bundles).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** License text as a DEP-5 field continuation: each line indented by one space, empty lines " .". */
export const continuation = (text) =>
  text
    .replace(/\r\n?/g, '\n')
    .replace(/\t/g, '    ')
    .trim()
    .split('\n')
    .map((l) => (l.trim() === '' ? ' .' : ` ${l.trimEnd()}`))
    .join('\n');

function licenseText(dir) {
  const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)([.-]|$)/i.test(f));
  return file === undefined ? undefined : readFileSync(join(dir, file), 'utf8');
}

/** The package's own copyright line(s), from its license text. */
function copyrightOf(text, name) {
  const lines = (text ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^(\(c\)|copyright\b)/i.test(l) && /\d{4}|\(c\)/i.test(l))
    .map((l) => l.replace(/^copyright\s*(\(c\)|©)?\s*/i, '').trim());
  return lines.length > 0 ? [...new Set(lines)].join('\n ') : `the authors of the npm package ${name}`;
}

function npmParagraphs(root) {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
  const out = [];
  for (const [path, meta] of Object.entries(lock.packages ?? {})) {
    if (path === '' || meta.dev || meta.optional) continue;
    const dir = join(root, path);
    const name = path.replace(/^.*node_modules\//, '');
    const text = existsSync(dir) ? licenseText(dir) : undefined;
    const body =
      text ??
      `The npm package ${name} ${meta.version} declares this license in its package.json and ships no license file.`;
    out.push(
      [
        `Files: ${path}/*`,
        `Copyright: ${copyrightOf(text, name)}`,
        `License: ${meta.license ?? 'unknown'}`,
        continuation(body),
      ].join('\n'),
    );
  }
  return out;
}

/** Node's LICENSE: beside the running node (an official tarball) or where Debian-style packages put it. */
function nodeLicense() {
  const bin = process.execPath;
  for (const f of [join(bin, '..', '..', 'LICENSE'), '/usr/share/doc/nodejs/LICENSE', '/usr/share/doc/node/LICENSE'])
    if (existsSync(f)) return readFileSync(f, 'utf8');
  throw new Error(`no LICENSE of the Node.js runtime found (${bin}): the package must carry it`);
}

/**
 * Debian keeps the Apache License 2.0 in /usr/share/common-licenses: Node's LICENSE quotes it in
 * full (for OpenSSL and others), and lintian wants a reference instead
 * (copyright-file-contains-full-apache-2-license).
 */
export const referApache = (text) =>
  text.replace(
    /^([ \t]*)Apache License[ \t]*\n[ \t]*Version 2\.0, January 2004[\s\S]*?END OF TERMS AND CONDITIONS[ \t]*$/gm,
    '$1Apache License, Version 2.0: on Debian systems, the full text is in\n$1/usr/share/common-licenses/Apache-2.0.',
  );

export function copyrightFile(root) {
  const own = readFileSync(join(root, 'packaging', 'copyright.in'), 'utf8').trimEnd();
  const runtime = [
    `Files: node/*`,
    'Copyright: Node.js contributors; the authors of the libraries listed below',
    `Comment: the Node.js ${process.version} runtime in /usr/bin/dfw`,
    'License: Node.js',
    continuation(referApache(nodeLicense())),
  ].join('\n');
  return `${[own, ...npmParagraphs(root), runtime].join('\n\n')}\n`;
}
