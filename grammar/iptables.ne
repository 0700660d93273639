# One line of an iptables-save dump or of iptables-restore input (docs/format.md#iptables-save-output,
# docs/format.md#iptables-restore-input).
#
# The grammar sees tokens classified by src/iptables/lexer.ts (moo lexer + word classes).
# Postprocessors record token POSITIONS, not values: the structure of a line depends only
# on its sequence of token types, so the parse of one line is reused for every line of the
# same shape (src/iptables/shape.ts), and values are read from each line's own tokens.
# Postprocessors build new arrays and never mutate their inputs (Earley may reuse them).

@preprocessor typescript
@{%
import { TokenStream } from '../token-stream.js';
import { TOKEN_TYPES } from '../iptables/lexer.js';
// The token types come from the lexer (commands and section flags from src/iptables/commands.ts):
// a %name below that is not one of them fails when the grammar loads.
const lexer = new TokenStream(TOKEN_TYPES);
const at = (t) => (t ? t.index : -1);
const cmd = (kind, op, chain, args, spec) => ({ kind, op: op.index, chain: at(chain), args: args.filter(Boolean).map(at), spec });
%}
@lexer lexer

line -> %comment                       {% () => ({ kind: 'comment' }) %}
      | %table                         {% ([t]) => ({ kind: 'table', name: t.index }) %}
      | %colon %word %word %counters:? {% ([, c, p, k]) => ({ kind: 'chain', name: c.index, policy: p.index, counters: at(k) }) %}
      | %commit                        {% () => ({ kind: 'commit' }) %}
      | %counters:? command            {% ([k, c]) => ({ ...c, counters: at(k) }) %}

# -A CHAIN rule-spec is a rule; every other command keeps its arguments in `args`. The forms
# are those of the `forms` column of src/iptables/commands.ts (test/iptables-commands.test.ts).
command -> %append %word spec          {% ([o, c, s]) => cmd('rule', o, c, [], s) %}
         | %insert %word %word:? spec  {% ([o, c, n, s]) => cmd('command', o, c, [n], s) %}
         | %check %word spec           {% ([o, c, s]) => cmd('command', o, c, [], s) %}
         | %del %word spec             {% ([o, c, s]) => cmd('command', o, c, [], s) %}
         | %del %word %word            {% ([o, c, n]) => cmd('command', o, c, [n], null) %}
         | %replace %word %word spec   {% ([o, c, n, s]) => cmd('command', o, c, [n], s) %}
         | %newchain %word             {% ([o, c]) => cmd('command', o, c, [], null) %}
         | %delchain %word:?           {% ([o, c]) => cmd('command', o, c, [], null) %}
         | %flush %word:?              {% ([o, c]) => cmd('command', o, c, [], null) %}
         | %zero %word:?               {% ([o, c]) => cmd('command', o, c, [], null) %}
         | %zero %word %word           {% ([o, c, n]) => cmd('command', o, c, [n], null) %}
         | %policy %word %word         {% ([o, c, p]) => cmd('command', o, c, [p], null) %}
         | %rename %word %word         {% ([o, c, n]) => cmd('command', o, c, [n], null) %}

# Options before the first -m/-j/-g are the rule's own (-s, -d, -i, -o, -p, -f, -c...);
# each later option belongs to the match or target section before it.
spec -> option:* section:*             {% ([options, sections]) => ({ options, sections }) %}

option -> %bang:? %opt %word:*         {% ([b, f, vs]) => ({ neg: at(b), flag: f.index, values: vs.map(at) }) %}

section -> %match %word option:*       {% ([f, n, os]) => ({ kind: 'match', flag: f.index, name: n.index, options: os }) %}
         | %jump %word option:*        {% ([f, n, os]) => ({ kind: 'jump', flag: f.index, name: n.index, options: os }) %}
         | %goto %word                 {% ([f, n]) => ({ kind: 'goto', flag: f.index, name: n.index, options: [] }) %}
