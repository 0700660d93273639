// Set names (src/ipset/set-name.ts): one set of rules for dumps and policies, and the temporary
// names of swap mode, which both `dfw ipset` and `dfw bundle` use.
import { describe, expect, it } from 'vitest';
import { SET_NAME_MAX, TEMP_SUFFIX, checkNewSetName, checkSetName, tempSetName } from '../src/ipset/set-name.js';
import { byteLength, truncateBytes } from '../src/text/utf8.js';

describe('checkSetName', () => {
  it.each([
    ['', /must not be empty/],
    ['a b', /whitespace/],
    ['a"b', /double quote/],
    ['-exist', /must not start with "-"/],
    ['s'.repeat(32), /32 bytes long \(at most 31\)/],
    ['é'.repeat(16), /32 bytes long \(at most 31\)/],
  ])('refuses %j', (name, reason) => {
    expect(checkSetName(name)).toMatch(reason);
    expect(checkNewSetName(name)).toMatch(reason);
  });

  it('accepts 31 bytes, and an invisible character only in a dump', () => {
    expect(checkSetName('s'.repeat(31))).toBeUndefined();
    expect(checkSetName('a\u200bb')).toBeUndefined();
    expect(checkNewSetName('a\u200bb')).toMatch(/invisible formatting character \(U\+200B\)/);
  });
});

describe('tempSetName', () => {
  it('appends the suffix, cuts long names on whole characters, and skips names taken', () => {
    const taken = new Set<string>();
    expect(tempSetName('ipfriends', taken)).toBe(`ipfriends${TEMP_SUFFIX}`);
    expect(tempSetName('ipfriends', taken)).toBe(`ipfriends${TEMP_SUFFIX}2`);
    const long = tempSetName('é'.repeat(15), taken);
    expect(byteLength(long)).toBeLessThanOrEqual(SET_NAME_MAX);
    expect(long).toBe(`${'é'.repeat(12)}${TEMP_SUFFIX}`);
    for (const name of [...taken]) expect(checkSetName(name), name).toBeUndefined();
  });

  it('truncateBytes never splits a character', () => {
    expect(truncateBytes('aé☃', 3)).toBe('aé');
    expect(truncateBytes('aé☃', 5)).toBe('aé');
    expect(truncateBytes('aé☃', 6)).toBe('aé☃');
    expect(truncateBytes('😀x', 3)).toBe('');
  });
});
