# One line of an `ipset save` dump or of `ipset restore` input (docs/format.md#ipset-save-output,
# docs/format.md#ipset-restore-input).
#
# The grammar reads the tokens of src/ipset/lexer.ts: words with their quotes removed, `-exist`
# already taken out (ipset strips it from anywhere on the line), comment and COMMIT lines as
# single tokens. Keyword literals compare a word without two leading dashes (`--timeout` is
# `timeout`, as ipset_match_option() allows); commands and types are matched by %-terminals
# defined below, with ipset's prefix and alias rules.
#
# Postprocessors record token POSITIONS (`index`), not values: the parse of a line depends only
# on the classes of its tokens (src/ipset/lexer.ts tokenClass()), so it is reused for every line of
# the same shape. They build new objects and never mutate their inputs (Earley may reuse them).
#
# Option values are any word here; src/ipset/parse.ts checks them against the set's type, so that
# errors say what the value should be.

@preprocessor typescript
@{%
import { TokenStream } from '../token-stream.js';
import { commandOf, setTypeOf } from '../ipset/settypes.js';
const lexer = new TokenStream(['word', 'comment', 'commit']);

const cmd = (name) => ({ test: (t) => t.type === 'word' && commandOf(t.value) === name, label: name });
const types = (label, names) => ({ test: (t) => t.type === 'word' && names.includes(setTypeOf(t.value)), label });

var CREATE = cmd('create');
var ADD = cmd('add');
var DEL = cmd('del');
var TEST = cmd('test');
var FLUSH = cmd('flush');
var DESTROY = cmd('destroy');
var RENAME = cmd('rename');
var SWAP = cmd('swap');

// Types grouped by the create options they take (`ipset help TYPE`).
var T_HASH_IP = types('hash:ip', ['hash:ip']);
var T_HASH_MASKED = types('hash:ip,port or hash:net,net', ['hash:ip,port', 'hash:net,net']);
var T_HASH = types('a hash type', ['hash:ip,mac', 'hash:ip,port,ip', 'hash:ip,port,net', 'hash:net', 'hash:net,iface', 'hash:net,port', 'hash:net,port,net']);
var T_HASH_MARK = types('hash:ip,mark', ['hash:ip,mark']);
var T_HASH_MAC = types('hash:mac', ['hash:mac']);
var T_BITMAP_IP = types('bitmap:ip', ['bitmap:ip']);
var T_BITMAP = types('bitmap:ip,mac or bitmap:port', ['bitmap:ip,mac', 'bitmap:port']);
var T_LIST = types('list:set', ['list:set']);

const at = (t) => (t ? t.index : -1);
const opt = (k, v) => ({ key: k.index, value: at(v) });
const line = (kind, c, args, options) => ({ kind, cmd: c.index, args: args.map(at), options });
%}
@lexer lexer

# An option keyword with its value, or alone (macros come first: nearleyc needs them defined before use).
valued[K] -> $K %word                          {% ([[k], v]) => opt(k, v) %}
flag[K]   -> $K                                {% ([[k]]) => opt(k, null) %}

line -> null                                   {% () => ({ kind: 'blank' }) %}
      | %comment                               {% () => ({ kind: 'comment' }) %}
      | %commit                                {% () => ({ kind: 'commit' }) %}
      | command                                {% id %}

command -> %CREATE %word create                {% ([c, n, [t, os]]) => line('create', c, [n, t], os) %}
         | %ADD %word %word addOpt:*           {% ([c, n, e, os]) => line('add', c, [n, e], os) %}
         | %DEL %word %word delOpt:*           {% ([c, n, e, os]) => line('del', c, [n, e], os) %}
         | %TEST %word %word testOpt:*         {% ([c, n, e, os]) => line('test', c, [n, e], os) %}
         | %FLUSH %word:?                      {% ([c, n]) => line('flush', c, n ? [n] : [], []) %}
         | %DESTROY %word:?                    {% ([c, n]) => line('destroy', c, n ? [n] : [], []) %}
         | %RENAME %word %word                 {% ([c, a, b]) => line('rename', c, [a, b], []) %}
         | %SWAP %word %word                   {% ([c, a, b]) => line('swap', c, [a, b], []) %}

# create SETNAME TYPENAME [type-specific options], in any order (call_parser() loops over them).
create -> %T_HASH_IP hashIpOpt:*               {% ([t, os]) => [t, os] %}
        | %T_HASH_MASKED hashIpOpt:*           {% ([t, os]) => [t, os] %}
        | %T_HASH hashOpt:*                    {% ([t, os]) => [t, os] %}
        | %T_HASH_MARK hashMarkOpt:*           {% ([t, os]) => [t, os] %}
        | %T_HASH_MAC hashMacOpt:*             {% ([t, os]) => [t, os] %}
        | %T_BITMAP_IP bitmapIpOpt:*           {% ([t, os]) => [t, os] %}
        | %T_BITMAP bitmapOpt:*                {% ([t, os]) => [t, os] %}
        | %T_LIST listOpt:*                    {% ([t, os]) => [t, os] %}

hashIpOpt   -> hashOpt {% id %} | netmask {% id %} | bitmask {% id %}
hashOpt     -> family {% id %} | hashMacOpt {% id %}
hashMarkOpt -> hashOpt {% id %} | valued["markmask"] {% id %}
hashMacOpt  -> valued["hashsize"] {% id %} | valued["maxelem"] {% id %} | extension {% id %} | flag["forceadd"] {% id %}
             | valued["bucketsize"] {% id %} | valued["initval"] {% id %}
             | valued["probes"] {% id %} | valued["resize"] {% id %} | valued["gc"] {% id %}
bitmapIpOpt -> bitmapOpt {% id %} | netmask {% id %}
bitmapOpt   -> valued["range"] {% id %} | extension {% id %}
listOpt     -> valued["size"] {% id %} | extension {% id %}

family    -> valued["family"] {% id %} | flag["-4"] {% id %} | flag["-6"] {% id %}
netmask   -> valued["netmask"] {% id %}
bitmask   -> valued["bitmask"] {% id %}
extension -> valued["timeout"] {% id %} | flag["counters"] {% id %} | flag["comment"] {% id %} | flag["skbinfo"] {% id %}

# add/del/test SETNAME ENTRY [options]: the type is not on the line, so every option any type
# takes is accepted here and checked against the set's type by the parser driver.
addOpt  -> valued["timeout"] {% id %} | flag["nomatch"] {% id %} | flag["wildcard"] {% id %}
         | valued["packets"] {% id %} | valued["bytes"] {% id %} | valued["comment"] {% id %}
         | valued["skbmark"] {% id %} | valued["skbprio"] {% id %} | valued["skbqueue"] {% id %}
         | position {% id %}
delOpt  -> position {% id %}
testOpt -> flag["nomatch"] {% id %} | position {% id %}
position -> valued["before"] {% id %} | valued["after"] {% id %}

