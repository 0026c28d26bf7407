/**
 * Whether two names that may end in `*` (a prefix) can name the same thing: `dev-*` and `dev-api`
 * overlap, `dev-*` and `prod` do not. Only trailing wildcards are supported; a `*` elsewhere is
 * treated as the end of the literal prefix, which can only report more overlaps, never fewer.
 */
export function wildcardOverlap(a: string, b: string): boolean {
  const prefixA = literalPrefix(a);
  const prefixB = literalPrefix(b);
  if (prefixA.wild && prefixB.wild) {
    return prefixA.text.startsWith(prefixB.text) || prefixB.text.startsWith(prefixA.text);
  }
  if (prefixA.wild) {
    return b.startsWith(prefixA.text);
  }
  if (prefixB.wild) {
    return a.startsWith(prefixB.text);
  }
  return a === b;
}

function literalPrefix(value: string): { text: string; wild: boolean } {
  const star = value.indexOf('*');
  return star < 0 ? { text: value, wild: false } : { text: value.slice(0, star), wild: true };
}

/**
 * Whether every name `narrow` matches is also matched by `wide`. Only a single trailing `*` in
 * `wide` is used to cover: anything else is treated as covering nothing, which keeps both entries.
 */
export function wildcardCovers(wide: string, narrow: string): boolean {
  if (wide === narrow) {
    return true;
  }
  if (wide.indexOf('*') !== wide.length - 1) {
    return false;
  }
  return literalPrefix(narrow).text.startsWith(wide.slice(0, -1));
}

/** Sorted, without duplicates and without entries that another entry covers. */
export function withoutCovered(patterns: Iterable<string>): string[] {
  const unique = [...new Set(patterns)].sort();
  return unique.filter((p) => !unique.some((other) => other !== p && wildcardCovers(other, p)));
}
