// The shell examples of README.md (section Workflows), run as written (bash -e -o pipefail,
// with `dfw` on PATH) in a network namespace holding a Docker-like ruleset: the pipe, the CI
// golden-file check, the classic hand-made recipe and the move from it to DOCKER-USER. Each block
// the file marks `<!-- tested: ID -->` is found here by its ID. The one change: `/etc/dfw` becomes a
// temporary folder, so that the test never writes to this machine's /etc.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dockerRuleset, FAMILIES } from './lab/topology.js';
import { CLI } from './support/cli.js';
import { ROOT } from './support/fixtures.js';
import { describeNetns, Netns } from './support/netns.js';

const DOC = join(ROOT, 'README.md');

/** The fenced blocks that follow a `<!-- tested: ID -->` line, by ID. */
export function testedBlocks(markdown: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /^<!-- tested: ([\w-]+) -->\n```\w*\n([\s\S]*?)^```$/gm;
  for (let m = re.exec(markdown); m !== null; m = re.exec(markdown)) out.set(m[1]!, m[2]!);
  return out;
}

const BLOCKS = testedBlocks(readFileSync(DOC, 'utf8'));

it('README.md marks the examples this file runs', () => {
  expect([...BLOCKS.keys()].sort()).toEqual(['ci', 'ci-live', 'classic', 'migrate', 'pipe', 'policy']);
});

const TOOLS = ['iptables', 'iptables-save', 'iptables-restore', 'ip6tables-save', 'ip6tables-restore', 'ipset', 'bash'];

describeNetns(
  'README.md examples, run as written in a namespace (default iptables variant)',
  () => {
    let work = '';
    let ns: Netns | undefined;

    /** Runs an example with bash -e -o pipefail in the namespace, in the work folder, dfw on PATH. */
    function run(
      id: string,
      edit: (code: string) => string = (c) => c,
    ): { status: number; stdout: string; stderr: string } {
      const block = BLOCKS.get(id);
      if (block === undefined) throw new Error(`no block ${id} in ${DOC}`);
      const code = edit(block).replaceAll('/etc/dfw', join(work, 'etc-dfw'));
      const r = spawnSync('ip', ['netns', 'exec', ns!.name, 'bash', '-e', '-o', 'pipefail', '-c', code], {
        cwd: work,
        env: { ...process.env, PATH: `${join(work, 'bin')}:${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}` },
        encoding: 'utf8',
        timeout: 60_000,
      });
      return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
    }

    function sh(cmd: string): string {
      const r = spawnSync('ip', ['netns', 'exec', ns!.name, 'bash', '-c', cmd], {
        cwd: work,
        encoding: 'utf8',
        timeout: 30_000,
      });
      if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr}`);
      return r.stdout;
    }

    /** A fresh namespace with Docker's ruleset, loaded with the default variant (what `iptables` is). */
    function freshHost(): void {
      ns?.delete();
      ns = Netns.create('docs');
      for (const f of FAMILIES) sh(`${f === 4 ? 'iptables' : 'ip6tables'}-restore <<'EOF'\n${dockerRuleset(f)}EOF`);
    }

    beforeAll(() => {
      work = mkdtempSync(join(tmpdir(), 'dfw-docs-'));
      mkdirSync(join(work, 'bin'));
      writeFileSync(join(work, 'bin', 'dfw'), `#!/bin/sh\nexec '${process.execPath}' '${CLI}' "$@"\n`);
      chmodSync(join(work, 'bin', 'dfw'), 0o755);
      writeFileSync(join(work, 'dfw.yaml'), BLOCKS.get('policy')!);
      freshHost();
    });
    afterAll(() => {
      ns?.delete();
      if (work) rmSync(work, { recursive: true, force: true });
    });

    it('the pipe: sets, IPv4 and IPv6 rules applied; both --check lines exit 0; again, nothing changes', () => {
      const r = run('pipe');
      expect(r.status, r.stderr).toBe(0);
      for (const cmd of ['iptables', 'ip6tables']) {
        expect(sh(`${cmd} -S DOCKER-USER`)).toMatch(
          /^-A DOCKER-USER -m comment --comment "?dfw:web:jump"? -j DFW-web$/m,
        );
        const rules = sh(`${cmd} -S DFW-web`);
        expect(rules).toMatch(/dfw:web:http/);
        expect(rules).toMatch(/dfw:web:default" -j DROP/);
      }
      expect(sh('ipset save')).toMatch(/^add ipfriends 203\.0\.113\.7$/m);
      const before = sh('iptables-save | grep -v "^#"');
      expect(run('pipe').status).toBe(0);
      expect(sh('iptables-save | grep -v "^#"').replace(/\[\d+:\d+\]/g, '')).toBe(before.replace(/\[\d+:\d+\]/g, ''));
    });

    it('golden files in CI: 0 when current, 1 with the message when a file was edited, 2 for a broken policy; the live dump check exits 0', () => {
      mkdirSync(join(work, 'policies'), { recursive: true });
      cpSync(join(work, 'dfw.yaml'), join(work, 'policies', 'web.yaml'));
      sh(`PATH=${join(work, 'bin')}:$PATH dfw bundle --policy policies/web.yaml --out hosts/web`);
      const ok = run('ci');
      expect(ok.status, ok.stderr).toBe(0);
      expect(ok.stdout).toBe('hosts/web is current\n');

      const rules = join(work, 'hosts', 'web', 'rules.v4');
      const good = readFileSync(rules, 'utf8');
      writeFileSync(rules, good.replace('-j DROP', '-j ACCEPT'));
      const stale = run('ci');
      expect(stale.status).toBe(1);
      expect(stale.stdout).toBe('hosts/web/rules.v4\n');
      expect(stale.stderr).toMatch(/^\+.*-j DROP$/m);
      expect(stale.stderr).toMatch(/hosts\/web is out of date/);
      writeFileSync(rules, good);

      const policy = readFileSync(join(work, 'policies', 'web.yaml'), 'utf8');
      writeFileSync(join(work, 'policies', 'web.yaml'), policy.replace('default: drop', 'default: maybe'));
      const broken = run('ci');
      expect(broken.status).toBe(2);
      expect(broken.stderr).toMatch(/policies\/web\.yaml:\d+:\d+: default/);
      writeFileSync(join(work, 'policies', 'web.yaml'), policy);

      const live = run('ci-live');
      expect(live.status, live.stderr).toBe(0);
    });

    it('moving from the classic recipe: the hand-made DOCKER rules go, the policy is in its own chain, --check exits 0', () => {
      freshHost();
      const classic = run('classic');
      expect(classic.status, classic.stderr).toBe(0);
      expect(
        sh('iptables -S DOCKER')
          .split('\n')
          .filter((l) => l.includes('-i eth0')),
      ).toHaveLength(4);

      const r = run('migrate');
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout.split('\n').filter((l) => l.startsWith('-D DOCKER -i eth0 '))).toHaveLength(4);
      expect(sh('iptables -S DOCKER')).not.toMatch(/-i eth0/);
      expect(sh('iptables -S DOCKER')).toMatch(/-j ACCEPT/); // Docker's own rules stay
      expect(sh('iptables -S DFW-web')).toMatch(/dfw:web:sources/);
      expect(sh('iptables -S DOCKER-USER')).toMatch(/-j DFW-web/);
      expect(sh('ipset save')).toMatch(/^add ipfriends 198\.51\.100\.22$/m);
    });
  },
  TOOLS,
);
