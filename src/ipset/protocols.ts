// Protocol and ICMP names as ipset reads and prints them in `PROTO:PORT` elements.
//
// ipset looks protocols up in /etc/protocols (getprotobyname / getprotobynumber) and prints the
// first name; the table below is Debian's netbase one, where the dumps dfw reads come from.
// A number without a name prints as the number (`253:0`, observed).
// ICMP and ICMPv6 names are ipset's own tables (lib/icmp.c, lib/icmpv6.c; `ipset help
// hash:ip,port`); the type/code of each was observed by saving `icmp:T/C` for every T and C.

/** name, number, aliases (from /etc/protocols). */
const PROTOCOLS: readonly (readonly [string, number, ...string[]])[] = [
  ['icmp', 1, 'ICMP'],
  ['igmp', 2, 'IGMP'],
  ['ggp', 3, 'GGP'],
  ['ipencap', 4, 'IP-ENCAP'],
  ['st', 5, 'ST'],
  ['tcp', 6, 'TCP'],
  ['egp', 8, 'EGP'],
  ['igp', 9, 'IGP'],
  ['pup', 12, 'PUP'],
  ['udp', 17, 'UDP'],
  ['hmp', 20, 'HMP'],
  ['xns-idp', 22, 'XNS-IDP'],
  ['rdp', 27, 'RDP'],
  ['iso-tp4', 29, 'ISO-TP4'],
  ['dccp', 33, 'DCCP'],
  ['xtp', 36, 'XTP'],
  ['ddp', 37, 'DDP'],
  ['idpr-cmtp', 38, 'IDPR-CMTP'],
  ['ipv6', 41, 'IPv6'],
  ['ipv6-route', 43, 'IPv6-Route'],
  ['ipv6-frag', 44, 'IPv6-Frag'],
  ['idrp', 45, 'IDRP'],
  ['rsvp', 46, 'RSVP'],
  ['gre', 47, 'GRE'],
  ['esp', 50, 'IPSEC-ESP'],
  ['ah', 51, 'IPSEC-AH'],
  ['skip', 57, 'SKIP'],
  ['ipv6-icmp', 58, 'IPv6-ICMP'],
  ['ipv6-nonxt', 59, 'IPv6-NoNxt'],
  ['ipv6-opts', 60, 'IPv6-Opts'],
  ['rspf', 73, 'RSPF'],
  ['vmtp', 81, 'VMTP'],
  ['eigrp', 88, 'EIGRP'],
  ['ospf', 89, 'OSPFIGP'],
  ['ax.25', 93, 'AX.25'],
  ['ipip', 94, 'IPIP'],
  ['etherip', 97, 'ETHERIP'],
  ['encap', 98, 'ENCAP'],
  ['pim', 103, 'PIM'],
  ['ipcomp', 108, 'IPCOMP'],
  ['vrrp', 112, 'VRRP'],
  ['l2tp', 115, 'L2TP'],
  ['isis', 124, 'ISIS'],
  ['sctp', 132, 'SCTP'],
  ['fc', 133, 'FC'],
  ['mobility-header', 135, 'Mobility-Header'],
  ['udplite', 136, 'UDPLite'],
  ['mpls-in-ip', 137, 'MPLS-in-IP'],
  ['manet', 138],
  ['hip', 139, 'HIP'],
  ['shim6', 140, 'Shim6'],
  ['wesp', 141, 'WESP'],
  ['rohc', 142, 'ROHC'],
  ['ethernet', 143, 'Ethernet'],
];

const BY_NAME = new Map<string, number>();
const BY_NUMBER = new Map<number, string>();
for (const [name, num, ...aliases] of PROTOCOLS) {
  BY_NAME.set(name, num);
  for (const a of aliases) BY_NAME.set(a, num);
  if (!BY_NUMBER.has(num)) BY_NUMBER.set(num, name);
}
// ipset's own spelling for ICMPv6 (parse_proto_port accepts it besides /etc/protocols names).
BY_NAME.set('icmpv6', 58);

export const IPPROTO_ICMP = 1;
export const IPPROTO_ICMPV6 = 58;
/** Protocols whose element part is a real port (and may be a range). */
export const PORT_PROTOCOLS = new Set([6, 17, 132, 136]);

/** The protocol number of a name or number (1-255), or undefined. */
export function protocolNumber(text: string): number | undefined {
  if (/^[1-9][0-9]{0,2}$/.test(text)) {
    const n = Number(text);
    return n <= 255 ? n : undefined;
  }
  return BY_NAME.get(text);
}

/** The protocol as ipset save prints it: its first /etc/protocols name, else the number. */
export function protocolName(n: number): string {
  return BY_NUMBER.get(n) ?? String(n);
}

