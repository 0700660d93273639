// Where the bundle's files live on the host, as the systemd units name them. Every path is
// written into a unit file and into a shell command line (the DOCKER chain re-apply pipe), so
// only plain absolute paths are accepted: no quoting is ever needed, and none can go wrong.
import { posix } from 'node:path';
import { DfwError } from '../errors.js';

export interface BundleOptions {
  /** Folder the bundle is installed in on the host (ipset.restore, rules.v4, ...). */
  prefix: string;
  /** The policy as installed on the host (read by the DOCKER chain re-apply pipe). */
  policyPath: string;
  /** The dfw executable on the host (used by the DOCKER chain re-apply pipe only). */
  dfwPath: string;
  /** Folder of ipset, iptables-restore, iptables-save, ip6tables-restore, ip6tables-save. */
  sbinDir: string;
  /** Write rules.v6 and load it (false: IPv4 only, for a host without ip6tables). */
  ipv6: boolean;
}

export const DEFAULT_PREFIX = '/etc/dfw';
export const DEFAULT_DFW_PATH = '/usr/local/bin/dfw';
export const DEFAULT_SBIN_DIR = '/usr/sbin';
/** The shell that runs the re-apply pipe: bash, for `-o pipefail`. */
export const BASH = '/bin/bash';

const PLAIN_PATH = /^\/[A-Za-z0-9._+@/-]*$/;

/** Why `path` cannot be written into a unit file and a shell command as it is, or undefined. */
export function pathProblem(path: string): string | undefined {
  if (!path.startsWith('/')) return 'expected an absolute path (the units run with / as working directory)';
  if (!PLAIN_PATH.test(path)) {
    return 'only letters, digits and . _ + @ - / are allowed: the path is written into systemd units and a shell command line, unquoted';
  }
  if (path.length > 1 && path.endsWith('/')) return 'remove the trailing /';
  if (posix.normalize(path) !== path) return 'expected a normalised path (no //, /./ or /../)';
  return undefined;
}

/** The options with their defaults filled in and every path checked; a DfwError names the bad flag. */
export function bundleOptions(given: Partial<BundleOptions> = {}): BundleOptions {
  const prefix = given.prefix ?? DEFAULT_PREFIX;
  const o: BundleOptions = {
    prefix,
    policyPath: given.policyPath ?? posix.join(prefix, 'policy.yaml'),
    dfwPath: given.dfwPath ?? DEFAULT_DFW_PATH,
    sbinDir: given.sbinDir ?? DEFAULT_SBIN_DIR,
    ipv6: given.ipv6 ?? true,
  };
  const flags: [keyof BundleOptions, string][] = [
    ['prefix', '--prefix'],
    ['policyPath', '--policy-path'],
    ['dfwPath', '--dfw-path'],
    ['sbinDir', '--sbin-dir'],
  ];
  for (const [key, flag] of flags) {
    const value = o[key] as string;
    const bad = pathProblem(value);
    if (bad !== undefined) throw new DfwError(`${flag} ${JSON.stringify(value)}: ${bad}`);
  }
  return o;
}

/** `dir/name` on the host. */
export function hostPath(dir: string, name: string): string {
  return posix.join(dir, name);
}
