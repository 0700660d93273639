// Every reference to the project's docs resolves: a `docs/<page>.md` or `docs/<page>.md#<anchor>` in the
// sources, grammars, tests, fixtures, README.md or the docs themselves names a file that exists and, with an
// anchor, a heading of it; and the relative links of README.md and docs/*.md lead somewhere. A
// comment that cites a heading which was renamed or never written would send a reader nowhere.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SCANNED = ['src', 'grammar', 'test', 'fixtures', 'docs', 'README.md'];
const SKIPPED_DIRS = new Set(['node_modules', 'dist', 'bench-out']);
const TEXT_FILE = /\.(?:ts|mts|cts|js|mjs|cjs|ne|md|sh|json|ya?ml|v4|v6)$/;

/** `docs/<path>.md` with an optional `#anchor`, not inside a longer path (`mydocs/x.md`). */
const DOCS_REF = /(?<![\p{L}\p{N}_.-])docs\/([\w./-]+?\.md)(?:#([\p{L}\p{N}_-]+))?/gu;
/** A Markdown link or image target: `](target)`. */
const MD_LINK = /\]\(([^)\s]+)\)/g;

/** GitHub's anchor for a heading: lower case, punctuation other than `-` and `_` dropped, blanks to `-`. */
function slug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // links and images: their text
    .replace(/<[^>]+>/g, '') // inline HTML tags
    .trim()
    .toLowerCase();
  return text.replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
}

