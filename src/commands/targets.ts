/**
 * Target lists of commands that take several (`JOIN #a,#b`, `WHOIS a,b`):
 * repeated targets are dropped before any work is done, so that
 * `JOIN #c,#c,#c,...` costs one ban-list check, not one per repetition.
 */
import type { Folder } from '../protocol/casemap.js';

/**
 * The items of `items` whose `key` folds (with the registry's casemapping) to
 * a name not seen before, in first-occurrence order. `key` picks the name out
 * of an item, e.g. the channel of a JOIN (channel, key) pair.
 */
export function uniqueByFold<T>(items: readonly T[], fold: Folder, key: (item: T) => string): T[] {
  const seen = new Set<string>();
  const out: T[] = [];
  for (const item of items) {
    const folded = fold(key(item));
    if (seen.has(folded)) continue;
    seen.add(folded);
    out.push(item);
  }
  return out;
}

/** `names` without repetitions (compared casefolded), in first-occurrence order. */
export function uniqueNames(names: readonly string[], fold: Folder): string[] {
  return uniqueByFold(names, fold, (name) => name);
}
