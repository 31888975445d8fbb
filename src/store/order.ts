/** Orderings both stores share, so they answer alike. */

/** TARGETS order: the oldest latest-entry first, ties by target name. */
export function sortTargets<T extends { target: string; time: number }>(found: T[]): T[] {
  return found.sort((x, y) => x.time - y.time || byText(x.target, y.target));
}

export function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
