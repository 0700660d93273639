// A real Docker daemon (Debian's docker.io, 20.10) in a network namespace, for the tests that prove
// dfw against what Docker itself writes (issue 18's recipe):
//
//   CLIENT ns (dfwt-…-dk-client)               HOST ns (dfwt-…-dk-host): dockerd, docker0 172.17.0.1/16, fd00:17::1/64
//   eth0 203.0.113.7    friend (set ipfriends)  ── eth0 192.0.2.1/24 198.51.100.1/24 203.0.113.1/24
//        198.51.100.22  friend2 (ipfriends)           2001:db8:1::1/64
//        203.0.113.66   stranger
//        2001:db8:1::7  friend6, 2001:db8:1::66 stranger6
//
// dockerd is entered with `nsenter --net` (`ip netns exec` remounts /sys, and dockerd then finds no
// cgroups), with its own --data-root, --exec-root, --pidfile and socket under one scratch folder,
// vfs storage, no userland proxy. Its `iptables` is the chosen variant: a folder of links to the
// -nft or -legacy tools first on its PATH (update-alternatives would change the whole machine).
// Its xtables lock is a file of its own, so legacy runs never queue behind other tests.
// The image `bb:1` is made from the static busybox with `docker import` (no registry).
//
// stop() and destroy() leave nothing: containers removed, dockerd (and its containerd) gone,
// the mounts it made under the folder unmounted, namespaces deleted by name, the folder removed;
// leftovers() says what is left, for the tests to assert on.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  symlinkSync,
  copyFileSync,
  writeFileSync,
  readdirSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'vitest';
import { inCI, Netns, netnsUnavailable, type RunResult } from './netns.js';

export type Variant = 'nft' | 'legacy';
export type Family = 4 | 6;

export const DOCKERD = '/usr/sbin/dockerd';
/** Debian's client, matching the daemon (a newer one in /usr/local/bin may not talk to 20.10). */
export const DOCKER = '/usr/bin/docker';
export const BUSYBOX = '/bin/busybox';
export const IMAGE = 'bb:1';
/** The ULA Docker numbers containers from on IPv6 (--fixed-cidr-v6). */
export const V6_CIDR = 'fd00:17::/64';

export const DK = {
  hostExt: { 4: ['192.0.2.1/24', '198.51.100.1/24', '203.0.113.1/24'], 6: ['2001:db8:1::1/64'] },
  hostAddr: { 4: '192.0.2.1', 6: '2001:db8:1::1' } as Record<Family, string>,
  clients: {
    friend: { 4: '203.0.113.7', 6: '2001:db8:1::7' },
    friend2: { 4: '198.51.100.22', 6: '2001:db8:1::22' },
    stranger: { 4: '203.0.113.66', 6: '2001:db8:1::66' },
  } as Record<'friend' | 'friend2' | 'stranger', Record<Family, string>>,
  /** the client's own server, for the containers' outgoing connections */
  clientPort: 9000,
};

function has(path: string): boolean {
  return existsSync(path);
}

/** Why dockerd cannot run here, or undefined when it can. */
export function dockerdUnavailable(): string | undefined {
  const ns = netnsUnavailable(['iptables-save', 'iptables-restore', 'nsenter', 'ipset']);
  if (ns !== undefined) return ns;
  for (const p of [DOCKERD, DOCKER, BUSYBOX, '/usr/bin/containerd', '/usr/sbin/runc'])
    if (!has(p) && !(p.endsWith('runc') && has('/usr/bin/runc')))
      return `${p} is not installed (apt-get install docker.io busybox-static)`;
  const ldd = spawnSync('ldd', [BUSYBOX], { encoding: 'utf8' });
  if (!`${ldd.stdout}${ldd.stderr}`.includes('not a dynamic executable'))
    return `${BUSYBOX} is not static (install busybox-static): the image has no libraries`;
  return undefined;
}

/** A describe block for real-daemon tests: skipped with the reason where dockerd cannot run, failing in CI. */
export function describeDocker(name: string, fn: () => void): void {
  const reason = dockerdUnavailable();
  if (reason === undefined) describe(name, fn);
  else if (inCI)
    describe(name, () => {
      throw new Error(`real Docker tests cannot run in CI: ${reason}`);
    });
  else {
    console.warn(`SKIPPED ${name}: ${reason}`);
    describe.skip(`${name} (skipped: ${reason})`, fn);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Processes whose command line mentions `dir` (dockerd, its containerd, shims). */
function processesUnder(dir: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const cmd = readFileSync(`/proc/${e}/cmdline`, 'utf8');
      if (cmd.includes(dir)) out.push(Number(e));
    } catch {
      /* gone */
    }
  }
  return out;
}

