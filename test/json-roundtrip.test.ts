// The JSON form: `dfw parse x | dfw fmt --from-json` gives back x; edits print canonically.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { iptablesFromJson, iptablesToJson } from '../src/iptables/json.js';
import { parseIptables } from '../src/iptables/parse.js';
import { printIptables } from '../src/iptables/print.js';
import { dfw } from './support/cli.js';
import { FIXTURES, iptablesFixtures } from './support/fixtures.js';

const fixtures = iptablesFixtures();

/** The JSON form as dfw 0.1 wrote it: `raw` and `line` where version 2 has `source`. */
function toVersion1(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(toVersion1);
  if (typeof v !== 'object' || v === null) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (k === 'source') {
      const { text, line } = x as { text: string; line: number };
      Object.assign(out, { raw: text, line });
    } else if (k === 'commit') out.commit = { raw: (x as { text: string }).text, line: (x as { line: number }).line };
    else out[k] = k === 'version' ? 1 : toVersion1(x);
  }
  return out;
}

describe('JSON round trip', () => {
  it.each(fixtures)('%s: parse → JSON → fmt --from-json is byte for byte (library)', (name, text) => {
    const json = JSON.parse(JSON.stringify(iptablesToJson(parseIptables(text, { file: name }))));
    expect(json.version).toBe(2);
    expect(printIptables(iptablesFromJson(json))).toBe(text);
  });

  it.each(fixtures)('%s: the older JSON form (version 1: raw and line) is read too', (name, text) => {
    const json = JSON.parse(JSON.stringify(iptablesToJson(parseIptables(text, { file: name }))));
    expect(printIptables(iptablesFromJson(toVersion1(json)))).toBe(text);
  });

  it('through the CLI, for a real dump', () => {
    const [, text] = fixtures.find(([n]) => n === 'docker29.nft.v4')!;
    const parsed = dfw(['parse'], text);
    expect(parsed.status).toBe(0);
    const back = dfw(['fmt', '--from-json'], parsed.stdout);
    expect(back.status).toBe(0);
    expect(back.stdout).toBe(text);
  });

  it('an added rule and an edited rule print in canonical iptables-save form', () => {
    const [, text] = fixtures.find(([n]) => n === 'docker29.nft.v4')!;
    const json = JSON.parse(dfw(['parse'], text).stdout);
    const filter = json.items.find((i: { kind: string; name: string }) => i.kind === 'table' && i.name === 'filter');
    const at = filter.body.findIndex(
      (s: { kind: string; chain: string }) => s.kind === 'rule' && s.chain === 'DOCKER-USER',
    );
    const added = {
      kind: 'rule',
      chain: 'DOCKER-USER',
      spec: {
        // given out of order: printed in iptables-save's order
        options: [
          { flag: '-p', values: ['tcp'] },
          { flag: '-s', values: ['198.51.100.0/24'] },
        ],
        matches: [
          { name: 'tcp', options: [{ flag: '--dport', values: ['22'] }] },
          { name: 'comment', options: [{ flag: '--comment', values: ["it's mine"] }] },
        ],
        target: { name: 'DROP' },
      },
    };
    filter.body.splice(at < 0 ? filter.body.length : at, 0, added);
    const fwd = filter.body.find(
      (s: { kind: string; source: { text: string } }) =>
        s.kind === 'rule' && s.source.text === '-A FORWARD -j DOCKER-USER',
    );
    fwd.spec.options.push({ flag: '-i', negated: true, values: ['lo'] });
    const out = dfw(['fmt', '--from-json'], JSON.stringify(json));
    expect(out.status).toBe(0);
    const lines = out.stdout.split('\n');
    expect(lines).toContain(
      '-A DOCKER-USER -s 198.51.100.0/24 -p tcp -m tcp --dport 22 -m comment --comment "it\\\'s mine" -j DROP',
    );
    expect(lines).toContain('-A FORWARD ! -i lo -j DOCKER-USER');
    expect(lines).not.toContain('-A FORWARD -j DOCKER-USER');
    // Everything else is unchanged.
    expect(lines.length).toBe(text.split('\n').length + 1);
  });

  const bad: [string, unknown, RegExp][] = [
    ['not an object', [], /\(top\): expected an object/],
    ['wrong version', { version: 3, kind: 'iptables', items: [] }, /version: expected 2 \(or 1/],
    [
      'unknown table',
      { version: 1, kind: 'iptables', items: [{ kind: 'table', name: 'filtr', body: [] }] },
      /items\[0\]\.name: expected one of/,
    ],
    [
      'unknown statement kind',
      { version: 1, kind: 'iptables', items: [{ kind: 'table', name: 'filter', body: [{ kind: 'rul' }] }] },
      /items\[0\]\.body\[0\]\.kind: expected/,
    ],
    [
      'flag with a blank',
      {
        version: 1,
        kind: 'iptables',
        items: [
          {
            kind: 'table',
            name: 'filter',
            body: [{ kind: 'rule', chain: 'INPUT', spec: { options: [{ flag: '-s 1.2.3.4' }] } }],
          },
        ],
      },
      /options\[0\]\.flag: expected an option/,
    ],
    [
      'newline in a value',
      {
        version: 1,
        kind: 'iptables',
        items: [
          {
            kind: 'table',
            name: 'filter',
            body: [
              {
                kind: 'rule',
                chain: 'INPUT',
                spec: {
                  matches: [{ name: 'comment', options: [{ flag: '--comment', values: ['a\n-A INPUT -j ACCEPT'] }] }],
                },
              },
            ],
          },
        ],
      },
      /values\[0\]: a line break/,
    ],
    [
      'chain name too long',
      {
        version: 1,
        kind: 'iptables',
        items: [{ kind: 'table', name: 'filter', body: [{ kind: 'chain', name: 'C'.repeat(29) }] }],
      },
      /name: a chain name has at most 28/,
    ],
    ['unknown field', { version: 1, kind: 'iptables', items: [], extra: 1 }, /extra: unknown field/],
    [
      'garbage source line',
      {
        version: 2,
        kind: 'iptables',
        items: [
          {
            kind: 'table',
            name: 'filter',
            body: [
              { kind: 'comment', text: '#x', source: { text: '#x', line: 2 } },
              { kind: 'rule', chain: 'INPUT', spec: {}, source: { text: '-A INPUT -ptcp', line: 3 } },
            ],
          },
        ],
      },
      /body\[1\]\.source: not a valid line: .*attached short option/,
    ],
    [
      'garbage raw line (version 1)',
      {
        version: 1,
        kind: 'iptables',
        items: [
          {
            kind: 'table',
            name: 'filter',
            body: [
              { kind: 'comment', text: '#x', raw: '#x', line: 2 },
              { kind: 'rule', chain: 'INPUT', spec: {}, raw: '-A INPUT -ptcp', line: 3 },
            ],
          },
        ],
      },
      /body\[1\]\.source: not a valid line: .*attached short option/,
    ],
    [
      'source without a line number',
      {
        version: 2,
        kind: 'iptables',
        items: [{ kind: 'comment', text: '#x', source: { text: '#x' } }],
      },
      /items\[0\]\.source\.line: expected a line number/,
    ],
  ];

  it.each(bad)(
    'invalid JSON node (%s): exit 2, JSON path in the message, nothing on stdout',
    (_what, value, pattern) => {
      const r = dfw(['fmt', '--from-json'], JSON.stringify(value));
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(pattern);
    },
  );

  it('invalid JSON text: exit 2 with line and column', () => {
    const r = dfw(['fmt', '--from-json'], '{\n  "version": 1,\n  oops\n}');
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^<stdin>:3:3: invalid JSON/);
  });
});

