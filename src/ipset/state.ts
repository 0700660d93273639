// The sets a dump describes: the state the kernel would be in after restoring it into an empty
// namespace (for an `ipset save` dump: the state it was saved from). Members are kept as ipset
// stores them (src/ipset/members.ts), in the dump's order.
import { DfwError, DfwSyntaxError } from '../errors.js';
import type { IpsetDump, IpsetLine } from './ast.js';
import { type SetHeader, readHeader } from './header.js';
import { type Member, normalizeElement, normalizeEntryOptions } from './members.js';

export interface SetState {
  name: string;
  header: SetHeader;
  /** Members by element, in insertion order (list order for list:set). */
  members: Map<string, Member>;
}

function problem(d: IpsetDump, line: IpsetLine, reason: string): DfwError {
  if (line.source === undefined) return new DfwError(`${d.file}: ${reason}`);
  const source = line.source.text.replace(/\r$/, '');
  return new DfwSyntaxError(reason, { file: d.file, line: line.source.line, column: 1, source });
}

export interface DumpStateOptions {
  /**
   * Keep the members of these sets only: the others' `members` stay empty, their entries
   * neither normalised nor stored (the parser has checked them). A reconcile needs the members
   * of the policy's sets, and of the rest only names and headers; a host's big blocklist then
   * costs nothing. Ignored when the dump renames or swaps sets (a name then changes hands).
   */
  membersOf?: ReadonlySet<string>;
}

/** Applies a dump's commands in order, as ipset restore would on a host without sets. */
export function dumpState(d: IpsetDump, options: DumpStateOptions = {}): Map<string, SetState> {
  const sets = new Map<string, SetState>();
  const keep =
    options.membersOf === undefined || d.lines.some((l) => l.kind === 'rename' || l.kind === 'swap')
      ? undefined
      : options.membersOf;
  const need = (line: IpsetLine, name: string): SetState => {
    const s = sets.get(name);
    if (s === undefined)
      throw problem(d, line, `set ${name} is used before the dump creates it (dfw needs a whole \`ipset save\` dump)`);
    return s;
  };
  for (const line of d.lines) {
    switch (line.kind) {
      case 'create': {
        const h = readHeader(line.type, line.options);
        if (!h.ok) throw problem(d, line, h.reason);
        const old = sets.get(line.set);
        if (old !== undefined) {
          // With -exist, a create of the same type changes nothing (docs/format.md#what-ipset-restore-applies).
          if (line.exist && old.header.type === line.type && old.header.family === h.header.family) break;
          throw problem(d, line, `set ${line.set} already exists`);
        }
        sets.set(line.set, { name: line.set, header: h.header, members: new Map() });
        break;
      }
      case 'add':
      case 'del': {
        const s = need(line, line.set);
        if (keep !== undefined && !keep.has(line.set)) break;
        const e = normalizeElement(s.header, line.entry);
        if (!e.ok) throw problem(d, line, e.reason);
        const o = normalizeEntryOptions(s.header, line.kind, line.options);
        if (!o.ok) throw problem(d, line, o.reason);
        for (const element of e.value) {
          if (line.kind === 'del') s.members.delete(element);
          else if (s.header.type === 'list:set')
            insertListMember(
              s,
              { element, options: o.options.filter((x) => x.name !== 'before' && x.name !== 'after') },
              o.options,
            );
          else s.members.set(element, { element, options: o.options });
        }
        break;
      }
      case 'flush':
        for (const s of line.set === undefined ? sets.values() : [need(line, line.set)]) s.members.clear();
        break;
      case 'destroy':
        if (line.set === undefined) sets.clear();
        else {
          need(line, line.set);
          sets.delete(line.set);
        }
        break;
      case 'rename': {
        const s = need(line, line.set);
        if (sets.has(line.to)) throw problem(d, line, `cannot rename ${line.set} to ${line.to}: that set exists`);
        sets.delete(line.set);
        sets.set(line.to, { ...s, name: line.to });
        break;
      }
      case 'swap': {
        const a = need(line, line.set);
        const b = need(line, line.to);
        sets.set(line.set, { ...b, name: line.set });
        sets.set(line.to, { ...a, name: line.to });
        break;
      }
      default:
        break;
    }
  }
  return sets;
}

/** list:set adds honour `before NAME` / `after NAME` (applied at add time, docs/format.md#entries). */
function insertListMember(s: SetState, m: Member, options: Member['options']): void {
  const pos = options.find((o) => o.name === 'before' || o.name === 'after');
  const list = [...s.members.values()].filter((x) => x.element !== m.element);
  let at = list.length;
  if (pos?.value !== undefined) {
    const i = list.findIndex((x) => x.element === pos.value);
    if (i >= 0) at = pos.name === 'before' ? i : i + 1;
  }
  list.splice(at, 0, m);
  s.members = new Map(list.map((x) => [x.element, x]));
}
