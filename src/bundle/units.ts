// The systemd units of the bundle. No dates, no host names: the same policy and options give
// the same bytes.
//
// dfw-firewall.service loads the files at boot, before the network and before Docker, in order:
// sets first (the rules use them), then per family the policy's own chain (rules.v4: created or
// flushed and refilled in one commit) and the jump to it at the top of DOCKER-USER, added only
// when missing (DOCKER-USER created first when it does not exist yet, as at boot). The same
// commands reload a running host: only the owned chain and a missing jump change, never
// another rule of DOCKER-USER. Its ordering follows Debian's netfilter-persistent.service
// (DefaultDependencies=no, before network-pre.target, after the modules are loaded and the local
// file systems mounted), plus Before=docker.socket docker.service (a socket-activated dockerd
// must not start first), and After=netfilter-persistent.service: a full iptables-restore run
// after this unit would flush the filter table.
//
// dfw-reapply.service (DOCKER chain only) runs after every Docker start: Docker flushes the
// DOCKER chain when it starts, so the live dump is piped through dfw again.
import type { Family, Policy } from '../policy/types.js';
import { ownedChain } from '../policy/compile.js';
import { jumpCommand } from '../transform/noflush.js';
import { BASH, type BundleOptions, hostPath } from './options.js';

export const FIREWALL_UNIT = 'dfw-firewall.service';
export const REAPPLY_UNIT = 'dfw-reapply.service';

const tool = (o: BundleOptions, name: string): string => hostPath(o.sbinDir, name);
const v = (f: Family): string => (f === 4 ? '' : '6');

function families(o: BundleOptions): Family[] {
  return o.ipv6 ? [4, 6] : [4];
}

/** The commands dfw-firewall.service runs, in order (empty: nothing to load at boot). */
export function firewallCommands(policy: Policy, o: BundleOptions, hasSets: boolean): string[] {
  const cmds: string[] = [];
  if (hasSets) cmds.push(`${tool(o, 'ipset')} restore -file ${hostPath(o.prefix, 'ipset.restore')}`);
  if (policy.chain === 'DOCKER-USER') {
    for (const f of families(o)) {
      cmds.push(`${tool(o, `ip${v(f)}tables-restore`)} -w --noflush ${hostPath(o.prefix, `rules.v${f}`)}`);
      cmds.push(`${BASH} -c '${jumpCommand(policy, f, o.sbinDir)}'`);
    }
  }
  return cmds;
}

/** The commands dfw-reapply.service runs: one pipe per family, failing when any part fails. */
export function reapplyCommands(o: BundleOptions): string[] {
  return families(o).map((f) => {
    const pipe = [
      `${tool(o, `ip${v(f)}tables-save`)}`,
      `${o.dfwPath} transform --policy ${o.policyPath} --family ${f} --mode noflush`,
      `${tool(o, `ip${v(f)}tables-restore`)} -w --noflush`,
    ].join(' | ');
    return `${BASH} -o pipefail -c '${pipe}'`;
  });
}

/** `copy policy.yaml, ipset.restore, rules.v4 to /etc/dfw`, or with the policy elsewhere, `copy policy.yaml to P, ... to /etc/dfw`. */
function copyWhat(policy: Policy, o: BundleOptions, hasSets: boolean): string {
  const rest: string[] = [];
  if (hasSets) rest.push('ipset.restore');
  if (policy.chain === 'DOCKER-USER') for (const f of families(o)) rest.push(`rules.v${f}`);
  if (o.policyPath === hostPath(o.prefix, 'policy.yaml'))
    return `copy ${['policy.yaml', ...rest].join(', ')} to ${o.prefix}`;
  return `copy policy.yaml to ${o.policyPath}${rest.length > 0 ? `, ${rest.join(', ')} to ${o.prefix}` : ''}`;
}

function service(cmds: string[]): string[] {
  return [
    '[Service]',
    'Type=oneshot',
    'RemainAfterExit=yes',
    ...cmds.map((c) => `ExecStart=${c}`),
    // A new bundle installed: `systemctl reload` loads it again (each command is safe over a running host).
    ...cmds.map((c) => `ExecReload=${c}`),
  ];
}

