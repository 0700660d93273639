// /usr/share/doc/dfw/changelog.gz for the .deb: CHANGELOG.md (keep-a-changelog) in Debian's
// changelog format (deb-changelog(5)). dfw is a native package: the entry for the version is the
// CHANGELOG.md section [<version>], else [Unreleased] (a build between releases).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The ### groups and their items (one string per "- " item) of one ## section. */
export function changelogSection(markdown, version) {
  const sections = markdown.split(/^## /m).slice(1);
  const section =
    sections.find((s) => s.startsWith(`[${version}]`)) ?? sections.find((s) => s.startsWith('[Unreleased]'));
  if (section === undefined) throw new Error(`CHANGELOG.md has neither [${version}] nor [Unreleased]`);
  return section
    .split(/^### /m)
    .slice(1)
    .map((group) => {
      const [title, ...body] = group.split('\n');
      const items = body
        .join('\n')
        .split(/^- /m)
        .slice(1)
        .map((item) => item.replace(/\s+/g, ' ').trim());
      return { title: title.trim(), items };
    })
    .filter((g) => g.items.length > 0);
}

/** Words of `text` in lines of at most `width`, the first prefixed by `first`, the rest by `rest`. */
function wrap(text, first, rest, width = 78) {
  const lines = [];
  let line = first;
  for (const word of text.split(' ')) {
    if (line.length + word.length + 1 > width && line.trim() !== first.trim()) {
      lines.push(line.trimEnd());
      line = rest;
    }
    line += line === first || line === rest ? word : ` ${word}`;
  }
  lines.push(line.trimEnd());
  return lines;
}

/** Markdown to plain words: links keep their text. */
const plain = (s) => s.replace(/\[([^\]]+)\]\([^)]*\)/g, '$1');

/** RFC 5322 date, as deb-changelog(5) wants: "Wed, 02 Dec 2026 10:22:46 +0000". */
const rfc5322 = (time) => time.toUTCString().replace('GMT', '+0000');

export function debianChangelog(root, { maintainer, time }) {
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const groups = changelogSection(readFileSync(join(root, 'CHANGELOG.md'), 'utf8'), version);
  const lines = [`dfw (${version}) unstable; urgency=medium`, ''];
  for (const g of groups) {
    lines.push(`  [ ${g.title} ]`);
    for (const item of g.items) lines.push(...wrap(plain(item), '  * ', '    '));
    lines.push('');
  }
  lines.push(` -- ${maintainer}  ${rfc5322(time)}`, '');
  return lines.join('\n');
}
