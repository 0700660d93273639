// The dfw CLI as a user runs it, piped between the real save and restore tools of the lab host;
// the lab's policy; and hand-written rules equal to what dfw should generate (lab self-check only).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FAMILIES, LAB, type Family, type Lab } from './topology.js';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = join(REPO, 'dist', 'dfw.cjs');

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs `node dist/dfw.cjs ARGS` with an optional stdin (bounded: 60 s). */
export function dfw(args: string[], input?: string): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    input,
    encoding: 'utf8',
    timeout: 60_000,
    maxBuffer: 256 * 1024 * 1024,
    cwd: REPO,
  });
  return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? (r.error ? String(r.error) : '') };
}

/** Why the CLI cannot run the lab's commands yet (undefined when it can). */
export function cliUnavailable(): string | undefined {
  if (!existsSync(CLI)) return `${CLI} does not exist (run npm run build)`;
  for (const cmd of ['transform', 'strip', 'ipset']) {
    // yargs answers --help for an unknown command with the main help (exit 0): look for the command's own.
    const r = dfw([cmd, '--help']);
    const first = r.stdout.trim().split('\n')[0] ?? '';
    if (r.status !== 0 || !first.startsWith(`dfw ${cmd}`) || !r.stdout.includes('--policy'))
      return `\`dfw ${cmd} --help\` does not show the ${cmd} command (exit ${r.status}): ${(r.stderr || first).trim().split('\n')[0]}`;
  }
  return undefined;
}

/** Like dfw(), asynchronous, so that the IPv4 and IPv6 pipelines run side by side. */
export function dfwAsync(args: string[], input?: string): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (e) => {
      clearTimeout(killer);
      resolve({ status: -1, stdout, stderr: stderr + String(e) });
    });
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ status: code ?? -1, stdout, stderr });
    });
    child.stdin.on('error', () => {}); // EPIPE when the CLI exits without reading its input
    child.stdin.end(input ?? '');
  });
}

async function mustDfw(args: string[], input: string | undefined, what: string): Promise<string> {
  const r = await dfwAsync(args, input);
  if (r.status !== 0) throw new Error(`dfw ${args.join(' ')} (${what}) exited ${r.status}:\n${r.stderr}`);
  return r.stdout;
}

export interface PolicyOpts {
  chain?: 'DOCKER-USER' | 'DOCKER';
  established?: boolean;
  default?: 'drop' | 'reject';
}

export const POLICY_NAME = 'lab';

/**
 * The lab's policy (YAML):
 * - https: published port 8443 open to anyone;
 * - ssh: published port 2222 from the CIDRs 198.51.100.0/24 and 2001:db8:2::/64 only;
 * - c2web: container port 80 of c2 only (so host port 9090; not 8080, which is c1:80, nor 5432,
 *   which is c2:5432) from 192.0.2.20 / 2001:db8:1::20;
 * - sources: the sets ipfriends (inet) and ipfriends6 (inet6) reach everything;
 * - the rest of eth0's traffic: drop or reject.
 */
export function policyYaml(o: PolicyOpts = {}): string {
  const { c2 } = LAB.containers;
  return `# dfw lab policy (written by test/lab-docker.test.ts)
version: 1
name: ${POLICY_NAME}
chain: ${o.chain ?? 'DOCKER-USER'}
external: [eth0]
established: ${o.established ?? true}
allow:
  - name: https
    proto: tcp
    port: 8443
    from: any
  - name: ssh
    proto: tcp
    port: 2222
    from: [198.51.100.0/24, "2001:db8:2::/64"]
  - name: c2web
    proto: tcp
    container_port: 80
    to: [${c2[4]}, "${c2[6]}"]
    from: [192.0.2.20, "2001:db8:1::20"]
sources: [set:ipfriends, set:ipfriends6]
default: ${o.default ?? 'drop'}
ipsets:
  ipfriends:
    type: hash:ip
    family: inet
    entries: [192.0.2.10]
  ipfriends6:
    type: hash:ip
    family: inet6
    entries: ["2001:db8:1::10"]
`;
}

export function writePolicy(dir: string, file: string, o: PolicyOpts = {}): string {
  const p = join(dir, file);
  writeFileSync(p, policyYaml(o));
  return p;
}

// ---- the pipelines a user runs ----------------------------------------------------------------

/** `ipset save | dfw ipset - --policy P | ipset restore` in the host namespace. */
export async function applyIpsets(lab: Lab, policy: string): Promise<string> {
  const out = await mustDfw(['ipset', '-', '--policy', policy], lab.ipsetSave(), 'ipset');
  lab.ipsetRestore(out);
  return out;
}

/** `iptables-save | dfw transform --policy P [--mode noflush] | iptables-restore [--noflush]`. */
export async function applyTransform(
  lab: Lab,
  f: Family,
  policy: string,
  mode: 'full' | 'noflush' = 'full',
): Promise<string> {
  const args = ['transform', '--policy', policy, ...(mode === 'noflush' ? ['--mode', 'noflush'] : [])];
  const out = await mustDfw(args, lab.save(f), `transform IPv${f}`);
  lab.restore(f, out, { noflush: mode === 'noflush' });
  return out;
}