/** Mount points under `dir`, deepest first (/proc/mounts escapes blanks as \040). */
export function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((l) => (l.split(' ')[1] ?? '').replace(/\\040/g, ' '))
    .filter((m) => m === dir || m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

/**
 * A container command answering one line `banner` on each connection to `port` (busybox nc,
 * persistent). PID 1 of a container ignores the signals it has no handler for: the trap lets a
 * stop (dockerd's own, when it stops) end it at once instead of after a timeout.
 */
export function serveCommand(banner: string, port: number): string[] {
  return ['sh', '-c', `trap 'exit 0' TERM; nc -ll -p ${port} -e echo ${banner} & wait`];
}

export interface DockerHostOptions {
  variant: Variant;
  /** --ipv6 --ip6tables --experimental --fixed-cidr-v6 fd00:17::/64 */
  ipv6: boolean;
  /** a short word for the namespace names */
  label: string;
}

export class DockerHost {
  readonly dir: string;
  readonly host: Netns;
  readonly client: Netns;
  private daemon: ChildProcess | undefined;
  private exitHook = () => this.killNow();
  private destroyed = false;

  private constructor(
    readonly options: DockerHostOptions,
    dir: string,
    host: Netns,
    client: Netns,
  ) {
    this.dir = dir;
    this.host = host;
    this.client = client;
  }

  /** The namespaces, links, addresses, the variant's PATH folder and the image folder; dockerd not started yet. */
  static create(options: DockerHostOptions): DockerHost {
    const dir = mkdtempSync(join(tmpdir(), `dfw-dk-${options.label}-`));
    const made: Netns[] = [];
    try {
      const mk = (role: string) => {
        const ns = Netns.create(`dk-${options.label}-${role}`);
        made.push(ns);
        ns.ok('sysctl', ['-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0']);
        return ns;
      };
      const host = mk('host');
      const client = mk('client');
      host.ok('sysctl', ['-qw', 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1']);
      host.ok(
        'ip',
        ['-batch', '-'],
        [
          `link add eth0 type veth peer name eth0 netns ${client.name}`,
          ...DK.hostExt[4].map((a) => `addr add ${a} dev eth0`),
          ...DK.hostExt[6].map((a) => `addr add ${a} dev eth0 nodad`),
          'link set eth0 up',
          '',
        ].join('\n'),
      );
      client.ok(
        'ip',
        ['-batch', '-'],
        [
          ...Object.values(DK.clients).flatMap((c) => [
            `addr add ${c[4]}/24 dev eth0`,
            `addr add ${c[6]}/64 dev eth0 nodad`,
          ]),
          'link set eth0 up',
          // The clients' own networks are on-link; the host's address 192.0.2.1 is reached the same way.
          'route add 192.0.2.0/24 dev eth0',
          '',
        ].join('\n'),
      );
      const h = new DockerHost(options, dir, host, client);
      h.makeToolFolder();
      h.makeImageFolder();
      return h;
    } catch (e) {
      for (const ns of made) ns.delete();
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }

  get sock(): string {
    return join(this.dir, 'docker.sock');
  }

  get lockFile(): string {
    return join(this.dir, 'xtables.lock');
  }

  /** PATH for dockerd and for every command the tests run in the host: the variant's iptables first. */
  get path(): string {
    return `${join(this.dir, 'bin')}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`;
  }

  private makeToolFolder(): void {
    const bin = join(this.dir, 'bin');
    mkdirSync(bin);
    for (const fam of ['iptables', 'ip6tables'])
      for (const suffix of ['', '-save', '-restore'])
        symlinkSync(`/usr/sbin/${fam}-${this.options.variant}${suffix}`, join(bin, `${fam}${suffix}`));
    // The bundle's units name one folder for ipset and the iptables tools (--sbin-dir).
    symlinkSync('/usr/sbin/ipset', join(bin, 'ipset'));
    // README blocks run `docker`: Debian's client, talking to this daemon (DOCKER_HOST in sh()).
    symlinkSync(DOCKER, join(bin, 'docker'));
  }

  private makeImageFolder(): void {
    const img = join(this.dir, 'image');
    mkdirSync(join(img, 'bin'), { recursive: true });
    mkdirSync(join(img, 'www'));
    mkdirSync(join(img, 'tmp'));
    copyFileSync(BUSYBOX, join(img, 'bin', 'busybox'));
    for (const l of ['sh', 'nc', 'echo', 'cat', 'sleep', 'httpd']) symlinkSync('busybox', join(img, 'bin', l));
    writeFileSync(join(img, 'www', 'index.html'), 'dfw\n');
  }

  /** Runs a command in the host namespace (through nsenter, as dockerd), with the variant's PATH. */
  run(cmd: string, args: string[], input?: string, timeoutMs = 30_000): RunResult {
    const r = spawnSync('nsenter', [`--net=/var/run/netns/${this.host.name}`, cmd, ...args], {
      input,
      encoding: 'utf8',
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, PATH: this.path, XTABLES_LOCKFILE: this.lockFile },
    });
    return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? (r.error ? String(r.error) : '') };
  }

  ok(cmd: string, args: string[], input?: string): string {
    const r = this.run(cmd, args, input);
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr.trim()}`);
    return r.stdout;
  }

  /** bash -e -o pipefail in the host namespace, in `cwd`, with dfw on PATH when `dfwBin` is given. */
  sh(script: string, cwd: string, dfwBin?: string): RunResult {
    const r = spawnSync(
      'nsenter',
      [`--net=/var/run/netns/${this.host.name}`, 'bash', '-e', '-o', 'pipefail', '-c', script],
      {
        cwd,
        encoding: 'utf8',
        timeout: 60_000,
        env: {
          ...process.env,
          PATH: dfwBin ? `${dfwBin}:${this.path}` : this.path,
          XTABLES_LOCKFILE: this.lockFile,
          DOCKER_HOST: `unix://${this.sock}`,
        },
      },
    );
    return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }

  docker(args: string[], input?: string): string {
    const r = spawnSync(DOCKER, ['-H', `unix://${this.sock}`, ...args], { input, encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) throw new Error(`docker ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
    return r.stdout;
  }

  save(f: Family): string {
    return this.ok(f === 4 ? 'iptables-save' : 'ip6tables-save', []);
  }

  restore(f: Family, text: string, noflush = true): void {
    this.ok(f === 4 ? 'iptables-restore' : 'ip6tables-restore', noflush ? ['--noflush'] : [], text);
  }

  ipt(f: Family, args: string[]): string {
    return this.ok(f === 4 ? 'iptables' : 'ip6tables', ['-w', ...args]);
  }

  /** Starts dockerd and waits (bounded, 30 s) until it answers; builds the image the first time. */
  async start(): Promise<void> {
    if (this.daemon) throw new Error('dockerd is already running');
    const args = [
      `--net=/var/run/netns/${this.host.name}`,
      DOCKERD,
      '--data-root',
      join(this.dir, 'data'),
      '--exec-root',
      join(this.dir, 'exec'),
      '--pidfile',
      join(this.dir, 'dockerd.pid'),
      '-H',
      `unix://${this.sock}`,
      '--storage-driver',
      'vfs',
      '--userland-proxy=false',
      '--iptables=true',
      // The containers' nc, as PID 1, ignores SIGTERM: do not wait 10 s for each on a restart.
      '--shutdown-timeout',
      '1',
      ...(this.options.ipv6 ? ['--experimental', '--ipv6', '--ip6tables', '--fixed-cidr-v6', V6_CIDR] : []),
    ];
    const log = openSync(join(this.dir, 'dockerd.log'), 'a');
    this.daemon = spawn('nsenter', args, {
      stdio: ['ignore', log, log],
      env: { ...process.env, PATH: this.path, XTABLES_LOCKFILE: this.lockFile },
    });
    closeSync(log);
    process.on('exit', this.exitHook);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const r = spawnSync(DOCKER, ['-H', `unix://${this.sock}`, 'info', '--format', '{{.ID}}'], {
        encoding: 'utf8',
        timeout: 5000,
      });
      if (r.status === 0) break;
      if (this.daemon.exitCode !== null || Date.now() > deadline)
        throw new Error(`dockerd did not start: ${readFileSync(join(this.dir, 'dockerd.log'), 'utf8').slice(-2000)}`);
      await sleep(100);
    }
    if (!this.docker(['images', '-q', IMAGE]).trim()) {
      const tar = spawnSync('tar', ['-C', join(this.dir, 'image'), '-c', '.'], { maxBuffer: 64 * 1024 * 1024 });
      this.docker(['import', '-', IMAGE], tar.stdout as unknown as string);
    }
  }

  /** Stops dockerd (SIGTERM, bounded wait, then SIGKILL) and every process it left. Containers stay defined. */
  async stop(): Promise<void> {
    const d = this.daemon;
    this.daemon = undefined;
    if (d && d.exitCode === null && d.signalCode === null) {
      const exited = new Promise<void>((r) => d.once('exit', () => r()));
      d.kill('SIGTERM');
      await Promise.race([exited, sleep(20_000)]);
      if (d.exitCode === null && d.signalCode === null) {
        d.kill('SIGKILL');
        await Promise.race([exited, sleep(5000)]);
      }
    }
    process.off('exit', this.exitHook);
    // Its containerd and shims end with it; bounded wait, then kill what is left, by pid.
    for (let i = 0; i < 50 && processesUnder(this.dir).length > 0; i++) await sleep(100);
    for (const pid of processesUnder(this.dir)) if (alive(pid)) process.kill(pid, 'SIGKILL');
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  private killNow(): void {
    if (this.daemon?.pid !== undefined && this.daemon.exitCode === null) this.daemon.kill('SIGKILL');
  }

  /** Runs a container (detached); returns its id. */
  runContainer(name: string, args: string[], cmd: string[]): string {
    return this.docker(['run', '-d', '--name', name, ...args, IMAGE, ...cmd]).trim();
  }

  /** A container answering one line `<banner>` on each connection to `port` (busybox nc, persistent). */
  serve(name: string, publish: string[], port: number, labels: string[] = [], banner = `${name}:${port}`): string {
    return this.runContainer(
      name,
      ['--restart', 'always', ...publish.flatMap((p) => ['-p', p]), ...labels.flatMap((l) => ['--label', l])],
      serveCommand(banner, port),
    );
  }

  /**
   * Waits (bounded, 15 s) until each container runs and answers on its port, connecting from the
   * host namespace to its address: that path (OUTPUT, not FORWARD) is not the policy's.
   */
  async waitServing(servers: [name: string, port: number][]): Promise<void> {
    const deadline = Date.now() + 15_000;
    for (const [name, port] of servers) {
      for (;;) {
        let addr = '';
        try {
          addr = this.address(name, 4);
        } catch {
          /* not there yet */
        }
        if (addr !== '') {
          const r = this.run('bash', ['-c', `exec 3<>/dev/tcp/${addr}/${port} && head -c 1 <&3`], undefined, 3000);
          if (r.status === 0 && r.stdout.length > 0) break;
        }
        if (Date.now() > deadline) throw new Error(`container ${name} does not answer on ${addr}:${port}`);
        await sleep(100);
      }
    }
  }

  /** The addresses of a container, by family. */
  address(name: string, f: Family): string {
    const fmt = f === 4 ? '{{.NetworkSettings.IPAddress}}' : '{{.NetworkSettings.GlobalIPv6Address}}';
    return this.docker(['inspect', '--format', fmt, name]).trim();
  }

  /** `docker inspect $(docker ps -q)`, as the README says to save it. */
  snapshot(): string {
    const ids = this.docker(['ps', '-q']).trim().split('\n').filter(Boolean);
    return ids.length === 0 ? '' : this.docker(['inspect', ...ids]);
  }

  removeAllContainers(): void {
    const ids = this.docker(['ps', '-aq']).trim().split('\n').filter(Boolean);
    if (ids.length > 0) this.docker(['rm', '-f', ...ids]);
  }

  /** Everything: containers, dockerd, mounts, namespaces, the folder. Idempotent; never throws on the way. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    try {
      if (this.daemon) this.removeAllContainers();
    } catch {
      /* dockerd may be gone already: its state is removed with the folder */
    }
    await this.stop();
    for (const m of mountsUnder(this.dir)) {
      if (spawnSync('umount', [m]).status !== 0) spawnSync('umount', ['-l', m]);
    }
    this.client.delete();
    this.host.delete();
    rmSync(this.dir, { recursive: true, force: true });
    // containerd makes /run/containerd/s for its shims' sockets, a fixed path: removed when empty.
    spawnSync('rmdir', ['/run/containerd/s'], { stdio: 'ignore' });
    spawnSync('rmdir', ['/run/containerd'], { stdio: 'ignore' });
  }

  /** What is left after destroy(): processes, mounts, namespaces, the folder. Empty when nothing. */
  leftovers(): string[] {
    const out: string[] = [];
    for (const pid of processesUnder(this.dir)) out.push(`process ${pid}`);
    for (const m of mountsUnder(this.dir)) out.push(`mount ${m}`);
    const list = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
    for (const ns of [this.host, this.client])
      if (list.split('\n').some((l) => l.split(' ')[0] === ns.name)) out.push(`namespace ${ns.name}`);
    if (existsSync(this.dir)) out.push(`folder ${this.dir}`);
    return out;
  }
}
