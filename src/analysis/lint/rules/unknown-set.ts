// Rules that name an ipset the given `ipset save` dump does not have: iptables-restore fails the
// whole table on them ("Set X doesn't exist"), and on a host that has the set, its members are
// not what the dump beside it says (docs/docker.md#ipset-lifecycle).
import type { Rule } from '../../../iptables/ast.js';
import { someRuleLine } from '../../../iptables/parsed.js';
import { matchOptions } from '../../../docker/layout-rule.js';
import type { LintRule } from '../types.js';

const SET_FLAGS = ['--match-set', '--add-set', '--del-set', '--map-set'];
/** A set name after one of SET_FLAGS in a source line: quoted (with escapes) or a word. */
const SET_WORD = /--(?:match|add|del|map)-set ("(?:[^"\\]|\\.)*"|\S+)/g;

const unquote = (w: string): string => (w.startsWith('"') ? w.slice(1, -1).replace(/\\(.)/g, '$1') : w);

/** The set names of one rule, with the option's flag (for the column). */
function setsOf(r: Rule): { name: string; flag: string }[] {
  return matchOptions(r, SET_FLAGS)
    .concat(
      (r.spec.target?.options ?? []).filter((o) => SET_FLAGS.includes(o.flag)).map((option) => ({ match: '', option })),
    )
    .flatMap((x) => (x.option.values[0] === undefined ? [] : [{ name: x.option.values[0], flag: x.option.flag }]));
}

export const unknownSet: LintRule = {
  id: 'unknown-set',
  severity: 'error',
  short: 'A rule uses a set that the given ipset dump does not have',
  full:
    'A rule that names an ipset (`-m set --match-set NAME`, `-j SET --add-set NAME`) needs the set to exist ' +
    'before the rules are restored: iptables-restore refuses the whole table otherwise. When the ipset dump ' +
    'given with --ipsets lacks a set the rules use, the two dumps are not of the same host or moment, or the ' +
    'boot order loads the rules before the sets.',
  help:
    'Create the set before the rules are restored (`ipset restore` first; in a dfw policy, declare it under ' +
    '`ipsets:`), or pass the `ipset save` dump of the same host with --ipsets.',
  needs: '--ipsets',
  check(ctx, report) {
    if (ctx.ipsets === undefined) return;
    const known = new Set(ctx.ipsets.lines.flatMap((l) => (l.kind === 'create' ? [l.set] : [])));
    for (const d of ctx.dumps) {
      for (const t of d.dump.items) {
        if (t.kind !== 'table') continue;
        const missing = new Set<string>();
        // The names are read from the lines first; no rule is built unless one is missing.
        someRuleLine(t, (raw) => {
          if (!raw.includes('-set ')) return false;
          for (const m of raw.matchAll(SET_WORD)) if (!known.has(unquote(m[1]!))) missing.add(unquote(m[1]!));
          return false;
        });
        if (missing.size === 0) continue;
        for (const r of t.body) {
          if (r.kind !== 'rule') continue;
          for (const s of setsOf(r)) {
            if (!missing.has(s.name)) continue;
            report(
              d,
              { node: r, needle: `${s.flag} ` },
              `${t.name} ${r.chain} uses set ${s.name}, which the ipset dump ${ctx.ipsets.file} does not have: iptables-restore would fail ("Set ${s.name} doesn't exist")`,
              `create the set before the rules (\`ipset restore\` first); in a dfw policy: \`ipsets: { ${s.name}: { type: …, family: ${d.family === 6 ? 'inet6' : 'inet'}, entries: […] } }\``,
            );
          }
        }
      }
    }
  },
};
