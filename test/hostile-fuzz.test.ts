// Hostile input: property and fuzz tests with fast-check.
//   (a) generated dumps (tables, chains, rules with random options and values, quotes, UTF-8)
//       round-trip: print(parse(x)) === x, and the fast path gives the same AST as the plain one;
//   (b) generated valid policies transform idempotently on real fixtures, and strip undoes them;
//   (c) random mutations of the real fixtures (bytes flipped, lines cut, duplicated, shuffled,
//       truncated, UTF-8 and control characters inserted) never crash the parsers: they parse or
//       throw dfw's own DfwError, the fast and plain paths agree, and what parses prints back.
// Well over 10,000 cases a run; each property also has a time limit so that a loaded machine
// cannot make the file hang (the counts that ran are checked at the end).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { DfwError } from '../src/errors.js';
import { parseIpset, printIpset } from '../src/ipset/index.js';
import { BUILTIN_CHAINS, TABLES, type TableName } from '../src/iptables/ast.js';
import { FREE_TEXT_OPTIONS } from '../src/iptables/lexer.js';
import { parseIptables } from '../src/iptables/parse.js';
import { printIptables } from '../src/iptables/print.js';
import { alwaysQuoted, saveString } from '../src/iptables/quote.js';
import { loadPolicy } from '../src/policy/load.js';
import type { Policy } from '../src/policy/types.js';
import { transformDump } from '../src/transform/inject.js';
import { stripDump } from '../src/transform/strip.js';
import { FIXTURES, iptablesFixtures } from './support/fixtures.js';

/** DFW_FUZZ_SCALE=10 npx vitest run test/hostile-fuzz.test.ts fuzzes ten times longer (locally). */
const SCALE = Math.max(1, Number(process.env.DFW_FUZZ_SCALE ?? 1) || 1);
/** Runs each property must reach; time limits only guard against a stalled machine. */
const RUNS = {
  dumps: 2500 * SCALE,
  policies: 1000 * SCALE,
  iptablesMutations: 6000 * SCALE,
  ipsetMutations: 2500 * SCALE,
};
// Three to four times what a quiet 2-core machine needs: CI runs four test files at once, and
// a limit that binds there cut the runs short of the count the last test asserts.
const TIME_LIMIT_MS = {
  dumps: 60_000 * SCALE,
  policies: 40_000 * SCALE,
  iptablesMutations: 90_000 * SCALE,
  ipsetMutations: 40_000 * SCALE,
};
const ran: Record<keyof typeof RUNS, number> = { dumps: 0, policies: 0, iptablesMutations: 0, ipsetMutations: 0 };
const TEST_TIMEOUT = 150_000 * SCALE;

function assertProperty<T>(name: keyof typeof RUNS, arb: fc.Arbitrary<T>, check: (v: T) => void): void {
  fc.assert(
    fc.property(arb, (v) => {
      check(v);
      ran[name]++; // cases that ran to the end (not those skipped by fc.pre)
    }),
    { numRuns: RUNS[name], interruptAfterTimeLimit: TIME_LIMIT_MS[name], markInterruptAsFailure: false },
  );
}

const json = (x: unknown) => JSON.stringify(x);

// ---- (a) generated dumps -----------------------------------------------------------------------

/** Free text with the characters that matter to the quoting: quotes, backslashes, blanks, #, UTF-8. */
const freeText = fc
  .array(
    fc.oneof(
      { weight: 3, arbitrary: fc.string({ unit: 'grapheme', minLength: 0, maxLength: 6 }) },
      {
        weight: 3,
        arbitrary: fc.constantFrom(
          '"',
          '\\',
          "'",
          ' ',
          '\t',
          '#',
          '!',
          '-',
          '--x',
          '$(id)',
          '`',
          'é',
          '☃',
          '🙂',
          '日本',
          '\\"',
          '" -j ACCEPT',
          '*filter',
          'COMMIT',
          ':',
          ',',
        ),
      },
    ),
    { maxLength: 6 },
  )
  .map((parts) => parts.join(''))
  .filter((s) => !/[\n\r\0]/.test(s) && s.length <= 60);