/** The anchors of a Markdown text's headings (ATX `#` headings outside fenced code), duplicates numbered as GitHub does. */
function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  const seen = new Map<string, number>();
  let fence: string | undefined;
  for (const line of markdown.split('\n')) {
    const f = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (f) {
      const marker = f[1] as string;
      if (fence === undefined) fence = marker;
      else if (marker[0] === fence[0] && marker.length >= fence.length) fence = undefined;
      continue;
    }
    if (fence !== undefined) continue;
    const h = /^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/.exec(line);
    if (!h) continue;
    const base = slug(h[1] as string);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** Blanks out fenced code blocks and inline code spans, keeping line numbers: links there are not links. */
function proseOnly(markdown: string): string {
  return markdown
    .replace(/^ {0,3}(`{3,}|~{3,})[^\n]*\n[\s\S]*?^ {0,3}\1[^\n]*$/gm, (block) => block.replace(/[^\n]/g, ' '))
    .replace(/`[^`\n]*`/g, (span) => ' '.repeat(span.length));
}

interface Reference {
  /** Where the reference is: `src/x.ts:12`. */
  at: string;
  /** The reference as written. */
  text: string;
  /** The file it names, relative to the repository. */
  file: string;
  anchor: string | undefined;
}

/** The `docs/…` references of one file's text, and for Markdown files their relative links. */
function referencesIn(path: string, text: string): Reference[] {
  const out: Reference[] = [];
  const lineOf = (index: number) => text.slice(0, index).split('\n').length;
  for (const m of text.matchAll(DOCS_REF)) {
    out.push({ at: `${path}:${lineOf(m.index)}`, text: m[0], file: `docs/${m[1]}`, anchor: m[2] });
  }
  if (path.endsWith('.md')) {
    for (const m of proseOnly(text).matchAll(MD_LINK)) {
      const target = m[1] as string;
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
      const [file, anchor] = target.split('#', 2) as [string, string | undefined];
      const resolved = file === '' ? path : normalize(join(dirname(path), decodeURI(file)));
      out.push({ at: `${path}:${lineOf(m.index)}`, text: target, file: resolved, anchor });
    }
  }
  return out;
}

/** What is wrong with a reference (undefined when it resolves), given a way to read the repository. */
function problemWith(ref: Reference, read: (file: string) => string | undefined): string | undefined {
  const content = read(ref.file);
  if (content === undefined) return `${ref.at}: ${ref.text}: there is no file ${ref.file}`;
  if (ref.anchor === undefined || !ref.file.endsWith('.md')) return undefined;
  const known = anchors(content);
  if (known.has(ref.anchor)) return undefined;
  return `${ref.at}: ${ref.text}: ${ref.file} has no heading #${ref.anchor} (its headings: ${[...known].map((a) => `#${a}`).join(', ')})`;
}

function walk(path: string, out: string[]): void {
  const full = join(ROOT, path);
  if (!existsSync(full)) return;
  if (statSync(full).isDirectory()) {
    for (const name of readdirSync(full).sort()) {
      if (!SKIPPED_DIRS.has(name) && !name.endsWith('.gen.ts')) walk(join(path, name), out);
    }
  } else if (TEXT_FILE.test(path)) {
    out.push(path);
  }
}

function readRepo(file: string): string | undefined {
  const full = join(ROOT, file);
  if (relative(ROOT, full).startsWith('..') || !existsSync(full)) return undefined;
  return statSync(full).isDirectory() ? '' : readFileSync(full, 'utf8');
}

describe('references to docs/', () => {
  const files: string[] = [];
  for (const p of SCANNED) walk(p, files);
  const refs = files.flatMap((f) => referencesIn(f, readFileSync(join(ROOT, f), 'utf8')));

  it('finds the citations (the code cites docs/ by heading)', () => {
    const cited = refs.filter((r) => r.file.startsWith('docs/') && r.anchor !== undefined);
    expect(cited.filter((r) => r.at.startsWith('src/')).length).toBeGreaterThan(20);
    const pages = new Set(cited.map((r) => r.file));
    for (const page of ['format', 'docker', 'design']) expect(pages).toContain(`docs/${page}.md`);
  });

  it('every reference names a file and a heading that exist', () => {
    const broken = refs.map((r) => problemWith(r, readRepo)).filter((p): p is string => p !== undefined);
    expect(broken, `broken references to the docs:\n${broken.join('\n')}`).toEqual([]);
  });
});

describe('the reference checker', () => {
  // Built from parts, so that the scan above does not read these examples as references.
  const DOCS = 'docs';
  const page = [
    '# Title',
    '',
    '## What a restore flushes',
    '```sh',
    '# not a heading',
    '```',
    '## Quoting',
    '## Quoting',
    '',
  ].join('\n');
  const read = (file: string) => (file === `${DOCS}/page.md` ? page : undefined);
  const check = (text: string) =>
    referencesIn('src/x.ts', text)
      .map((r) => problemWith(r, read))
      .filter((p) => p !== undefined);

  it('slugs headings as GitHub does', () => {
    expect(slug('What a restore flushes')).toBe('what-a-restore-flushes');
    expect(slug('RETURN, not ACCEPT, in DOCKER-USER')).toBe('return-not-accept-in-docker-user');
    expect(slug('`--noflush` and `:CHAIN` lines')).toBe('--noflush-and-chain-lines');
    expect(slug('[Links](x.md) keep_their text')).toBe('links-keep_their-text');
    expect([...anchors(page)]).toEqual(['title', 'what-a-restore-flushes', 'quoting', 'quoting-1']);
  });

  it('accepts references to files and headings that exist', () => {
    expect(
      check(`// see ${DOCS}/page.md#what-a-restore-flushes and ${DOCS}/page.md, ${DOCS}/page.md#quoting-1.`),
    ).toEqual([]);
  });

  it('names each broken reference: a missing file, a missing heading, a heading only in code', () => {
    expect(check(`// ${DOCS}/nope.md#x\n// ${DOCS}/page.md#quoted\n// ${DOCS}/page.md#not-a-heading`)).toEqual([
      `src/x.ts:1: ${DOCS}/nope.md#x: there is no file ${DOCS}/nope.md`,
      `src/x.ts:2: ${DOCS}/page.md#quoted: ${DOCS}/page.md has no heading #quoted (its headings: #title, #what-a-restore-flushes, #quoting, #quoting-1)`,
      `src/x.ts:3: ${DOCS}/page.md#not-a-heading: ${DOCS}/page.md has no heading #not-a-heading (its headings: #title, #what-a-restore-flushes, #quoting, #quoting-1)`,
    ]);
  });

  it('follows relative Markdown links, outside code', () => {
    const md = [
      '[a](page.md#quoting) [b](#here) [c](../README.md) [d](https://example.org/x)',
      '`[e](nowhere.md)`',
      '## Here',
    ].join('\n');
    const refs = referencesIn(`${DOCS}/index.md`, md);
    expect(refs.map((r) => [r.file, r.anchor])).toEqual([
      [`${DOCS}/page.md`, 'quoting'],
      [`${DOCS}/index.md`, 'here'],
      ['README.md', undefined],
    ]);
  });
});