/** applyTransform for IPv4 and IPv6 side by side. */
export async function applyTransformBoth(lab: Lab, policy: string, mode: 'full' | 'noflush' = 'full'): Promise<void> {
  await Promise.all(FAMILIES.map((f) => applyTransform(lab, f, policy, mode)));
}

/** `iptables-save | dfw strip --policy P | iptables-restore`, both families. */
export async function applyStrip(lab: Lab, policy: string): Promise<void> {
  await Promise.all(
    FAMILIES.map(async (f) => {
      const out = await mustDfw(['strip', '--policy', policy], lab.save(f), `strip IPv${f}`);
      lab.restore(f, out);
    }),
  );
}

/**
 * `iptables-save | dfw transform --policy P --check`, both families: the failures, as
 * readable strings (empty when both exit 0).
 */
export async function checkBoth(lab: Lab, policy: string): Promise<string[]> {
  const rs = await Promise.all(
    FAMILIES.map((f) => dfwAsync(['transform', '--policy', policy, '--check'], lab.save(f))),
  );
  return rs.flatMap((r, i) => (r.status === 0 ? [] : [`IPv${FAMILIES[i]}: --check exited ${r.status}: ${r.stderr}`]));
}

/** `ipset save | dfw ipset - --policy P --check`: the failure as a readable string, or undefined. */
export async function checkIpsets(lab: Lab, policy: string): Promise<string | undefined> {
  const r = await dfwAsync(['ipset', '-', '--policy', policy, '--check'], lab.ipsetSave());
  return r.status === 0 ? undefined : `dfw ipset --check exited ${r.status}: ${r.stderr}`;
}

/** Applies the policy to both families the way a user does: sets first, then the rules. */
export async function applyPolicy(lab: Lab, policy: string, mode: 'full' | 'noflush' = 'full'): Promise<void> {
  await applyIpsets(lab, policy);
  await applyTransformBoth(lab, policy, mode);
}

// ---- hand-written equivalent (lab self-check only; the real tests use the CLI) ------------------

const HOST_LEN: Record<Family, string> = { 4: '/32', 6: '/128' };

/** What docs/design.md#what-the-policy-generates says dfw generates for the lab policy, in iptables-save form. */
export function handWrittenRules(f: Family, o: PolicyOpts = {}): string[] {
  const chain = o.chain ?? 'DOCKER-USER';
  const pass = chain === 'DOCKER-USER' ? 'RETURN' : 'ACCEPT';
  const tag = (rule: string) => `-m comment --comment "dfw:${POLICY_NAME}:${rule}"`;
  const ssh = f === 4 ? '198.51.100.0/24' : '2001:db8:2::/64';
  const c2webFrom = f === 4 ? '192.0.2.20' : '2001:db8:1::20';
  const set = f === 4 ? 'ipfriends' : 'ipfriends6';
  const deny =
    (o.default ?? 'drop') === 'drop'
      ? 'DROP'
      : `REJECT --reject-with ${f === 4 ? 'icmp-port-unreachable' : 'icmp6-port-unreachable'}`;
  const rules = [
    ...((o.established ?? true)
      ? [`-i eth0 -m conntrack --ctstate RELATED,ESTABLISHED ${tag('established')} -j ${pass}`]
      : []),
    `-i eth0 -p tcp -m conntrack --ctorigdstport 8443 --ctdir ORIGINAL ${tag('https')} -j ${pass}`,
    `-s ${ssh} -i eth0 -p tcp -m conntrack --ctorigdstport 2222 --ctdir ORIGINAL ${tag('ssh')} -j ${pass}`,
    `-s ${c2webFrom}${HOST_LEN[f]} -d ${LAB.containers.c2[f]}${HOST_LEN[f]} -i eth0 -p tcp -m tcp --dport 80 ${tag('c2web')} -j ${pass}`,
    `-i eth0 -m set --match-set ${set} src ${tag('sources')} -j ${pass}`,
    `-i eth0 ${tag('default')} -j ${deny}`,
  ];
  return rules.map((r) => `-A ${chain} ${r}`);
}

/** Loads the sets and the hand-written rules (DOCKER-USER: flushed and filled; DOCKER: inserted at the top). */
export function applyHandWritten(lab: Lab, o: PolicyOpts = {}): void {
  lab.ipsetRestore(
    [
      'create ipfriends hash:ip family inet -exist',
      'add ipfriends 192.0.2.10 -exist',
      'create ipfriends6 hash:ip family inet6 -exist',
      'add ipfriends6 2001:db8:1::10 -exist',
      '',
    ].join('\n'),
  );
  for (const f of FAMILIES) {
    const rules = handWrittenRules(f, o);
    const body =
      (o.chain ?? 'DOCKER-USER') === 'DOCKER-USER'
        ? [':DOCKER-USER - [0:0]', ...rules]
        : rules.map((r, i) => r.replace(/^-A DOCKER /, `-I DOCKER ${i + 1} `));
    lab.restore(f, ['*filter', ...body, 'COMMIT', ''].join('\n'), { noflush: true });
  }
}