/** An unquoted value word: no blank, quote or control character, never an option or a negation. */
const rawWord = fc
  .oneof(
    fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.:,/+=@%-]{0,14}$/),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }),
  )
  .filter((s) => !/[\s"\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(s) && !/^[-!]/.test(s) && s !== '');

const address = fc.constantFrom('192.0.2.1/32', '198.51.100.0/24', '203.0.113.0/25', '192.0.2.128/26', '10.0.0.0/8');
const iface = fc.constantFrom('eth0', 'eth+', 'docker0', 'br-1a2b', 'lo', 'wg0', 'ens3');
const RESERVED_LONG = new Set([
  '--append',
  '--insert',
  '--delete',
  '--replace',
  '--check',
  '--new-chain',
  '--delete-chain',
  '--flush',
  '--zero',
  '--policy',
  '--rename-chain',
  '--match',
  '--jump',
  '--goto',
  '--table',
  '--source',
  '--src',
  '--destination',
  '--dst',
  '--in-interface',
  '--out-interface',
  '--protocol',
  '--fragment',
]);
const longOpt = fc
  .stringMatching(/^--[a-z][a-z0-9-]{0,12}$/)
  .filter((o) => !FREE_TEXT_OPTIONS.has(o) && !RESERVED_LONG.has(o));
const neg = fc.boolean().map((b) => (b ? '! ' : ''));

const ownOption = fc.oneof(
  fc.tuple(neg, fc.constantFrom('-s', '-d'), address).map(([n, f, a]) => `${n}${f} ${a}`),
  fc.tuple(neg, fc.constantFrom('-i', '-o'), iface).map(([n, f, i]) => `${n}${f} ${i}`),
  fc.tuple(neg, fc.constantFrom('tcp', 'udp', 'icmp', 'sctp', 'gre')).map(([n, p]) => `${n}-p ${p}`),
);

const genericOption = fc
  .tuple(neg, longOpt, fc.array(rawWord, { minLength: 0, maxLength: 2 }))
  .map(([n, o, vs]) => [`${n}${o}`, ...vs].join(' '));

const match = fc.oneof(
  freeText.map((t) => `-m comment --comment ${saveString(t)}`),
  freeText.filter((t) => t.length <= 128).map((t) => `-m string --string ${alwaysQuoted(t)} --algo bm`),
  fc.tuple(fc.constantFrom('tcp', 'udp'), fc.integer({ min: 1, max: 65535 })).map(([p, n]) => `-m ${p} --dport ${n}`),
  fc.constantFrom(
    '-m conntrack --ctstate RELATED,ESTABLISHED',
    '-m set --match-set ipfriends src',
    '-m limit --limit 5/min',
    '-m addrtype --dst-type LOCAL',
  ),
  fc
    .tuple(fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/), fc.array(genericOption, { maxLength: 3 }))
    .map(([m, os]) => [`-m ${m}`, ...os].join(' ')),
);

function target(chains: string[]) {
  return fc.oneof(
    fc.constantFrom(
      '-j ACCEPT',
      '-j DROP',
      '-j RETURN',
      '-j REJECT --reject-with icmp-port-unreachable',
      '-j MARK --set-xmark 0x1/0xffffffff',
    ),
    freeText.filter((t) => Buffer.byteLength(t) <= 29).map((t) => `-j LOG --log-prefix ${saveString(t)}`),
    ...(chains.length > 0 ? [fc.constantFrom(...chains).chain((c) => fc.constantFrom(`-j ${c}`, `-g ${c}`))] : []),
  );
}

const userChain = fc.oneof(
  fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,27}$/),
  // UTF-8 names (strtok on the : line, raw after -A): at most 28 bytes.
  fc
    .string({ unit: 'grapheme', minLength: 1, maxLength: 6 })
    .filter((s) => /^[^\s"!\-\u0000-\u001f\u007f-\u009f]+$/u.test(s) && Buffer.byteLength(s) <= 28 && !s.includes('#')),
);

const counters = fc
  .tuple(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }))
  .map(([p, b]) => `[${p}:${b}]`);

