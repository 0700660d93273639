// The container an allow rule names: `container: NAME`, `service: NAME` (with an optional
// `project: NAME`) or `label: KEY=VALUE`. The loader only checks the words; which containers
// they select is decided against a `docker inspect` snapshot (names-resolve.ts).
//
// - One selector per rule: a rule naming a container and a service would be read as "either"
//   by some and "both" by others.
// - `to` (container addresses) does not go with a selector: the snapshot gives the addresses,
//   and addresses written by hand are what a name is meant to replace.

import type { Path } from '../text/path.js';
import { quoted } from '../text/quote.js';
import type { ContainerSelector } from './types.js';
import type { Field, YamlReader } from './yaml-reader.js';

export const SELECTOR_KEYS = ['container', 'service', 'project', 'label'];

/** Docker's container names (daemon/names: `[a-zA-Z0-9][a-zA-Z0-9_.-]+`), without the leading `/`. */
const CONTAINER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
/** Compose service and project names are a subset of this. */
const COMPOSE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

function word(r: YamlReader, f: Field, path: Path, what: string, re: RegExp, example: string): string {
  const node = r.present(f, path, what);
  const s = r.str(node, path, what, f.key);
  r.checkText(node, path, s);
  if (!re.test(s)) {
    r.fail(
      node,
      path,
      `${quoted(s)} is not ${what}: letters, digits, "_", "." and "-", starting with a letter or digit (e.g. ${example})`,
    );
  }
  return s;
}

/** The rule's selector, or undefined when it names no container. */
export function readSelector(r: YamlReader, fields: Map<string, Field>, path: Path): ContainerSelector | undefined {
  const given = ['container', 'service', 'label'].filter((k) => fields.has(k));
  const project = fields.get('project');
  if (given.length > 1) {
    const second = fields.get(given[1]!)!;
    r.fail(
      second.key,
      [...path, given[1]!],
      `give one of container, service or label, not ${given.join(' and ')}: a rule selects containers one way`,
    );
  }
  if (project && given[0] !== 'service') {
    r.fail(
      project.key,
      [...path, 'project'],
      'project narrows a compose service: it goes with service: NAME (the label com.docker.compose.project)',
    );
  }
  const kind = given[0];
  if (kind === undefined) return undefined;
  const f = fields.get(kind)!;
  const at = [...path, kind];
  if (kind === 'container') {
    return { kind, name: word(r, f, at, 'a container name', CONTAINER_NAME, 'web') };
  }
  if (kind === 'service') {
    const service = word(r, f, at, 'a compose service name', COMPOSE_NAME, 'web');
    if (!project) return { kind, service };
    return {
      kind,
      service,
      project: word(r, project, [...path, 'project'], 'a compose project name', COMPOSE_NAME, 'shop'),
    };
  }
  const expected = 'KEY=VALUE (a container label, e.g. com.example.role=web)';
  const node = r.present(f, at, expected);
  const s = r.str(node, at, expected, f.key);
  r.checkText(node, at, s);
  const eq = s.indexOf('=');
  if (eq <= 0) r.fail(node, at, `${quoted(s)}: expected ${expected}`);
  return { kind: 'label', key: s.slice(0, eq), value: s.slice(eq + 1) };
}

/** How messages name a selector: `container web`, `service web of project shop`, `label role=web`. */
export function selectorText(s: ContainerSelector): string {
  if (s.kind === 'container') return `container ${quoted(s.name)}`;
  if (s.kind === 'service')
    return `service ${quoted(s.service)}${s.project === undefined ? '' : ` of project ${quoted(s.project)}`}`;
  return `label ${quoted(`${s.key}=${s.value}`)}`;
}
