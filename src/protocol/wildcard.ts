/**
 * Glob matching for masks (`*` any run, `?` one character), as used by bans,
 * WHO, LIST and oper host masks. Callers fold both sides first.
 * Iterative with single-star backtracking: linear in practice, never recursive.
 */
export function wildcardMatch(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let starP = -1;
  let starT = 0;
  const pn = pattern.length;
  const tn = text.length;
  while (t < tn) {
    if (p < pn) {
      const pc = pattern.charCodeAt(p);
      if (pc === 0x2a /* * */) {
        starP = p++;
        starT = t;
        continue;
      }
      if (pc === 0x3f /* ? */ || pc === text.charCodeAt(t)) {
        p++;
        t++;
        continue;
      }
    }
    if (starP < 0) return false;
    p = starP + 1;
    t = ++starT;
  }
  while (p < pn && pattern.charCodeAt(p) === 0x2a) p++;
  return p === pn;
}

export function hasWildcard(text: string): boolean {
  return text.includes('*') || text.includes('?');
}
