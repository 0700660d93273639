// `dfw parse` shows each rule's chain, matches and target as structured JSON; `dfw fmt` prints it back.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dfw } from './support/cli.js';
import { FIXTURES } from './support/fixtures.js';

const docker = join(FIXTURES, 'iptables', 'docker29.nft.v4');

/** A node of the JSON form that was read from text. */
interface Located {
  source: { text: string; line: number };
}

describe('dfw parse', () => {
  const r = dfw(['parse', docker]);
  const ast = JSON.parse(r.stdout);

  it('exits 0 with JSON on stdout', () => {
    expect(r.status).toBe(0);
    expect(ast.kind).toBe('iptables');
    expect(ast.family).toBe(4);
  });

  it('shows chain, matches with options and negation, and target of each rule', () => {
    const filter = ast.items.find((i: { kind: string; name: string }) => i.kind === 'table' && i.name === 'filter');
    const rules = filter.body.filter((s: { kind: string }) => s.kind === 'rule');
    const ct = rules.find((x: Located) => x.source.text.includes('DOCKER-CT -o docker0'));
    expect(ct).toMatchObject({
      kind: 'rule',
      chain: 'DOCKER-CT',
      spec: {
        options: [{ flag: '-o', negated: false, values: ['docker0'] }],
        matches: [
          { name: 'conntrack', options: [{ flag: '--ctstate', negated: false, values: ['RELATED,ESTABLISHED'] }] },
        ],
        target: { kind: 'jump', name: 'ACCEPT', options: [] },
      },
    });
    const neg = rules.find((x: Located) => /^-A DOCKER ! -i/.test(x.source.text));
    expect(neg.spec.options[0]).toEqual({ flag: '-i', negated: true, values: [neg.source.text.split(' ')[4]] });
  });

  it('keeps the source text and line of every node', () => {
    const text = readFileSync(docker, 'utf8').split('\n');
    const filter = ast.items.find((i: { kind: string; name: string }) => i.kind === 'table' && i.name === 'filter');
    expect(filter.body.length).toBeGreaterThan(0);
    for (const s of filter.body as Located[]) expect(text[s.source.line - 1]).toBe(s.source.text);
    expect(text[filter.source.line - 1]).toBe('*filter');
    expect(text[filter.commit.line - 1]).toBe('COMMIT');
  });
});

describe('dfw fmt', () => {
  it('prints an untouched dump back byte for byte, from a file and from stdin', () => {
    const text = readFileSync(docker, 'utf8');
    expect(dfw(['fmt', docker]).stdout).toBe(text);
    expect(dfw(['fmt', '-'], text).stdout).toBe(text);
    expect(dfw(['fmt'], text).stdout).toBe(text);
  });

  it('--help shows examples', () => {
    const h = dfw(['fmt', '--help']);
    expect(h.status).toBe(0);
    expect(h.stdout).toMatch(/Examples:/);
  });

  it('a missing file is a clear error, exit 2', () => {
    const e = dfw(['fmt', '/nonexistent/rules.v4']);
    expect(e.status).toBe(2);
    expect(e.stdout).toBe('');
    expect(e.stderr).toMatch(/\/nonexistent\/rules.v4: cannot read: no such file or directory \(ENOENT\)/);
  });

  it('an unknown option is a usage error, exit 2', () => {
    const e = dfw(['fmt', '--bogus']);
    expect(e.status).toBe(2);
    expect(e.stdout).toBe('');
  });
});
