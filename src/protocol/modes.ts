/**
 * Mode strings: split `+ov-k nick1 nick2 key` into single changes, using the
 * parameter rules of each mode type (https://modern.ircdocs.horse/#chanmodes-parameter):
 *
 * - list   (type A, e.g. b e I): a parameter always; without one it is a list query
 * - always (type B, e.g. k, and prefix modes o v): a parameter when set and unset
 * - onSet  (type C, e.g. l): a parameter only when set
 * - flag   (type D, e.g. i m n s t): never a parameter
 */
export type ModeKind = 'list' | 'always' | 'onSet' | 'flag';

export interface ModeChange {
  adding: boolean;
  mode: string;
  /** Present when the mode type takes one and the client gave it. */
  param?: string;
}

export interface ParsedModes {
  changes: ModeChange[];
  /** Mode characters the server does not know, in order, each once. */
  unknown: string[];
  /** Changes dropped because their required parameter was missing. */
  missingParam: ModeChange[];
}

export function parseModeString(modeString: string, params: readonly string[], kindOf: (mode: string) => ModeKind | undefined): ParsedModes {
  const changes: ModeChange[] = [];
  const unknown: string[] = [];
  const missingParam: ModeChange[] = [];
  let adding = true;
  let next = 0;
  for (const mode of modeString) {
    if (mode === '+') { adding = true; continue; }
    if (mode === '-') { adding = false; continue; }
    const kind = kindOf(mode);
    if (kind === undefined) {
      if (!unknown.includes(mode)) unknown.push(mode);
      continue;
    }
    const takesParam = kind === 'list' || kind === 'always' || (kind === 'onSet' && adding);
    if (!takesParam) {
      changes.push({ adding, mode });
      continue;
    }
    const param = params[next];
    if (param === undefined) {
      if (kind === 'list') changes.push({ adding, mode });
      else missingParam.push({ adding, mode });
      continue;
    }
    next++;
    changes.push({ adding, mode, param });
  }
  return { changes, unknown, missingParam };
}

/**
 * Render applied changes back into the shortest mode string and its parameters,
 * e.g. [+o a, +v b, -k x] -> ['+ov-k', 'a', 'b', 'x'].
 */
export function formatModeChanges(changes: readonly ModeChange[]): { modes: string; params: string[] } {
  let modes = '';
  let current: boolean | null = null;
  const params: string[] = [];
  for (const change of changes) {
    if (change.adding !== current) {
      modes += change.adding ? '+' : '-';
      current = change.adding;
    }
    modes += change.mode;
    if (change.param !== undefined) params.push(change.param);
  }
  return { modes, params };
}
