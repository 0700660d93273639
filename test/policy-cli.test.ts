// Bad policies through the CLI. `dfw transform DUMP --policy bad.yaml`
// must exit 2, print nothing on stdout, and report on stderr
//   FILE:LINE:COL: path: message      (no "path: " for problems of the whole file)
// followed by the offending source line and a caret (docs/design.md#cli-contract).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURES, ROOT } from './support/fixtures.js';

const CLI = join(ROOT, 'dist', 'dfw.cjs');
const DUMP = join(FIXTURES, 'iptables', 'docker29.nft.v4');
const execFileP = promisify(execFile);

interface Bad {
  what: string;
  yaml: string;
  /** 1-based line the error must name. */
  line: number;
  /** 1-based column, when it matters. */
  col?: number;
  /** The policy path the message starts with (a regex source); undefined: a whole-file problem. */
  path?: string;
  message: RegExp;
}

const HEAD = 'version: 1\nname: web\nexternal: eth0\n';

const BAD: Bad[] = [
  {
    what: 'unknown top-level key (with a suggestion)',
    yaml: `${HEAD}chian: DOCKER\n`,
    line: 4,
    col: 1,
    path: 'chian',
    message: /unknown key.*chain/,
  },
  {
    what: 'unknown key in an allow rule',
    yaml: `${HEAD}allow:\n  - name: a\n    proto: tcp\n    port: 80\n    source: 10.0.0.0/8\n`,
    line: 8,
    col: 5,
    path: 'allow\\[0\\]\\.source',
    message: /unknown key.*from/,
  },
  {
    what: 'missing version',
    yaml: 'name: web\nexternal: eth0\n',
    line: 1,
    path: 'version',
    message: /missing.*version: 1/,
  },
  {
    what: 'unsupported version',
    yaml: 'version: 2\nname: web\nexternal: eth0\n',
    line: 1,
    col: 10,
    path: 'version',
    message: /unsupported policy version 2/,
  },
  {
    what: 'port out of range',
    yaml: `${HEAD}allow:\n  - name: a\n    proto: tcp\n    port: 70000\n`,
    line: 7,
    col: 11,
    path: 'allow\\[0\\]\\.port',
    message: /70000.*out of range/,
  },
  {
    what: 'bad port in a list',
    yaml: `${HEAD}allow:\n  - name: a\n    proto: tcp\n    port:\n      - 443\n      - "80:http"\n`,
    line: 9,
    path: 'allow\\[0\\]\\.port\\[1\\]',
    message: /80:http|port/,
  },
  {
    what: 'bad CIDR (prefix too long)',
    yaml: `${HEAD}allow:\n  - name: a\n    proto: tcp\n    port: 80\n    from: [192.0.2.0/24, 10.0.0.0/33]\n`,
    line: 8,
    path: 'allow\\[0\\]\\.from\\[1\\]',
    message: /10\.0\.0\.0\/33/,
  },
  {
    what: 'bad address in sources',
    yaml: `${HEAD}sources:\n  - 300.1.2.3\n`,
    line: 5,
    col: 5,
    path: 'sources\\[0\\]',
    message: /300\.1\.2\.3/,
  },
  {
    what: 'set used in sources but not declared (compile step)',
    yaml: `${HEAD}sources: [set:nope]\n`,
    line: 4,
    path: 'sources(\\[0\\])?',
    message: /set nope is not declared/,
  },
  {
    what: 'set used in allow[].from but not declared (compile step)',
    yaml: `${HEAD}allow:\n  - name: a\n    proto: tcp\n    port: 80\n    from:\n      - 198.51.100.0/24\n      - set:nope\n`,
    line: 10,
    path: 'allow\\[0\\]\\.from(\\[1\\])?',
    message: /set nope is not declared/,
  },
  {
    what: 'interface name too long',
    yaml: 'version: 1\nname: web\nexternal: [eth0, averyveryverylongif]\n',
    line: 3,
    path: 'external\\[1\\]',
    message: /at most 15/,
  },
  {
    what: 'YAML syntax error (bad indentation)',
    yaml: `${HEAD}allow:\n  - name: a\n   proto: tcp\n`,
    line: 6,
    message: /invalid YAML/,
  },
  {
    what: 'YAML syntax error (unclosed flow sequence)',
    yaml: 'version: 1\nname: web\nexternal: [eth0\nallow: []\n',
    line: 4,
    message: /invalid YAML/,
  },
  {
    what: 'duplicate key',
    yaml: 'version: 1\nname: web\nexternal: eth0\nname: web2\n',
    line: 4,
    col: 1,
    path: 'name',
    message: /duplicate key \(first given at line 2\)/,
  },
  { what: 'empty file', yaml: '', line: 1, col: 1, message: /empty policy/ },
  { what: 'a list instead of a mapping', yaml: '- version: 1\n', line: 1, message: /a policy is a mapping/ },
  { what: 'two YAML documents', yaml: `${HEAD}---\n${HEAD}`, line: 4, message: /one YAML document/ },
  {
    what: 'newline injection in the policy name',
    yaml: 'version: 1\nname: "web\\n-A INPUT -j ACCEPT"\nexternal: eth0\n',
    line: 2,
    col: 7,
    path: 'name',
    message: /control character \(\\n\)/,
  },
  {
    what: 'newline injection in a rule name (block scalar)',
    yaml: `${HEAD}allow:\n  - name: |\n      a\n      -A INPUT -j ACCEPT\n    proto: tcp\n    port: 80\n`,
    line: 5,
    col: 11,
    path: 'allow\\[0\\]\\.name',
    message: /control character \(\\n\)/,
  },
  {
    what: 'quote injection in a rule name',
    yaml: `${HEAD}allow:\n  - name: 'x" -j ACCEPT'\n    proto: tcp\n    port: 80\n`,
    line: 5,
    col: 11,
    path: 'allow\\[0\\]\\.name',
    message: /only letters, digits/,
  },
  {
    what: 'newline injection in an interface',
    yaml: 'version: 1\nname: web\nexternal: ["eth0\\n-A INPUT"]\n',
    line: 3,
    path: 'external(\\[0\\])?',
    message: /control character|whitespace/,
  },
  {
    what: 'unknown chain',
    yaml: `${HEAD}chain: FORWARD\n`,
    line: 4,
    col: 8,
    path: 'chain',
    message: /"DOCKER-USER" or "DOCKER"/,
  },
  {
    what: 'unknown protocol',
    yaml: `${HEAD}allow:\n  - name: a\n    proto: icmp\n    port: 80\n`,
    line: 6,
    path: 'allow\\[0\\]\\.proto',
    message: /tcp/,
  },
  {
    what: 'port and container_port together',
    yaml: `${HEAD}allow:\n  - name: a\n    proto: tcp\n    port: 80\n    container_port: 80\n`,
    line: 8,
    path: 'allow\\[0\\]\\.container_port',
    message: /not both/,
  },
  {
    what: '"any" mixed with other sources',
    yaml: `${HEAD}allow:\n  - name: a\n    proto: tcp\n    port: 80\n    from: [any, 10.0.0.0/8]\n`,
    line: 8,
    path: 'allow\\[0\\]\\.from\\[0\\]',
    message: /"any" cannot be combined/,
  },
  {
    what: '"any" in sources',
    yaml: `${HEAD}sources: [any]\n`,
    line: 4,
    path: 'sources\\[0\\]',
    message: /"any" is not allowed here/,
  },
  {
    what: 'YAML 1.1 boolean',
    yaml: `${HEAD}established: yes\n`,
    line: 4,
    col: 14,
    path: 'established',
    message: /YAML 1\.2 reads yes/,
  },
  { what: 'bad default', yaml: `${HEAD}default: accept\n`, line: 4, path: 'default', message: /"drop" or "reject"/ },
  {
    what: 'reserved rule name',
    yaml: `${HEAD}allow:\n  - name: default\n    proto: tcp\n    port: 80\n`,
    line: 5,
    path: 'allow\\[0\\]\\.name',
    message: /reserved/,
  },
  {
    what: 'unknown ipset type',
    yaml: `${HEAD}ipsets:\n  friends:\n    type: hash:foo\n`,
    line: 6,
    path: 'ipsets\\.friends\\.type',
    message: /unknown ipset type/,
  },
  {
    what: 'set name too long',
    yaml: `${HEAD}sources: [set:a-set-name-that-is-much-too-long-x]\n`,
    line: 4,
    path: 'sources\\[0\\]',
    message: /at most 31/,
  },
  {
    what: 'empty external list',
    yaml: 'version: 1\nname: web\nexternal: []\n',
    line: 3,
    path: 'external',
    message: /empty list/,
  },
];