describe('JSON round trip of ipset dumps', () => {
  const dir = join(FIXTURES, 'ipset');
  const files = readdirSync(dir).filter((f) => f.endsWith('.ipset'));

  it.each(files)('%s: dfw parse | dfw fmt --from-json is byte for byte', (f) => {
    const text = readFileSync(join(dir, f), 'utf8');
    const parsed = dfw(['parse', '--format', 'ipset', join(dir, f)]);
    expect(parsed.status).toBe(0);
    expect(JSON.parse(parsed.stdout)).toMatchObject({ version: 2, kind: 'ipset' });
    const back = dfw(['fmt', '--from-json'], parsed.stdout);
    expect(back.stderr).toBe('');
    expect(back.stdout).toBe(text);
  });

  it('an added member prints canonically; an invalid one is refused with its path', () => {
    const json = JSON.parse(dfw(['parse', join(dir, 'hash-ip.ipset')]).stdout);
    const set = json.lines[0].set;
    json.lines.push({ kind: 'add', exist: false, set, entry: '203.0.113.99', options: [] });
    const out = dfw(['fmt', '--from-json'], JSON.stringify(json));
    expect(out.status).toBe(0);
    expect(out.stdout.endsWith(`add ${set} 203.0.113.99\n`)).toBe(true);
    json.lines.push({ kind: 'add', exist: false, set, entry: '203.0.113.99 -j ACCEPT', options: [] });
    const bad = dfw(['fmt', '--from-json'], JSON.stringify(json));
    expect(bad.status).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/lines\[\d+\]: expected an option .* found "-j"/);
  });
});
