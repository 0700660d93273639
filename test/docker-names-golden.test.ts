// Containers by name, resolved from a docker inspect snapshot (issue 18): golden outputs from a
// real Docker host's snapshot and rules (fixtures/docker/, made by fixtures/gen/gen-containers.sh
// and gen-names.sh), the properties that make the rules survive a re-created container, and the
// bad snapshots and names, each refused with exit 2 and a message saying what is wrong and where.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readContainers } from '../src/docker/containers.js';
import { DfwSyntaxError } from '../src/errors.js';
import { loadPolicy } from '../src/policy/load.js';
import { resolveNames } from '../src/policy/names-resolve.js';
import { CLI, dfw } from './support/cli.js';
import { FIXTURES } from './support/fixtures.js';
import { scratch } from './support/scratch.js';

const DIR = join(FIXTURES, 'docker');
const read = (f: string) => readFileSync(join(DIR, f), 'utf8');
const SNAPSHOT = read('containers.json');
const POLICY = read('names/policy.yaml');
type Inspect = Record<string, unknown> & {
  Name: string;
  Config: { Labels: Record<string, string> };
  NetworkSettings: Record<string, unknown>;
};
const inspect = (): Inspect[] => JSON.parse(SNAPSHOT) as Inspect[];
const work = scratch('dfw-names-');

function run(args: string[], cwd = DIR) {
  return dfw(args, undefined, cwd);
}