const tableArb = (name: TableName, withCounters: boolean) =>
  fc.uniqueArray(userChain, { maxLength: 3, selector: (c) => c }).chain((users) => {
    const builtins = BUILTIN_CHAINS[name];
    const chains = [
      ...builtins,
      ...users.filter(
        (u) => !builtins.includes(u) && !['ACCEPT', 'DROP', 'RETURN', 'REJECT', 'LOG', 'MARK'].includes(u),
      ),
    ];
    const userOnly = chains.slice(builtins.length);
    const rule = fc
      .tuple(
        fc.constantFrom(...chains),
        withCounters ? counters.map((c) => `${c} `) : fc.constant(''),
        fc.array(ownOption, { maxLength: 3 }),
        fc.array(match, { maxLength: 3 }),
        fc.option(target(userOnly), { nil: undefined }),
      )
      .map(([c, k, own, ms, t]) => [`${k}-A ${c}`, ...own, ...ms, ...(t ? [t] : [])].join(' '));
    const decls = fc.tuple(
      ...chains.map((c) =>
        fc
          .tuple(builtins.includes(c) ? fc.constantFrom('ACCEPT', 'DROP') : fc.constant('-'), counters)
          .map(([p, k]) => `:${c} ${p} ${k}`),
      ),
    );
    const extra = fc.oneof(
      { weight: 8, arbitrary: rule },
      { weight: 1, arbitrary: freeText.map((t) => `#${t}`) },
      { weight: 1, arbitrary: fc.constant('') },
    );
    return fc.tuple(decls, fc.array(extra, { maxLength: 12 })).map(([ds, rs]) => [`*${name}`, ...ds, ...rs, 'COMMIT']);
  });

const dumpArb = fc
  .tuple(fc.subarray([...TABLES], { minLength: 1 }), fc.boolean(), fc.boolean(), freeText)
  .chain(([names, withCounters, finalNewline, header]) =>
    fc.tuple(...names.map((n) => tableArb(n, withCounters))).map((tables) => {
      const lines = [`# Generated by iptables-save v1.8.9 ${header}`, ...tables.flat(), '# Completed'];
      return lines.join('\n') + (finalNewline ? '\n' : '');
    }),
  );

// ---- (b) generated policies --------------------------------------------------------------------

const FROM_POOL = [
  '198.51.100.0/24',
  '203.0.113.7',
  '192.0.2.0/25',
  '192.0.2.128/26',
  '2001:db8::/32',
  '2001:db8:1::5',
  'set:friends4',
  'set:friends6',
];
const TO_POOL = ['172.18.0.2', '172.18.0.0/16', 'fd00::2'];
const RESERVED = ['established', 'sources', 'default', 'jump', 'forward'];

const portItem = fc.oneof(
  fc.integer({ min: 1, max: 65535 }),
  fc
    .tuple(fc.integer({ min: 1, max: 65534 }), fc.integer({ min: 1, max: 1000 }))
    .map(([a, d]) => `${a}:${Math.min(65535, a + d)}`),
);
const ports = fc.uniqueArray(portItem, {
  minLength: 1,
  maxLength: 4,
  selector: (p) => (typeof p === 'number' ? `${p}:${p}` : p),
});

const families = (items: readonly string[]): Set<4 | 6> => {
  const out = new Set<4 | 6>();
  for (const i of items) {
    if (i === 'any') [4, 6].forEach((f) => out.add(f as 4 | 6));
    else if (i === 'set:friends4' || (!i.includes(':') && !i.startsWith('set:'))) out.add(4);
    else out.add(6);
  }
  return out;
};

