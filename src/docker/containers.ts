// A snapshot of the running containers: the JSON array `docker inspect $(docker ps -q)` prints.
// dfw never asks Docker; it reads what the user saved (`--containers FILE`). Only the fields
// that name a container and say what it publishes are read, and each is checked: a problem is
// a DfwSyntaxError at its place in the file, its message starting with the JSON path
// (`[1].NetworkSettings.Ports["80/tcp"][0].HostPort: ...`).
import { isMap, isSeq, LineCounter, parseDocument } from 'yaml';
import { DfwSyntaxError } from '../errors.js';
import { parseJsonText } from '../json-input.js';
import { formatAddress, parseIPv4, parseIPv6 } from '../net/address.js';
import type { Family } from '../net/family.js';
import { atPath, type Path } from '../text/path.js';
import { quoted, quotedShort } from '../text/quote.js';

export type PortProto = 'tcp' | 'udp' | 'sctp';

/** One host address and port a container port is published on (`-p 8080:80`). */
export interface PortBinding {
  /** As Docker says it: `0.0.0.0`, `::`, a host address, or '' (every address). */
  hostIp: string;
  hostPort: number;
}

export interface ContainerPort {
  proto: PortProto;
  /** The container's own port. */
  port: number;
  /** Empty when the port is exposed but not published. */
  bindings: PortBinding[];
}

export interface ContainerInfo {
  /** Position in the snapshot, for messages (`[2]`). */
  index: number;
  id: string;
  /** Without Docker's leading `/`. */
  name: string;
  labels: Readonly<Record<string, string>>;
  /** The container's addresses on its networks, by family. */
  addresses: Record<Family, string[]>;
  ports: ContainerPort[];
}

export interface ContainersSnapshot {
  file: string;
  containers: ContainerInfo[];
}

/** The compose labels `docker compose` puts on every container it starts. */
export const COMPOSE_SERVICE_LABEL = 'com.docker.compose.service';
export const COMPOSE_PROJECT_LABEL = 'com.docker.compose.project';

const HOW = 'save it with: docker inspect $(docker ps -q) > containers.json';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

const isObj = (v: Json | undefined): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function describeJson(v: Json | undefined): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `the string ${quotedShort(v)}`;
  return `${typeof v === 'number' ? 'the number' : 'the boolean'} ${String(v)}`;
}

/** Errors at a JSON path, placed at the line and column of the value (found only when needed). */
class Places {
  private doc: ReturnType<typeof parseDocument> | undefined;
  private lines = new LineCounter();

  constructor(
    private readonly text: string,
    private readonly file: string,
  ) {}

  fail(path: Path, reason: string): never {
    const offset = this.offsetOf(path);
    const { line, col } = this.lines.linePos(offset);
    const start = this.lines.lineStarts[line - 1] ?? 0;
    const next = this.lines.lineStarts[line];
    const source = this.text.slice(start, next ?? this.text.length).replace(/\r?\n$/, '');
    throw new DfwSyntaxError(atPath(path, reason), { file: this.file, line, column: col, source });
  }

  /** JSON is YAML: the yaml package gives each value's range; the nearest parent when a key is missing. */
  private offsetOf(path: Path): number {
    this.doc ??= parseDocument(this.text, { lineCounter: this.lines, uniqueKeys: false });
    for (let n = path.length; n > 0; n--) {
      const node: unknown = this.doc.getIn(path.slice(0, n), true);
      if (node !== null && typeof node === 'object' && 'range' in node) {
        const range = (node as { range?: [number, number, number] }).range;
        if (range) return range[0];
      }
    }
    const root = this.doc.contents;
    return root && (isMap(root) || isSeq(root) || 'range' in root) ? (root.range?.[0] ?? 0) : 0;
  }
}

/** A function declaration, so that TypeScript narrows after a call that never returns. */
function fail(places: Places, path: Path, reason: string): never {
  return places.fail(path, reason);
}

/** Reading one container object, with its path. */
interface At {
  places: Places;
  path: Path;
}