describe('golden outputs from a real Docker 20.10 host', () => {
  it('transform v4 (noflush)', () => {
    const r = run([
      'transform',
      'host.v4',
      '--policy',
      'names/policy.yaml',
      '--containers',
      'containers.json',
      '--mode',
      'noflush',
    ]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(read('names/noflush.v4'));
  });
  it('transform v6 (noflush, --create-chain: 20.10 has no DOCKER-USER in ip6tables)', () => {
    const r = run([
      'transform',
      'host.v6',
      '--policy',
      'names/policy.yaml',
      '--containers',
      'containers.json',
      '--mode',
      'noflush',
      '--create-chain',
    ]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(read('names/noflush.v6'));
  });
  it('a snapshot older than the dump (a port no DNAT rule publishes): a warning, exit 0', () => {
    const dir = work.folder('stale');
    writeFileSync(join(dir, 'host.v4'), read('host.v4').replace('--dport 8080 -j DNAT', '--dport 8088 -j DNAT'));
    const r = run([
      'transform',
      join(dir, 'host.v4'),
      '--policy',
      'names/policy.yaml',
      '--containers',
      'containers.json',
      '--check',
    ]);
    expect(r.stderr).toContain(
      'allow rule web-friends: the --containers snapshot has tcp port 8080 published, no DNAT rule of the dump has: is the snapshot older than the dump?',
    );
    expect(r.status).toBe(1); // --check: the dump does not hold the policy's rules yet
  });
  it('nft', () => {
    const r = run(['nft', '--no-dump', '--policy', 'names-nft/policy.yaml', '--containers', 'containers.json']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(read('names-nft/nft.out'));
  });
  it('the rules match host ports and container ports, never a container address', () => {
    const out = read('names/noflush.v4') + read('names/noflush.v6');
    for (const c of inspect()) {
      const nets = c.NetworkSettings.Networks as Record<string, { IPAddress: string; GlobalIPv6Address: string }>;
      for (const n of Object.values(nets)) {
        expect(out).not.toContain(n.IPAddress);
        if (n.GlobalIPv6Address) expect(out).not.toContain(n.GlobalIPv6Address);
      }
    }
    // web publishes 8080 -> 80: the host port through conntrack, the container port after DNAT.
    expect(read('names/noflush.v4')).toContain(
      '-m set --match-set ipfriends src -m conntrack --ctorigdstport 8080 --ctdir ORIGINAL -m tcp --dport 80 -j RETURN',
    );
    // ssh is published on 192.0.2.1 only: the rule says so.
    expect(read('names/noflush.v4')).toContain(
      '--ctorigdst 192.0.2.1 --ctorigdstport 2222 --ctdir ORIGINAL -m tcp --dport 22',
    );
    expect(read('names/noflush.v6')).not.toContain('2222');
  });
});

describe('resolution properties', () => {
  const policy = loadPolicy(POLICY, 'policy.yaml');
  const resolve = (text: string) => resolveNames(policy, readContainers(text, 'containers.json')).allow;

  it('a re-created container (new id and addresses, same published ports) gives the same rules', () => {
    const again = inspect().map((c) => {
      if (c.Name !== '/web') return c;
      const nets = c.NetworkSettings.Networks as Record<string, Record<string, string>>;
      const bridge = { ...nets.bridge!, IPAddress: '172.17.0.99', GlobalIPv6Address: 'fd00:17::99' };
      return { ...c, Id: 'f'.repeat(64), NetworkSettings: { ...c.NetworkSettings, Networks: { bridge } } };
    });
    expect(resolve(JSON.stringify(again))).toEqual(resolve(SNAPSHOT));
  });
  it("the snapshot's order (docker ps lists the newest first) does not change the rules", () => {
    expect(resolve(JSON.stringify(inspect().reverse()))).toEqual(resolve(SNAPSHOT));
  });
  it('a label selects every container that has it; a service of one project, every replica', () => {
    const allow = resolve(SNAPSHOT);
    const ports = (name: string) =>
      allow.find((a) => a.name === name)!.published!.map((t) => `${t.family}:${t.hostPort}->${t.containerPort}`);
    expect(ports('front')).toEqual(['4:8081->80', '4:8082->80', '6:8081->80', '6:8082->80']);
    expect(ports('shop-web')).toEqual(['4:9080->80', '4:9081->80', '6:9080->80', '6:9081->80']);
    expect(ports('ssh')).toEqual(['4:2222->22']);
    expect(allow.find((a) => a.name === 'ssh')!.published![0]!.hostIp).toBe('192.0.2.1');
  });
  it('reads what docker inspect says about a container', () => {
    const web = readContainers(SNAPSHOT, 'c.json').containers.find((c) => c.name === 'web')!;
    expect(web.ports).toEqual([
      {
        proto: 'tcp',
        port: 80,
        bindings: [
          { hostIp: '0.0.0.0', hostPort: 8080 },
          { hostIp: '::', hostPort: 8080 },
        ],
      },
    ]);
    expect(web.addresses[4]).toHaveLength(1);
    expect(web.addresses[6]).toHaveLength(1);
  });
  it('snapshot errors carry the line and column of the bad value', () => {
    const bad = SNAPSHOT.replaceAll('"HostPort": "8080"', '"HostPort": "80a"');
    try {
      readContainers(bad, 'c.json');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DfwSyntaxError);
      const err = e as DfwSyntaxError;
      expect(err.source).toContain('"HostPort": "80a"');
      expect(bad.split('\n')[err.line - 1]).toBe(err.source);
      expect(err.source.indexOf('"80a"')).toBe(err.column - 1);
      expect(err.reason).toMatch(/^\[\d+\]\.NetworkSettings\.Ports\["80\/tcp"\]\[0\]\.HostPort: "80a" is not a port/);
    }
  });
});

/** The snapshot with one container's inspect object changed. */
function edited(name: string, edit: (c: Inspect) => unknown): string {
  return JSON.stringify(
    inspect().map((c) => (c.Name === `/${name}` ? edit(c) : c)),
    null,
    2,
  );
}

const rule = (lines: string) => `version: 1\nname: t\nexternal: [eth0]\nallow:\n${lines}`;

interface BadCase {
  name: string;
  snapshot?: string;
  policy?: string;
  args?: string[];
  message: RegExp;
}

const BAD: BadCase[] = [
  {
    name: 'an empty file (docker ps -q listed nothing)',
    snapshot: '',
    message: /containers\.json:1:1: empty: expected the JSON array docker inspect prints/,
  },
  { name: 'not JSON', snapshot: '[{"Id": "a",\n  "Name": /web}]', message: /containers\.json:2:\d+: invalid JSON/ },
  {
    name: 'a JSON object, not the inspect array',
    snapshot: JSON.stringify(inspect()[0]),
    message: /found an object \(one container as an object: docker inspect --format/,
  },
  {
    name: 'a list of strings (docker ps -q output as JSON)',
    snapshot: '["a1b2c3"]',
    message: /\[0\]: expected a container \(an object, as docker inspect prints\), found the string "a1b2c3"/,
  },
  {
    name: 'an image, not a container',
    snapshot: JSON.stringify([{ Id: 'sha256:1', RepoTags: ['bb:1'] }]),
    message: /\[0\]: this is an image, not a container \(it has RepoTags\)/,
  },
  {
    name: 'a network, not a container',
    snapshot: JSON.stringify([{ Id: 'n', Name: 'bridge', IPAM: {} }]),
    message: /\[0\]: this is a network, not a container/,
  },
  {
    name: 'no Name',
    snapshot: edited('web', ({ Name: _n, ...rest }) => rest),
    message: /\[\d+\]\.Name: expected the container name \(a string such as "\/web"\), found nothing/,
  },
  {
    name: 'a port key that is not PORT/PROTO',
    snapshot: edited('web', (c) => ({ ...c, NetworkSettings: { ...c.NetworkSettings, Ports: { '80': null } } })),
    message: /\.NetworkSettings\.Ports\["80"\]: "80" is not a container port as Docker writes it/,
  },
  {
    name: 'a host port out of range',
    snapshot: SNAPSHOT.replaceAll('"HostPort": "8080"', '"HostPort": "70000"'),
    message: /HostPort: "70000" is not a port \(1-65535\)/,
  },
  {
    name: 'a host address that is not one',
    snapshot: SNAPSHOT.replaceAll('"HostIp": "192.0.2.1"', '"HostIp": "localhost"'),
    message: /HostIp: "localhost" is not an IPv4 or IPv6 address/,
  },
  {
    name: 'a label value that is not a string',
    snapshot: edited('api', (c) => ({ ...c, Config: { ...c.Config, Labels: { 'com.example.role': 1 } } })),
    message: /\.Config\.Labels\["com\.example\.role"\]: expected a label value \(a string\), found the number 1/,
  },
  {
    name: 'a container address that is not one',
    snapshot: SNAPSHOT.replace(/"IPAddress": "172\.17\.0\.2"/g, '"IPAddress": "172.17.0.300"'),
    message: /IPAddress: "172\.17\.0\.300" is not an IPv4 address/,
  },
  {
    name: 'two snapshots put together (a name twice)',
    snapshot: JSON.stringify([...inspect(), { ...inspect()[0], Id: 'x' }]),
    message: /\[10\]\.Name: two containers are named "worker" \(\[0\] and \[10\]\)/,
  },
  {
    name: 'a container listed twice',
    snapshot: JSON.stringify([...inspect(), inspect()[1]]),
    message: /\[10\]\.Id: container "ssh" is listed twice \(also \[1\]\)/,
  },
  {
    name: 'a container name not in the snapshot',
    policy: rule('  - {proto: tcp, container: wbe}\n'),
    message:
      /policy\.yaml:5:\d+: allow\[0\]\.container: no container named "wbe" in containers\.json; it has: admin, api, blog-web-1, dns, shop-db-1, shop-web-1, shop-web-2, ssh, web, worker/,
  },
  {
    name: 'a service in two projects when one was expected',
    policy: rule('  - {proto: tcp, service: web}\n'),
    message:
      /allow\[0\]\.service: compose service "web" runs in 2 projects in containers\.json \(blog, shop\): add project: NAME/,
  },
  {
    name: 'a service not in the snapshot',
    policy: rule('  - {proto: tcp, service: cache}\n'),
    message:
      /no container of service "cache" in containers\.json \(label com\.docker\.compose\.service\); compose services there: db \(project shop\), web \(project blog\), web \(project shop\)/,
  },
  {
    name: 'a label value no container has',
    policy: rule('  - {proto: tcp, label: com.example.role=back}\n'),
    message:
      /allow\[0\]\.label: no container has the label "com\.example\.role=back" in containers\.json; its values there: com\.example\.role=front/,
  },
  {
    name: 'a port the container does not publish',
    policy: rule('  - {proto: tcp, container: web, port: 8443}\n'),
    message: /allow\[0\]\.port(\[0\])?: container "web" publishes no tcp host port 8443; published: web 8080->80\/tcp/,
  },
  {
    name: 'a container port that is not published',
    policy: rule('  - {proto: tcp, container: api, container_port: [80, 22]}\n'),
    message:
      /allow\[0\]\.container_port\[1\]: container "api" has no published tcp container port 22; published: api 8443->443\/tcp, 8081->80\/tcp/,
  },
  {
    name: 'a container that publishes nothing',
    policy: rule('  - {proto: tcp, container: worker}\n'),
    message:
      /allow\[0\]\.container: container "worker" publishes no tcp port on an address it has; published: worker publishes nothing/,
  },
  {
    name: 'names and no snapshot',
    policy: rule('  - {proto: tcp, container: web}\n'),
    args: [],
    message:
      /allow\[0\]\.container: container "web" is resolved from a snapshot of the running containers: save one with docker inspect \$\(docker ps -q\) > containers\.json and give it with --containers containers\.json/,
  },
  {
    name: 'a container and a service in one rule',
    policy: rule('  - {proto: tcp, container: web, service: web}\n'),
    message: /allow\[0\]\.service: give one of container, service or label, not container and service/,
  },
  {
    name: 'project without service',
    policy: rule('  - {proto: tcp, container: web, project: shop}\n'),
    message: /allow\[0\]\.project: project narrows a compose service: it goes with service: NAME/,
  },
  {
    name: 'a label without =',
    policy: rule('  - {proto: tcp, label: role}\n'),
    message: /allow\[0\]\.label: "role": expected KEY=VALUE/,
  },
  {
    name: 'to with a name',
    policy: rule('  - {proto: tcp, container: web, to: 172.17.0.2}\n'),
    message:
      /allow\[0\]\.to: to \(container addresses\) does not go with container: the --containers snapshot gives the addresses/,
  },
  {
    name: 'a container name Docker would not take',
    policy: rule('  - {proto: tcp, container: "/web"}\n'),
    message: /allow\[0\]\.container: "\/web" is not a container name/,
  },
];

function runAsync(args: string[], cwd: string): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ status: code, stdout, stderr });
    });
  });
}

