// `dfw bundle --backend nft`: the files of a host whose Docker runs the nftables backend.
//
//   policy.yaml        the policy, byte for byte (for review, as in the iptables bundle)
//   dfw.nft            `dfw nft --no-dump`: creates or replaces dfw's table in one transaction
//   dfw-nft.service    loads dfw.nft at boot, before Docker; `systemctl reload` loads it again
//
// No ipset.restore: the policy's sets are native nft sets inside dfw.nft. The table is dfw's
// alone, so loading it before Docker (which creates its own tables when it starts) or over a
// running host touches nothing of Docker's.
import { compileNft, scriptText, type FamilyChoice } from '../nft/index.js';
import type { Policy } from '../policy/types.js';
import { hostPath, type BundleOptions } from './options.js';

export const NFT_FILE = 'dfw.nft';
export const NFT_UNIT = 'dfw-nft.service';
/** The names only an nft bundle writes (BUNDLE_FILE_NAMES holds them too, for stale files). */
export const NFT_FILE_NAMES: readonly string[] = [NFT_FILE, NFT_UNIT];

/** The files of the nft bundle, in writing order (the table first, then the unit that loads it). */
export function nftBundleFiles(policy: Policy, policyText: string, o: BundleOptions): { name: string; text: string }[] {
  // --no-ipv6: an ip table for IPv4 alone, as the iptables bundle writes rules.v4 alone.
  const choice: FamilyChoice = o.ipv6 ? 'both' : 4;
  const table = compileNft(policy, choice);
  const script = scriptText(table, [
    `${NFT_FILE}: written by \`dfw bundle --backend nft\` from policy ${policy.name}; do not edit, run dfw bundle again.`,
    `nft -f applies it in one transaction: table ${table.family} ${table.name} is created when missing, else replaced;`,
    'no other table is touched.',
  ]);
  return [
    { name: 'policy.yaml', text: policyText },
    { name: NFT_FILE, text: script },
    { name: NFT_UNIT, text: nftUnit(policy, o, `table ${table.family} ${table.name}`) },
  ];
}

function nftUnit(policy: Policy, o: BundleOptions, table: string): string {
  const load = `${hostPath(o.sbinDir, 'nft')} -f ${hostPath(o.prefix, NFT_FILE)}`;
  return [
    `# ${NFT_UNIT}: written by \`dfw bundle --backend nft\` from policy ${policy.name}; do not edit, run dfw bundle again.`,
    `# Loads ${table} at boot, before the network comes up and before Docker starts: its forward chain`,
    "# (priority filter - 1) filters the published ports from the first packet on, whatever Docker's own",
    '# tables (created when Docker starts) say after it. Docker never touches this table.',
    `# After=nftables.service: a ruleset file that starts with \`flush ruleset\` (Debian's /etc/nftables.conf)`,
    "# would remove this table, and Docker's, if it ran later; never reload such a file on a running host.",
    `# Install: copy ${NFT_FILE} to ${o.prefix} and this file to /etc/systemd/system, then`,
    `#   systemctl daemon-reload && systemctl enable --now ${NFT_UNIT}`,
    `# A new bundle installed over a running host: systemctl reload ${NFT_UNIT} (replaces ${table} alone, atomically)`,
    '[Unit]',
    `Description=dfw firewall: policy ${policy.name}, ${table}, loaded before Docker starts`,
    'DefaultDependencies=no',
    'Wants=network-pre.target',
    'Before=network-pre.target docker.service docker.socket shutdown.target',
    'After=local-fs.target systemd-modules-load.service nftables.service',
    'Conflicts=shutdown.target',
    '',
    '[Service]',
    'Type=oneshot',
    'RemainAfterExit=yes',
    `ExecStart=${load}`,
    `ExecReload=${load}`,
    '',
    '[Install]',
    'WantedBy=multi-user.target docker.service',
    '',
  ].join('\n');
}