const dir = mkdtempSync(join(tmpdir(), 'dfw-policy-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(file: string): Promise<{ status: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileP(process.execPath, [CLI, 'transform', DUMP, '--policy', file], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 30_000,
    });
    return { status: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number | string; stdout?: string; stderr?: string };
    if (typeof err.code !== 'number') throw e;
    return { status: err.code, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

describe('bad policies through the CLI: exit 2, FILE:LINE:COL: path: message, empty stdout', () => {
  it('has at least 15 cases', () => {
    expect(BAD.length).toBeGreaterThanOrEqual(15);
  });

  it.concurrent.each(BAD.map((b, i) => ({ ...b, file: `bad-${String(i).padStart(2, '0')}.yaml` })))(
    '$what',
    async (b) => {
      writeFileSync(join(dir, b.file), b.yaml);
      const r = await run(b.file);
      expect(r.stdout, 'nothing on stdout').toBe('');
      expect(r.status, r.stderr).toBe(2);
      const [first = '', source = '', caret = ''] = r.stderr.split('\n');
      const col = b.col === undefined ? '\\d+' : String(b.col);
      const path = b.path === undefined ? '' : `${b.path}: `;
      const head = new RegExp(`^${b.file.replace(/\./g, '\\.')}:${b.line}:(${col}): ${path}`);
      expect(first, `the first stderr line of:\n${r.stderr}`).toMatch(head);
      expect(first).toMatch(b.message);
      // The offending line and a caret under the column.
      const expectedSource = (b.yaml.split('\n')[b.line - 1] ?? '').replace(/\t/g, ' ');
      expect(source.trim(), 'the source line').toBe(expectedSource.trim());
      const column = Number(head.exec(first)![1]);
      expect(caret, 'the caret line').toBe(`  ${' '.repeat(column - 1)}^`);
    },
  );
});