function field(at: At, obj: Obj, key: string): { value: Json | undefined; at: At } {
  return { value: obj[key], at: { places: at.places, path: [...at.path, key] } };
}

function str(value: Json | undefined, at: At, what: string): string {
  if (typeof value !== 'string') fail(at.places, at.path, `expected ${what}, found ${describeJson(value)}`);
  return value;
}

function objOrNull(value: Json | undefined, at: At, what: string): Obj | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObj(value)) fail(at.places, at.path, `expected ${what}, found ${describeJson(value)}`);
  return value;
}

/** Other things `docker inspect` prints, told apart by a field only they have. */
const NOT_CONTAINERS: [string, string][] = [
  ['RepoTags', 'an image'],
  ['IPAM', 'a network'],
  ['Mountpoint', 'a volume'],
  ['Spec', 'a swarm object (service, node, task...)'],
];

/**
 * Reads and checks a snapshot. Refused: empty text, text that is not JSON, JSON that is not the
 * array of containers docker inspect prints, a field of the wrong type, a port or address that
 * is not one, and two entries with the same name or id.
 * @throws DfwSyntaxError at the offending place, its message starting with the JSON path.
 */
export function readContainers(text: string, file: string): ContainersSnapshot {
  const places = new Places(text, file);
  if (text.trim() === '') {
    throw new DfwSyntaxError(
      `empty: expected the JSON array docker inspect prints (docker ps -q printed no container? ${HOW})`,
      { file, line: 1, column: 1, source: text.split('\n')[0] ?? '' },
    );
  }
  const top = parseJsonText(text, file) as Json;
  if (!Array.isArray(top)) {
    const hint = isObj(top) ? ' (one container as an object: docker inspect --format "{{json .}}" prints that)' : '';
    fail(places, [], `expected the JSON array docker inspect prints, found ${describeJson(top)}${hint}; ${HOW}`);
  }
  const containers = top.map((v, i) => readContainer(v, { places, path: [i] }));
  checkUnique(containers, places);
  return { file, containers };
}

function readContainer(value: Json, at: At): ContainerInfo {
  if (!isObj(value))
    fail(
      at.places,
      at.path,
      `expected a container (an object, as docker inspect prints), found ${describeJson(value)}`,
    );
  for (const [key, what] of NOT_CONTAINERS) {
    if (key in value && !('NetworkSettings' in value))
      fail(at.places, at.path, `this is ${what}, not a container (it has ${key}); ${HOW}`);
  }
  const id = str(field(at, value, 'Id').value, field(at, value, 'Id').at, 'the container id (a string)');
  const nameF = field(at, value, 'Name');
  const rawName = str(nameF.value, nameF.at, 'the container name (a string such as "/web")');
  if (!/^\/[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(rawName))
    fail(at.places, nameF.at.path, `${quoted(rawName)} is not a container name as docker inspect prints it ("/web")`);
  const config = field(at, value, 'Config');
  const configObj = objOrNull(config.value, config.at, 'the container configuration (an object)');
  const labels = configObj ? readLabels(field(config.at, configObj, 'Labels')) : {};
  const ns = field(at, value, 'NetworkSettings');
  if (!isObj(ns.value))
    fail(
      at.places,
      ns.at.path,
      `expected the network settings of a container (an object), found ${describeJson(ns.value)}`,
    );
  const ports = readPorts(field(ns.at, ns.value, 'Ports'));
  const addresses = readNetworks(field(ns.at, ns.value, 'Networks'));
  return { index: at.path[0] as number, id, name: rawName.slice(1), labels, addresses, ports };
}

function readLabels({ value, at }: { value: Json | undefined; at: At }): Record<string, string> {
  const obj = objOrNull(value, at, 'the labels (an object of strings)');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj ?? {}))
    out[k] = str(v, { ...at, path: [...at.path, k] }, 'a label value (a string)');
  return out;
}

const PORT_KEY = /^([0-9]+)\/(tcp|udp|sctp)$/;

function portNumber(text: string): number | undefined {
  if (!/^[0-9]{1,5}$/.test(text)) return undefined;
  const n = Number(text);
  return n >= 1 && n <= 65535 ? n : undefined;
}