const ruleArb = fc
  .record({
    name: fc.stringMatching(/^[A-Za-z0-9_.-]{1,20}$/).filter((n) => !RESERVED.includes(n)),
    proto: fc.constantFrom('tcp', 'udp', 'sctp'),
    which: fc.constantFrom('port', 'container_port'),
    ports,
    from: fc.oneof(fc.constant(['any']), fc.uniqueArray(fc.constantFrom(...FROM_POOL), { minLength: 1, maxLength: 4 })),
    to: fc.option(fc.uniqueArray(fc.constantFrom(...TO_POOL), { minLength: 1, maxLength: 2 }), { nil: undefined }),
  })
  .map((r) => {
    const to = r.to === undefined || ![...families(r.to)].some((f) => families(r.from).has(f)) ? undefined : r.to;
    return {
      name: r.name,
      proto: r.proto,
      [r.which]: r.ports,
      from: r.from.length === 1 ? r.from[0] : r.from,
      ...(to ? { to } : {}),
    };
  });

const policyArb = fc
  .record({
    name: fc.stringMatching(/^[A-Za-z0-9_.-]{1,24}$/),
    chain: fc.constantFrom('DOCKER-USER', 'DOCKER'),
    external: fc.uniqueArray(fc.constantFrom('eth0', 'eth1', 'ens3', 'eth+', 'wlan0', 'bond0.100'), {
      minLength: 1,
      maxLength: 3,
    }),
    established: fc.boolean(),
    allow: fc.uniqueArray(ruleArb, { maxLength: 4, selector: (r) => r.name }),
    sources: fc.uniqueArray(fc.constantFrom(...FROM_POOL), { maxLength: 3 }),
    default: fc.constantFrom('drop', 'reject'),
  })
  .map((p) => ({
    version: 1,
    ...p,
    ipsets: {
      friends4: { type: 'hash:net', family: 'inet', entries: ['203.0.113.0/24'] },
      friends6: { type: 'hash:net', family: 'inet6', entries: ['2001:db8:2::/48'] },
    },
  }));

/** Fixtures with both DOCKER-USER and DOCKER in their filter table, so that no chain is created. */
const DOCKER_FIXTURES = iptablesFixtures().filter(
  ([, text]) => /^:DOCKER-USER /m.test(text) && /^:DOCKER /m.test(text),
);

// ---- (c) mutations -----------------------------------------------------------------------------

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'cutLine'; line: number; at: number }
  | { kind: 'duplicateLine'; line: number; to: number }
  | { kind: 'dropLine'; line: number }
  | { kind: 'swapLines'; a: number; b: number }
  | { kind: 'shuffle'; seed: number }
  | { kind: 'truncate'; at: number };

const nasty = fc.oneof(
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 4 }),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 3 }),
  fc.constantFrom(
    '"',
    '\\',
    '\r',
    '\n',
    '\t',
    '\u0000',
    '\u0085',
    '\u2028',
    '\ufeff',
    ' ',
    '!',
    '-',
    '--',
    '#',
    '*',
    ':',
    '[',
    ']',
    '[1:2]',
    'COMMIT',
    '*filter',
    '-A',
    '-j',
    '-m',
    '"\n"',
    '\r\n',
    'é',
    '🙂',
    '\ud800',
  ),
);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: nasty }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 20 }) }),
  fc.record({ kind: fc.constant('cutLine' as const), line: fc.nat(), at: fc.nat() }),
  fc.record({ kind: fc.constant('duplicateLine' as const), line: fc.nat(), to: fc.nat() }),
  fc.record({ kind: fc.constant('dropLine' as const), line: fc.nat() }),
  fc.record({ kind: fc.constant('swapLines' as const), a: fc.nat(), b: fc.nat() }),
  fc.record({ kind: fc.constant('shuffle' as const), seed: fc.nat() }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);

