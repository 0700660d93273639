// dfw as a user sees it: the package imported by its name, a plugin, a jq edit through the
// JSON form; each loads with the real iptables-restore. README shows these same commands.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, dfw } from './support/cli.js';
import { FIXTURES, ROOT } from './support/fixtures.js';
import { Netns, describeNetns } from './support/netns.js';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const fixture = join(FIXTURES, 'iptables', 'docker29.nft.v4');

// A user's script: the package by its name, builders, print.
const userScript = `import { readFileSync } from 'node:fs';
import { editDump, editTable, parseIptables, printIptables, rule, opt, match, jump } from 'dfw';

const dump = parseIptables(readFileSync(process.argv[2], 'utf8'), { file: process.argv[2] });
const items = dump.items.map((t) => {
  if (t.kind !== 'table' || t.name !== 'filter') return t;
  const at = t.body.findIndex((s) => s.kind === 'rule' && s.chain === 'DOCKER-USER');
  const body = [...t.body];
  body.splice(at < 0 ? body.length : at, 0,
    rule('DOCKER-USER', {
      options: [opt('-s', '203.0.113.0/24'), opt('-i', 'eth0'), opt('-p', 'tcp')],
      matches: [match('tcp', opt('--dport', '22')), match('comment', opt('--comment', 'no ssh from there'))],
      target: jump('DROP'),
    }));
  return editTable(t, { body });
});
process.stdout.write(printIptables(editDump(dump, { items })));
`;

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'dfw-user-'));
  // As after `npm install dfw`: node_modules/dfw is the package (here a link to this checkout).
  mkdirSync(join(tmp, 'node_modules'));
  symlinkSync(ROOT, join(tmp, 'node_modules', 'dfw'), 'dir');
  writeFileSync(join(tmp, 'add-rule.mjs'), userScript);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function userRun(): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(tmp, 'add-rule.mjs'), fixture], { cwd: tmp, encoding: 'utf8' });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const jqCommand = `dfw parse rules.v4 | jq '(.items[] | select(.kind == "table" and .name == "filter") | .body) += [{"kind": "rule", "chain": "DOCKER-USER", "spec": {"options": [{"flag": "-s", "values": ["198.51.100.0/24"]}, {"flag": "-i", "values": ["eth0"]}], "target": {"name": "DROP"}}}]' | dfw fmt --from-json`;
const pluginCommand = 'dfw transform rules.v4 --policy classic.yaml --plugin ./log-before-drop.mjs';

