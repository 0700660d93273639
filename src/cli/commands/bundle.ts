// dfw bundle --policy P --out DIR [--check]: the files a host needs (ipset.restore, rules.v4,
// rules.v6, systemd units, a copy of the policy), written atomically; --check says whether DIR
// is current. The contents come from src/bundle (pure); this file only reads and writes DIR.
import { lstatSync, mkdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLE_FILE_NAMES, buildBundle, compareBundle, writtenByDfw } from '../../bundle/index.js';
import { DfwError } from '../../errors.js';
import { defineCommand } from '../command.js';
import { systemError, writeOutputs } from '../io.js';
import { atPolicyPosition, readPolicy } from '../policy-input.js';
import { containersOption, withContainers } from '../containers-option.js';
import { policyNamesContainers } from '../../policy/names-resolve.js';

interface Args {
  policy: string;
  out: string;
  check: boolean;
  prefix?: string;
  policyPath?: string;
  dfwPath?: string;
  sbinDir?: string;
  ipv6: boolean;
  force: boolean;
  backend: 'iptables' | 'nft';
  containers?: string;
}

const code = (e: unknown): string => (e as NodeJS.ErrnoException).code ?? String(e);

/** The bundle files DIR holds now (name → content); a missing DIR holds none. */
function readFolder(dir: string): Map<string, string> {
  const found = new Map<string, string>();
  try {
    if (!statSync(dir).isDirectory()) throw new DfwError(`${dir}: not a directory`);
  } catch (e) {
    if (e instanceof DfwError) throw e;
    if (code(e) === 'ENOENT') return found;
    throw new DfwError(`${dir}: cannot read: ${systemError(e)}`);
  }
  for (const name of BUNDLE_FILE_NAMES) {
    const path = join(dir, name);
    try {
      if (statSync(path).isDirectory()) throw new DfwError(`${path}: is a directory, where the bundle has a file`);
      found.set(name, readFileSync(path, 'utf8'));
    } catch (e) {
      if (e instanceof DfwError) throw e;
      if (code(e) === 'ENOENT') {
        // A dangling symbolic link is a file to write through, not a missing one to ignore.
        try {
          lstatSync(path);
          found.set(name, '');
        } catch {
          /* really absent */
        }
        continue;
      }
      throw new DfwError(`${path}: cannot read: ${systemError(e)}`);
    }
  }
  return found;
}

