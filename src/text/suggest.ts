// "Did you mean ...?" for misspelt keys, values, types and commands.

function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] ?? 0;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] ?? 0;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      prev[j] = Math.min(up + 1, (prev[j - 1] ?? 0) + 1, diag + cost);
      diag = up;
    }
  }
  return prev[b.length] ?? 0;
}

/**
 * The candidate closest to `word` (ignoring case, "-" versus "_"), if it is close enough to be a
 * likely typo; `aliases` maps words people commonly write to the candidate they meant.
 */
export function suggest(
  word: string,
  candidates: readonly string[],
  aliases: Record<string, string> = {},
): string | undefined {
  const fold = (s: string): string => s.toLowerCase().replace(/-/g, '_');
  const w = fold(word);
  const alias = aliases[w];
  if (alias !== undefined && candidates.includes(alias)) return alias;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = distance(w, fold(c));
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  const allowed = Math.max(1, Math.floor(w.length / 3));
  return bestDistance <= allowed ? best : undefined;
}

/** ` (did you mean "x"?)`, or the empty string. */
export function didYouMean(word: string, candidates: readonly string[], aliases?: Record<string, string>): string {
  const s = suggest(word, candidates, aliases);
  return s === undefined ? '' : ` (did you mean ${JSON.stringify(s)}?)`;
}