describe('the package and its examples', () => {
  it('imported by its name, the API parses, builds a rule and prints it canonically', () => {
    const r = userRun();
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n')).toContain(
      '-A DOCKER-USER -s 203.0.113.0/24 -i eth0 -p tcp -m tcp --dport 22 -m comment --comment "no ssh from there" -j DROP',
    );
    // Nothing else changed.
    expect(r.stdout.split('\n').length).toBe(readFileSync(fixture, 'utf8').split('\n').length + 1);
  });

  it('imported by its name, buildBundle gives the files dfw bundle writes, byte for byte', () => {
    const policy = join(FIXTURES, 'policies', 'web.yaml');
    const script = `import { readFileSync } from 'node:fs';
import { buildBundle, loadPolicy } from 'dfw';
const text = readFileSync(process.argv[2], 'utf8');
const bundle = buildBundle(loadPolicy(text, process.argv[2]), text);
process.stdout.write(JSON.stringify(bundle.files));`;
    writeFileSync(join(tmp, 'bundle.mjs'), script);
    const r = spawnSync(process.execPath, [join(tmp, 'bundle.mjs'), policy], { cwd: tmp, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const files = JSON.parse(r.stdout) as { name: string; text: string }[];
    const out = join(tmp, 'bundle-out');
    expect(dfw(['bundle', '--policy', policy, '--out', out]).status).toBe(0);
    expect(files.map((f) => f.name).sort()).toEqual(readdirSync(out).sort());
    for (const f of files) expect(f.text, f.name).toBe(readFileSync(join(out, f.name), 'utf8'));
  });

  it('README shows the plugin and jq examples that these tests run', () => {
    expect(README).toContain(pluginCommand);
    expect(README).toContain(jqCommand);
    expect(README).toContain('export function transform(dump, { policy, build: { jump, match, opt, rule } }) {');
    // The README's plugin is the fixture's, comments aside.
    const code = (t: string) =>
      t
        .split('\n')
        .filter((l) => !l.startsWith('//') && l.trim() !== '')
        .join('\n');
    const shown = /### User transforms[\s\S]*?```js\n([\s\S]*?)```/.exec(README)?.[1] ?? '';
    expect(code(shown)).toBe(code(readFileSync(join(FIXTURES, 'plugins', 'log-before-drop.mjs'), 'utf8')));
  });

  it('the plugin example puts a LOG rule before the default drop', () => {
    const r = dfw([
      'transform',
      join(FIXTURES, 'iptables', 'classic.nft.v4'),
      '--policy',
      join(FIXTURES, 'policies', 'classic.yaml'),
      '--plugin',
      join(FIXTURES, 'plugins', 'log-before-drop.mjs'),
    ]);
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    const log = lines.indexOf(
      '-A DFW-classic -i eth0 -m comment --comment "dfw:classic:log" -m limit --limit 5/min -j LOG --log-prefix "dfw drop: "',
    );
    expect(log).toBeGreaterThan(0);
    expect(lines[log + 1]).toBe('-A DFW-classic -i eth0 -m comment --comment "dfw:classic:default" -j DROP');
  });

  it('a failing plugin gives a clear error naming it, exit 2, nothing on stdout', () => {
    const bad = join(tmp, 'bad-plugin.mjs');
    writeFileSync(bad, 'export function transform() { throw new Error("no such chain: FOO"); }\n');
    const r = dfw([
      'transform',
      join(FIXTURES, 'iptables', 'classic.nft.v4'),
      '--policy',
      join(FIXTURES, 'policies', 'classic.yaml'),
      '--plugin',
      bad,
    ]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`dfw: plugin ${bad} failed: no such chain: FOO\n`);
  });

  it('a plugin returning an invalid rule is refused with its JSON path', () => {
    const bad = join(tmp, 'bad-rule.mjs');
    writeFileSync(
      bad,
      `export default (dump) => { dump.items.find((t) => t.kind === 'table' && t.name === 'filter').body.push({ kind: 'rule', chain: 'INPUT', spec: { options: [], matches: [{ name: 'comment', options: [{ flag: '--comment', negated: false, values: ['x\\n-A INPUT -j ACCEPT'] }] }] } }); };\n`,
    );
    const r = dfw([
      'transform',
      join(FIXTURES, 'iptables', 'classic.nft.v4'),
      '--policy',
      join(FIXTURES, 'policies', 'classic.yaml'),
      '--plugin',
      bad,
    ]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      new RegExp(
        `plugin ${bad} returned an invalid dump: items\\[\\d+\\]\\.body\\[\\d+\\]\\.spec\\.matches\\[0\\]\\.options\\[0\\]\\.values\\[0\\]: a line break`,
      ),
    );
  });
});

describeNetns(
  'the examples load with the real iptables-restore',
  () => {
    let ns: Netns;
    beforeAll(() => {
      ns = Netns.create('api');
      ns.ok('ipset', ['create', 'ipfriends', 'hash:ip']);
    });
    afterAll(() => ns?.delete());

    for (const variant of ['nft', 'legacy'] as const) {
      it(`${variant}: the user's script output, restored and saved back, holds the new rule`, () => {
        const out = userRun().stdout;
        ns.ok(`iptables-${variant}-restore`, [], out);
        expect(ns.ok(`iptables-${variant}-save`, []).split('\n')).toContain(
          '-A DOCKER-USER -s 203.0.113.0/24 -i eth0 -p tcp -m tcp --dport 22 -m comment --comment "no ssh from there" -j DROP',
        );
      });

      it(`${variant}: the jq edit through the JSON form`, () => {
        const cmd = jqCommand.replaceAll('dfw ', `${process.execPath} ${CLI} `).replace('rules.v4', fixture);
        const r = spawnSync('bash', ['-o', 'pipefail', '-c', cmd], { encoding: 'utf8' });
        expect(r.stderr).toBe('');
        expect(r.status).toBe(0);
        ns.ok(`iptables-${variant}-restore`, [], r.stdout);
        const saved = ns.ok(`iptables-${variant}-save`, []).split('\n');
        expect(saved).toContain('-A DOCKER-USER -s 198.51.100.0/24 -i eth0 -j DROP');
      });

      it(`${variant}: the plugin output`, () => {
        const r = dfw([
          'transform',
          join(FIXTURES, 'iptables', 'classic.nft.v4'),
          '--policy',
          join(FIXTURES, 'policies', 'classic.yaml'),
          '--plugin',
          join(FIXTURES, 'plugins', 'log-before-drop.mjs'),
        ]);
        ns.ok(`iptables-${variant}-restore`, [], r.stdout);
        expect(ns.ok(`iptables-${variant}-save`, [])).toContain('-j LOG --log-prefix "dfw drop: "');
      });
    }
  },
  ['iptables-nft-restore', 'iptables-legacy-restore', 'ipset', 'jq'],
);