export const bundleCommand = defineCommand({
  command: 'bundle',
  describe:
    'Write the files a host needs to load the policy at boot, before Docker, and keep it (ipset.restore, rules.v4/v6, systemd units)',
  builder: (y) =>
    containersOption(y)
      .option('policy', {
        alias: 'p',
        type: 'string',
        demandOption: true,
        describe: 'policy file (YAML or JSON); the bundle holds a copy of it',
      })
      .option('out', {
        type: 'string',
        demandOption: true,
        describe: 'folder to write the bundle to (made if missing)',
      })
      .option('check', {
        type: 'boolean',
        default: false,
        describe:
          'write nothing; exit 0 when DIR is current, 1 when not (the files that differ on stdout, a unified diff on stderr)',
      })
      .option('prefix', {
        type: 'string',
        describe: 'folder the bundle is installed in on the host, as the units name it (default /etc/dfw)',
      })
      .option('policy-path', {
        type: 'string',
        describe:
          'the policy as installed on the host, read by the DOCKER chain re-apply unit (default PREFIX/policy.yaml)',
      })
      .option('dfw-path', {
        type: 'string',
        describe: 'the dfw executable on the host, run by the DOCKER chain re-apply unit (default /usr/local/bin/dfw)',
      })
      .option('sbin-dir', {
        type: 'string',
        describe:
          'folder of ipset, iptables-restore, iptables-save, ip6tables-restore, ip6tables-save on the host (default /usr/sbin)',
      })
      .option('force', {
        type: 'boolean',
        default: false,
        describe: 'also replace or remove files in DIR that dfw did not write (by default: exit 2, nothing written)',
      })
      .option('ipv6', {
        type: 'boolean',
        default: true,
        describe: 'also write and load rules.v6 (--no-ipv6: IPv4 only, for hosts without ip6tables)',
      })
      .option('backend', {
        choices: ['iptables', 'nft'] as const,
        default: 'iptables' as const,
        describe:
          "nft: dfw.nft and dfw-nft.service, for Docker's nftables backend (dfw's own table, loaded before Docker)",
      })
      .example('$0 bundle -p dfw.yaml --out bundle/', 'write the bundle; prints the files it wrote or removed')
      .example(
        '$0 bundle -p dfw.yaml --out bundle/ --check',
        'CI: exit 1, with a diff, when bundle/ is not what the policy gives',
      )
      .example('$0 bundle -p dfw.yaml --out fw/ --prefix /srv/fw --no-ipv6', 'units that load /srv/fw/..., IPv4 only')
      .epilogue(
        "DOCKER-USER policies: dfw-firewall.service loads ipset.restore, then rules.v4 and rules.v6 (the policy's own chain DFW-<name>, iptables-restore --noflush) " +
          'and adds the jump from DOCKER-USER when it is missing, at boot before Docker starts and on every reload; no other rule of DOCKER-USER is touched. ' +
          'DOCKER chain policies: Docker flushes that chain (and the jump) when it starts, so ' +
          'dfw-reapply.service pipes iptables-save through dfw transform after every Docker start. ' +
          'An unchanged policy gives the same bytes: writing again changes nothing. Exit codes: 0 done or current, 1 --check found differences, 2 error.',
      ),
  handler: (args: Args) => {
    const loaded = withContainers(readPolicy(args.policy), args.containers);
    if (loaded.policy.chain === 'DOCKER' && policyNamesContainers(loaded.policy))
      throw new DfwError(
        `${loaded.file}: a chain DOCKER policy that names containers cannot be bundled: dfw-reapply.service runs dfw transform after every Docker start, without a snapshot; use chain: DOCKER-USER`,
      );
    const bundle = atPolicyPosition(loaded, () =>
      buildBundle(
        loaded.policy,
        loaded.text,
        {
          prefix: args.prefix,
          policyPath: args.policyPath,
          dfwPath: args.dfwPath,
          sbinDir: args.sbinDir,
          ipv6: args.ipv6,
        },
        args.backend,
      ),
    );
    const dir = args.out;
    if (dir === '') throw new DfwError('--out: expected a folder');
    const current = readFolder(dir);
    const differences = compareBundle(bundle, current, (n) => join(dir, n));

    if (args.check) {
      if (differences.length === 0) return 0;
      for (const d of differences) process.stdout.write(`${join(dir, d.name)}\n`);
      for (const d of differences) process.stderr.write(d.diff);
      return 1;
    }

    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw new DfwError(`${dir}: cannot make the folder: ${systemError(e)}`);
    }
    // The bundle's names are netfilter-persistent's too (/etc/iptables/rules.v4): replace or
    // remove only what dfw wrote (bundle/own.ts), unless told to.
    const foreign = differences.filter((d) => d.status !== 'missing' && !writtenByDfw(d.name, current.get(d.name)!));
    if (foreign.length > 0 && !args.force)
      throw new DfwError(
        `${foreign.map((d) => join(dir, d.name)).join(', ')}: not written by dfw bundle (no dfw header line${foreign.some((d) => d.name === 'policy.yaml') ? '; policy.yaml: not a dfw policy' : ''}); ` +
          `dfw bundle would ${foreign.some((d) => d.status === 'stale') ? 'replace or remove' : 'replace'} ${foreign.length === 1 ? 'it' : 'them'}: ` +
          'write the bundle to a folder of its own, or give --force; nothing was written',
      );
    const changed = new Set(differences.map((d) => d.name));
    // All the changed files at once, renamed into place in bundle order (sets, rules, then
    // units) only when every one is written: a failure leaves the old bundle as it was.
    const files = bundle.files.filter((f) => changed.has(f.name));
    writeOutputs(files.map((f) => ({ text: f.text, path: join(dir, f.name) })));
    for (const f of files) process.stdout.write(`${join(dir, f.name)}\n`);
    for (const d of differences) {
      if (d.status !== 'stale') continue;
      const path = join(dir, d.name);
      try {
        unlinkSync(path);
      } catch (e) {
        throw new DfwError(`${path}: cannot remove this file of an older bundle: ${systemError(e)}`);
      }
      process.stdout.write(`${path}\n`);
    }
    return 0;
  },
});