function readPorts({ value, at }: { value: Json | undefined; at: At }): ContainerPort[] {
  const obj = objOrNull(value, at, 'the ports (an object such as {"80/tcp": [...]})');
  const out: ContainerPort[] = [];
  for (const [key, list] of Object.entries(obj ?? {})) {
    const here: At = { ...at, path: [...at.path, key] };
    const m = PORT_KEY.exec(key);
    const port = m ? portNumber(m[1]!) : undefined;
    if (!m || port === undefined)
      fail(
        at.places,
        here.path,
        `${quoted(key)} is not a container port as Docker writes it (PORT/PROTO, e.g. "80/tcp")`,
      );
    if (list === null) {
      out.push({ proto: m[2] as PortProto, port, bindings: [] }); // exposed, not published
      continue;
    }
    if (!Array.isArray(list))
      fail(at.places, here.path, `expected null or a list of {HostIp, HostPort}, found ${describeJson(list)}`);
    const bindings = list.map((b, i) => readBinding(b, { ...here, path: [...here.path, i] }));
    out.push({ proto: m[2] as PortProto, port, bindings });
  }
  return out;
}

function readBinding(b: Json, at: At): PortBinding {
  if (!isObj(b)) fail(at.places, at.path, `expected {HostIp, HostPort}, found ${describeJson(b)}`);
  const ipF = field(at, b, 'HostIp');
  const hostIp = str(ipF.value, ipF.at, 'the host address (a string, "" for every address)');
  if (hostIp !== '' && parseIPv4(hostIp) === undefined && parseIPv6(hostIp) === undefined)
    fail(at.places, ipF.at.path, `${quoted(hostIp)} is not an IPv4 or IPv6 address`);
  const portF = field(at, b, 'HostPort');
  const text = str(portF.value, portF.at, 'the host port (a string such as "8080")');
  const hostPort = portNumber(text);
  if (hostPort === undefined) fail(at.places, portF.at.path, `${quoted(text)} is not a port (1-65535)`);
  return { hostIp, hostPort };
}

function readNetworks({ value, at }: { value: Json | undefined; at: At }): Record<Family, string[]> {
  const out: Record<Family, string[]> = { 4: [], 6: [] };
  const obj = objOrNull(value, at, 'the networks (an object)');
  for (const [name, net] of Object.entries(obj ?? {})) {
    const here: At = { ...at, path: [...at.path, name] };
    if (!isObj(net)) fail(at.places, here.path, `expected a network endpoint (an object), found ${describeJson(net)}`);
    for (const [key, family] of [
      ['IPAddress', 4],
      ['GlobalIPv6Address', 6],
    ] as const) {
      const f = field(here, net, key);
      if (f.value === undefined || f.value === '') continue;
      const text = str(f.value, f.at, `an IPv${family} address (a string)`);
      const bytes = family === 4 ? parseIPv4(text) : parseIPv6(text);
      if (!bytes) fail(at.places, f.at.path, `${quoted(text)} is not an IPv${family} address`);
      const shown = formatAddress({ family, bytes });
      if (!out[family].includes(shown)) out[family].push(shown);
    }
  }
  return out;
}

/** Two entries with one name or id: two snapshots put together, or a container listed twice. */
function checkUnique(containers: ContainerInfo[], places: Places): void {
  const byName = new Map<string, ContainerInfo>();
  const byId = new Map<string, ContainerInfo>();
  for (const c of containers) {
    const sameId = byId.get(c.id);
    if (sameId)
      fail(
        places,
        [c.index, 'Id'],
        `container ${quoted(c.name)} is listed twice (also [${sameId.index}]): give each container once`,
      );
    const sameName = byName.get(c.name);
    if (sameName)
      fail(
        places,
        [c.index, 'Name'],
        `two containers are named ${quoted(c.name)} ([${sameName.index}] and [${c.index}]): one host never has two; were two snapshots put together?`,
      );
    byName.set(c.name, c);
    byId.set(c.id, c);
  }
}