/** ipset's ICMP names in its table order; aliases (`pong`, `ping`) come after the name they share a code with. */
const ICMP: readonly (readonly [string, number, number])[] = [
  ['echo-reply', 0, 0],
  ['pong', 0, 0],
  ['network-unreachable', 3, 0],
  ['host-unreachable', 3, 1],
  ['protocol-unreachable', 3, 2],
  ['port-unreachable', 3, 3],
  ['fragmentation-needed', 3, 4],
  ['source-route-failed', 3, 5],
  ['network-unknown', 3, 6],
  ['host-unknown', 3, 7],
  ['network-prohibited', 3, 9],
  ['host-prohibited', 3, 10],
  ['TOS-network-unreachable', 3, 11],
  ['TOS-host-unreachable', 3, 12],
  ['communication-prohibited', 3, 13],
  ['host-precedence-violation', 3, 14],
  ['precedence-cutoff', 3, 15],
  ['source-quench', 4, 0],
  ['network-redirect', 5, 0],
  ['host-redirect', 5, 1],
  ['TOS-network-redirect', 5, 2],
  ['TOS-host-redirect', 5, 3],
  ['echo-request', 8, 0],
  ['ping', 8, 0],
  ['router-advertisement', 9, 0],
  ['router-solicitation', 10, 0],
  ['ttl-zero-during-transit', 11, 0],
  ['ttl-zero-during-reassembly', 11, 1],
  ['ip-header-bad', 12, 0],
  ['required-option-missing', 12, 1],
  ['timestamp-request', 13, 0],
  ['timestamp-reply', 14, 0],
  ['address-mask-request', 17, 0],
  ['address-mask-reply', 18, 0],
];

const ICMPV6: readonly (readonly [string, number, number])[] = [
  ['no-route', 1, 0],
  ['communication-prohibited', 1, 1],
  ['address-unreachable', 1, 3],
  ['port-unreachable', 1, 4],
  ['packet-too-big', 2, 0],
  ['ttl-zero-during-transit', 3, 0],
  ['ttl-zero-during-reassembly', 3, 1],
  ['bad-header', 4, 0],
  ['unknown-header-type', 4, 1],
  ['unknown-option', 4, 2],
  ['echo-request', 128, 0],
  ['ping', 128, 0],
  ['echo-reply', 129, 0],
  ['pong', 129, 0],
  ['router-solicitation', 133, 0],
  ['router-advertisement', 134, 0],
  ['neighbour-solicitation', 135, 0],
  ['neigbour-solicitation', 135, 0],
  ['neighbour-advertisement', 136, 0],
  ['neigbour-advertisement', 136, 0],
  ['redirect', 137, 0],
];

function table(rows: readonly (readonly [string, number, number])[]) {
  const byName = new Map<string, [number, number]>();
  const byCode = new Map<string, string>();
  for (const [name, type, code] of rows) {
    byName.set(name, [type, code]);
    if (!byCode.has(`${type}/${code}`)) byCode.set(`${type}/${code}`, name);
  }
  return { byName, byCode };
}

const ICMP_TABLE = table(ICMP);
const ICMPV6_TABLE = table(ICMPV6);

/**
 * An ICMP(v6) "port" (`echo-request` or `TYPE/CODE`) as ipset save prints it: the name where
 * one exists (`3/4` → `fragmentation-needed`), else `TYPE/CODE`.
 */
export function icmpText(v6: boolean, text: string): string | undefined {
  const t = v6 ? ICMPV6_TABLE : ICMP_TABLE;
  let code: string;
  const named = t.byName.get(text);
  if (named) code = `${named[0]}/${named[1]}`;
  else {
    const m = /^([0-9]{1,3})\/([0-9]{1,3})$/.exec(text);
    if (!m || Number(m[1]) > 255 || Number(m[2]) > 255) return undefined;
    code = `${Number(m[1])}/${Number(m[2])}`;
  }
  return t.byCode.get(code) ?? code;
}

/** The ICMP(v6) names ipset knows, for messages. */
export function icmpNames(v6: boolean): string[] {
  return [...(v6 ? ICMPV6_TABLE : ICMP_TABLE).byName.keys()];
}

/**
 * A few service names people write for ports. ipset resolves them through /etc/services
 * (`ssh` → `tcp:22`, docs/format.md#entries); dfw does not read that file (the result must not depend on
 * the host) and only uses this list to say which number to write.
 */
export const WELL_KNOWN_PORTS: Readonly<Record<string, number>> = {
  ftp: 21,
  ssh: 22,
  telnet: 23,
  smtp: 25,
  domain: 53,
  http: 80,
  pop3: 110,
  ntp: 123,
  imap: 143,
  snmp: 161,
  ldap: 389,
  https: 443,
  smtps: 465,
  submission: 587,
  ldaps: 636,
  imaps: 993,
  pop3s: 995,
  mysql: 3306,
  postgresql: 5432,
};