/** Applies a mutation; byte flips work on the UTF-8 bytes and decode leniently (as a broken file would read). */
function mutate(text: string, m: Mutation): string {
  const lines = text.split('\n');
  const li = (n: number) => (lines.length === 0 ? 0 : n % lines.length);
  const pos = (n: number) => (text.length === 0 ? 0 : n % (text.length + 1));
  switch (m.kind) {
    case 'flip': {
      const bytes = Buffer.from(text, 'utf8');
      if (bytes.length === 0) return text;
      const i = m.at % bytes.length;
      bytes[i] = bytes[i]! ^ (1 << m.bit);
      return bytes.toString('utf8');
    }
    case 'insert':
      return text.slice(0, pos(m.at)) + m.text + text.slice(pos(m.at));
    case 'delete':
      return text.slice(0, pos(m.at)) + text.slice(pos(m.at) + m.length);
    case 'cutLine': {
      const i = li(m.line);
      const l = lines[i] ?? '';
      lines[i] = l.slice(0, l.length === 0 ? 0 : m.at % l.length);
      return lines.join('\n');
    }
    case 'duplicateLine':
      lines.splice(li(m.to), 0, lines[li(m.line)] ?? '');
      return lines.join('\n');
    case 'dropLine':
      lines.splice(li(m.line), 1);
      return lines.join('\n');
    case 'swapLines': {
      const a = li(m.a);
      const b = li(m.b);
      [lines[a], lines[b]] = [lines[b] ?? '', lines[a] ?? ''];
      return lines.join('\n');
    }
    case 'shuffle': {
      let s = m.seed || 1;
      for (let i = lines.length - 1; i > 0; i--) {
        s = (s * 1103515245 + 12345) % 2147483648;
        const j = s % (i + 1);
        [lines[i], lines[j]] = [lines[j] ?? '', lines[i] ?? ''];
      }
      return lines.join('\n');
    }
    case 'truncate':
      return text.slice(0, pos(m.at));
  }
}

/** parse either returns or throws DfwError; anything else (TypeError, RangeError...) is a bug. */
function outcome<T>(f: () => T): { ok: true; value: T } | { ok: false; error: DfwError } {
  try {
    return { ok: true, value: f() };
  } catch (e) {
    if (e instanceof DfwError) return { ok: false, error: e };
    throw new Error(`not a DfwError: ${e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e)}`, {
      cause: e,
    });
  }
}

const IPTABLES_FIXTURES = iptablesFixtures();
const IPSET_DIR = join(FIXTURES, 'ipset');
const IPSET_FIXTURES: [string, string][] = readdirSync(IPSET_DIR)
  .filter((f) => f.endsWith('.ipset'))
  .sort()
  .map((f) => [f, readFileSync(join(IPSET_DIR, f), 'utf8')]);

const mutated = (fixtures: [string, string][]) =>
  fc
    .tuple(fc.constantFrom(...fixtures), fc.array(mutation, { minLength: 1, maxLength: 5 }))
    .map(([[name, text], ms]) => ({ name, ms, text: ms.reduce(mutate, text) }));

// ---- the tests ---------------------------------------------------------------------------------