const BUNDLED = new Set(['not JSON', 'a container name not in the snapshot', 'names and no snapshot']);

describe('bad snapshots and names: exit 2, a clear message, nothing on stdout', () => {
  it(`has at least 12 cases (${BAD.length})`, () => expect(BAD.length).toBeGreaterThanOrEqual(12));
  for (const c of BAD) {
    // Concurrent: each case is a few CLI processes, mostly waiting for Node to start.
    it.concurrent(c.name, async () => {
      const dir = work.folder('bad');
      writeFileSync(join(dir, 'containers.json'), c.snapshot ?? SNAPSHOT);
      writeFileSync(join(dir, 'policy.yaml'), c.policy ?? POLICY);
      writeFileSync(join(dir, 'host.v4'), read('host.v4'));
      const args = c.args ?? ['--containers', 'containers.json'];
      // bundle too for a few (one process takes about a second on a loaded machine).
      const commands = [['transform', 'host.v4', '--policy', 'policy.yaml', ...args]];
      if (BUNDLED.has(c.name)) commands.push(['bundle', '--policy', 'policy.yaml', '--out', 'out', ...args]);
      for (const cmd of commands) {
        const r = await runAsync(cmd, dir);
        expect(r.stdout, cmd.join(' ')).toBe('');
        expect(r.stderr, cmd.join(' ')).toMatch(c.message);
        expect(r.status, cmd.join(' ')).toBe(2);
      }
    });
  }
});
