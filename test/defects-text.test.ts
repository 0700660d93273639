// Issue 22, item 12: text that the restore tools reject is refused, as they refuse it. Each case
// runs through dfw and, where root and the tools are here, through iptables-nft-restore and
// iptables-legacy-restore --test in a namespace: dfw accepts a line only when both tools do.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dfw } from './support/cli.js';
import { describeNetns, Netns } from './support/netns.js';

const file = (rule: string, end = '\n') => `*filter\n:INPUT ACCEPT [0:0]\n${rule}COMMIT${end}`;

/** [what, the file, accepted by iptables-nft-restore, by iptables-legacy-restore] (seen on 1.8.9). */
const CASES: [string, string, boolean, boolean][] = [
  [
    "--comment 'a b' (single quotes are characters)",
    file("-A INPUT -m comment --comment 'a b' -j ACCEPT\n"),
    false,
    false,
  ],
  [
    '--comment a\\ b (a backslash outside quotes is a character)',
    file('-A INPUT -m comment --comment a\\ b -j ACCEPT\n'),
    false,
    false,
  ],
  [
    '--comment "a"b (a closing quote ends the word)',
    file('-A INPUT -m comment --comment "a"b -j ACCEPT\n'),
    false,
    false,
  ],
  ['--log-prefix "x" y', file('-A INPUT -j LOG --log-prefix "x" y\n'), false, false],
  ['a final COMMIT without a line end', file('-A INPUT -j ACCEPT\n', ''), true, false],
  ['--comment "a b"', file('-A INPUT -m comment --comment "a b" -j ACCEPT\n'), true, true],
  [
    '--comment a"b c" (a quote may open inside a word)',
    file('-A INPUT -m comment --comment a"b c" -j ACCEPT\n'),
    true,
    true,
  ],
  ["--comment 'ab' (one word, quotes and all)", file("-A INPUT -m comment --comment 'ab' -j ACCEPT\n"), true, true],
  ['a missing line end after a final comment', `${file('-A INPUT -j ACCEPT\n')}# Completed`, true, true],
];

describe('dfw refuses what a restore tool refuses (issue 22 item 12)', () => {
  it.each(CASES)('%s', (_what, text, nft, legacy) => {
    const r = dfw(['fmt'], text);
    if (nft && legacy) {
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(text);
    } else {
      expect(r.stdout).toBe('');
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/^<stdin>:\d+:\d+: /);
      expect(r.stderr).toMatch(/Bad argument/);
    }
  });

  it('the message says how to write a free-text value', () => {
    const r = dfw(['fmt'], CASES[0]![1]);
    expect(r.stderr).toContain("<stdin>:3:34: --comment takes one word, found 2 (`'a b'`)");
    expect(r.stderr).toContain('double quotes');
  });
});

describeNetns(
  'the restore tools on the same files',
  () => {
    let ns: Netns;
    beforeAll(() => {
      ns = Netns.create('defects-text');
    });
    afterAll(() => ns?.delete());
    it.each(CASES)('%s', (_what, text, nft, legacy) => {
      expect(ns.run('iptables-nft-restore', ['--test'], text).status === 0).toBe(nft);
      expect(ns.run('iptables-legacy-restore', ['--test', '-w'], text).status === 0).toBe(legacy);
    });
  },
  ['iptables-nft-restore', 'iptables-legacy-restore'],
);