/** dfw-firewall.service, or undefined when there is nothing to load at boot (DOCKER chain, no sets). */
export function firewallUnit(policy: Policy, o: BundleOptions, hasSets: boolean): string | undefined {
  const cmds = firewallCommands(policy, o, hasSets);
  if (cmds.length === 0) return undefined;
  const userChain = policy.chain === 'DOCKER-USER';
  const what = userChain ? (hasSets ? 'ipsets and DOCKER-USER rules' : 'DOCKER-USER rules') : 'ipsets';
  const lines = [
    `# ${FIREWALL_UNIT}: written by \`dfw bundle\` from policy ${policy.name} (chain ${policy.chain}); do not edit, run dfw bundle again.`,
    ...(userChain
      ? [
          `# Loads the policy at boot, before the network comes up and before Docker starts: the chain ${ownedChain(policy.name)}`,
          '# and one jump to it at the top of DOCKER-USER. Docker keeps DOCKER-USER and puts its jump to it at the',
          '# top of FORWARD when it starts, so the published ports are filtered from the first packet on. A reload',
          `# refills ${ownedChain(policy.name)} only and adds the jump if it is missing: other rules in DOCKER-USER stay.`,
        ]
      : [
          "# Creates the policy's sets at boot. The rules go in Docker's DOCKER chain, which Docker flushes when",
          `# it starts: ${REAPPLY_UNIT} puts them back after every Docker start.`,
        ]),
    `# Install: ${copyWhat(policy, o, hasSets)} and this file to /etc/systemd/system, then`,
    `#   systemctl daemon-reload && systemctl enable --now ${FIREWALL_UNIT}`,
    `# A new bundle installed over a running host: systemctl reload ${FIREWALL_UNIT}`,
    '[Unit]',
    `Description=dfw firewall: policy ${policy.name}, ${what}, loaded before Docker starts`,
    'DefaultDependencies=no',
    'Wants=network-pre.target',
    'Before=network-pre.target docker.socket docker.service shutdown.target',
    'After=local-fs.target systemd-modules-load.service netfilter-persistent.service',
    'Conflicts=shutdown.target',
    '',
    ...service(cmds),
    '',
    '[Install]',
    'WantedBy=multi-user.target docker.service',
    '',
  ];
  return lines.join('\n');
}

/** dfw-reapply.service, for the DOCKER chain. */
export function reapplyUnit(policy: Policy, o: BundleOptions, hasSets: boolean): string {
  const lines = [
    `# ${REAPPLY_UNIT}: written by \`dfw bundle\` from policy ${policy.name} (chain DOCKER); do not edit, run dfw bundle again.`,
    "# Docker flushes and rebuilds its DOCKER chain every time it starts, so this unit puts the policy's rules",
    '# back after every Docker start (and restart: PartOf), piping the live dump through dfw into',
    `# iptables-restore --noflush; a failing part fails the unit (pipefail). It needs dfw at ${o.dfwPath} and`,
    `# the policy at ${o.policyPath}. Until it has run, published ports are open: chain DOCKER-USER has no such window.`,
    `# Install: ${copyWhat(policy, o, hasSets)} and this file to /etc/systemd/system, then`,
    `#   systemctl daemon-reload && systemctl enable --now ${REAPPLY_UNIT}`,
    '[Unit]',
    `Description=dfw firewall: policy ${policy.name}, put back in the DOCKER chain after every Docker start`,
    ...(hasSets ? [`Wants=${FIREWALL_UNIT}`] : []),
    `After=docker.service${hasSets ? ` ${FIREWALL_UNIT}` : ''}`,
    'BindsTo=docker.service',
    'PartOf=docker.service',
    '',
    ...service(reapplyCommands(o)),
    '',
    '[Install]',
    'WantedBy=docker.service',
    '',
  ];
  return lines.join('\n');
}