describe('fuzz and properties (fast-check)', () => {
  afterAll(() => {
    const total = Object.values(ran).reduce((a, b) => a + b, 0);
    console.log(
      `hostile-fuzz: ${total} cases (${Object.entries(ran)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')})`,
    );
  });

  it('(a) generated dumps round-trip, and the fast path equals the plain one', { timeout: TEST_TIMEOUT }, () => {
    assertProperty('dumps', dumpArb, (text) => {
      const fast = parseIptables(text);
      expect(printIptables(fast)).toBe(text);
      const plain = parseIptables(text, { cache: false });
      expect(json(fast)).toBe(json(plain));
      expect(printIptables(plain)).toBe(text);
    });
  });

  it(
    '(a) every free-text value survives quoting: saveString then the lexer give it back',
    { timeout: TEST_TIMEOUT },
    () => {
      assertProperty('dumps', fc.tuple(freeText, fc.constantFrom('--comment', '--log-prefix')), ([t, flag]) => {
        const line =
          flag === '--comment'
            ? `-A INPUT -m comment --comment ${saveString(t)} -j ACCEPT`
            : `-A INPUT -j LOG --log-prefix ${saveString(t)}`;
        for (const cache of [true, false]) {
          const d = parseIptables(`*filter\n:INPUT ACCEPT [0:0]\n${line}\nCOMMIT\n`, { cache });
          const table = d.items.find((i) => i.kind === 'table');
          const rule = table?.kind === 'table' ? table.body.find((x) => x.kind === 'rule') : undefined;
          const values =
            rule?.kind === 'rule'
              ? [...rule.spec.matches.flatMap((m) => m.options), ...(rule.spec.target?.options ?? [])]
                  .filter((o) => o.flag === flag)
                  .map((o) => o.values)
              : [];
          expect(values, line).toEqual([[t]]);
        }
      });
    },
  );

  it('(b) generated valid policies transform idempotently, and strip undoes them', { timeout: TEST_TIMEOUT }, () => {
    expect(DOCKER_FIXTURES.length).toBeGreaterThan(0);
    const parsed = DOCKER_FIXTURES.map(([name, text]) => ({
      name,
      text,
      family: (name.endsWith('.v6') ? 6 : 4) as 4 | 6,
    }));
    assertProperty('policies', fc.tuple(policyArb, fc.constantFrom(...parsed)), ([p, fx]) => {
      const yaml = JSON.stringify(p, null, 1);
      let policy: Policy;
      try {
        policy = loadPolicy(yaml, 'generated.yaml');
      } catch (e) {
        throw new Error(
          `a generated policy was refused (the generator must make valid ones): ${(e as Error).message}\n${yaml}`,
          {
            cause: e,
          },
        );
      }
      const x = parseIptables(fx.text, { file: fx.name });
      const once = printIptables(transformDump(x, policy, { family: fx.family }).dump);
      const twice = printIptables(transformDump(parseIptables(once), policy, { family: fx.family }).dump);
      expect(twice).toBe(once);
      const stripped = printIptables(stripDump(parseIptables(once), { policy: policy.name }));
      expect(stripped).toBe(printIptables(stripDump(x, { policy: policy.name })));
    });
  });

  it(
    '(c) mutated iptables fixtures parse or raise DfwError; fast and plain paths agree',
    { timeout: TEST_TIMEOUT },
    () => {
      assertProperty('iptablesMutations', mutated(IPTABLES_FIXTURES), ({ name, ms, text }) => {
        const where = `${name} after ${json(ms)}`;
        const fast = outcome(() => parseIptables(text, { file: name }));
        const plain = outcome(() => parseIptables(text, { file: name, cache: false }));
        expect(fast.ok, where).toBe(plain.ok);
        if (fast.ok && plain.ok) {
          expect(printIptables(fast.value), where).toBe(text);
          expect(json(fast.value), where).toBe(json(plain.value));
        } else if (!fast.ok && !plain.ok) {
          expect(fast.error.message, where).toBe(plain.error.message);
        }
      });
    },
  );

  it('(c) mutated ipset fixtures parse or raise DfwError; what parses prints back', { timeout: TEST_TIMEOUT }, () => {
    expect(IPSET_FIXTURES.length).toBeGreaterThan(0);
    assertProperty('ipsetMutations', mutated(IPSET_FIXTURES), ({ name, ms, text }) => {
      const r = outcome(() => parseIpset(text, name));
      if (r.ok) expect(printIpset(r.value), `${name} after ${json(ms)}`).toBe(text);
    });
  });

  it('ran at least 10,000 cases in all', () => {
    const total = Object.values(ran).reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThanOrEqual(10_000);
  });
});
