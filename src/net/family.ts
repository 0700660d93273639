// Address families. In TypeScript a family is 4 or 6 everywhere; the words of the formats
// (`inet`/`inet6` in ipset and in a policy's ipsets, `-4`/`-6`) are converted at the edge.

export type Family = 4 | 6;

export const FAMILIES: readonly Family[] = [4, 6];

/** ipset's word for a family (`family inet6` in `ipset save`; `family: inet6` in a policy's set). */
export type InetWord = 'inet' | 'inet6';

export const INET_WORDS: readonly InetWord[] = ['inet', 'inet6'];

export const familyOfInet = (word: InetWord): Family => (word === 'inet' ? 4 : 6);
export const inetOf = (family: Family): InetWord => (family === 4 ? 'inet' : 'inet6');

/** Address length in bits. */
export const bitsOf = (family: Family): number => (family === 4 ? 32 : 128);

/** `IPv4` / `IPv6`, for messages. */
export const familyName = (family: Family): string => `IPv${family}`;
