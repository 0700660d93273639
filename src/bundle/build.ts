// `dfw bundle`: everything a host needs, as file contents (pure: no file system, no process).
//
//   DOCKER-USER (default)                 DOCKER (the older approach)
//   policy.yaml                           policy.yaml          (read by the re-apply pipe)
//   ipset.restore        (if sets)        ipset.restore        (if sets)
//   rules.v4, rules.v6   (noflush)        dfw-firewall.service (if sets: loads them at boot)
//   dfw-firewall.service                  dfw-reapply.service  (after every Docker start)
//
// rules.v4 / rules.v6 exist only for DOCKER-USER: they fill the policy's own chain, and the unit
// adds the jump from DOCKER-USER. The DOCKER chain is Docker's, flushed (the jump with it) when
// Docker starts, so for it the jump is put back after every Docker start by dfw-reapply.service.
import { DfwError } from '../errors.js';
import { compilePolicy } from '../policy/compile.js';
import type { Family, Policy } from '../policy/types.js';
import { ipsetRestoreText } from './ipset.js';
import { NFT_FILE_NAMES, nftBundleFiles } from './nft.js';
import { type BundleOptions, bundleOptions } from './options.js';
import { bootRulesText } from './rules.js';
import { FIREWALL_UNIT, REAPPLY_UNIT, firewallUnit, reapplyUnit } from './units.js';

export interface BundleFile {
  /** File name inside the bundle folder. */
  name: string;
  text: string;
}

export interface Bundle {
  /** The files, in the order they should be written (sets, rules, then the units that load them). */
  files: BundleFile[];
  /**
   * Names a bundle may hold that this one does not (e.g. rules.v6 with --no-ipv6): a folder
   * written by an older bundle should not keep them.
   */
  absent: string[];
  options: BundleOptions;
}

/** Every name `dfw bundle` may write, in writing order. */
export const BUNDLE_FILE_NAMES: readonly string[] = [
  'policy.yaml',
  'ipset.restore',
  'rules.v4',
  'rules.v6',
  FIREWALL_UNIT,
  REAPPLY_UNIT,
  ...NFT_FILE_NAMES,
];

/**
 * Builds the bundle of `policy`. `policyText` is the policy file as given: the bundle holds a
 * copy of it, byte for byte, as policy.yaml.
 */
export function buildBundle(
  policy: Policy,
  policyText: string,
  given: Partial<BundleOptions> = {},
  backend: 'iptables' | 'nft' = 'iptables',
): Bundle {
  const options = bundleOptions(given);
  if (backend === 'nft') {
    const nft = nftBundleFiles(policy, policyText, options);
    return { files: nft, absent: BUNDLE_FILE_NAMES.filter((n) => !nft.some((f) => f.name === n)), options };
  }
  const families: Family[] = options.ipv6 ? [4, 6] : [4];
  // Compile both families even when no rules file is written (DOCKER chain): a policy the
  // re-apply pipe would refuse on the host must be refused here.
  for (const f of families) compilePolicy(policy, f);

  const files: BundleFile[] = [{ name: 'policy.yaml', text: policyText }];
  const sets = ipsetRestoreText(policy);
  if (sets !== undefined) files.push({ name: 'ipset.restore', text: sets });
  if (policy.chain === 'DOCKER-USER') {
    for (const f of families) files.push({ name: `rules.v${f}`, text: bootRulesText(policy, f) });
  }
  const boot = firewallUnit(policy, options, sets !== undefined);
  if (boot !== undefined) files.push({ name: FIREWALL_UNIT, text: boot });
  if (policy.chain === 'DOCKER')
    files.push({ name: REAPPLY_UNIT, text: reapplyUnit(policy, options, sets !== undefined) });

  for (const f of files)
    if (!BUNDLE_FILE_NAMES.includes(f.name))
      throw new DfwError(`internal: bundle file ${f.name} is not in BUNDLE_FILE_NAMES`);
  const names = new Set(files.map((f) => f.name));
  return { files, absent: BUNDLE_FILE_NAMES.filter((n) => !names.has(n)), options };
}
