/**
 * Name and value patterns shared by the filter and rename processors.
 *
 * Written in a config as a string:
 * - `/regex/` or `/regex/i`: a JavaScript regular expression, anchored at both
 *   ends (it must match the whole name or value, as in Prometheus relabelling);
 * - anything else: a glob where `*` is any run of characters (also none) and
 *   `?` one character; every other character stands for itself (`:` and `.`
 *   included), so a plain name matches only itself.
 *
 * The validated config keeps patterns as plain data (it is frozen); the
 * processors compile them with `compilePattern`.
 */
export interface PatternSpec {
  readonly kind: 'glob' | 'regex';
  /** The glob as written, or the regex source between the slashes. */
  readonly source: string;
  /** `i` or ''. */
  readonly flags: string;
}

const REGEX = /^\/(.*)\/(i?)$/s;

/** Parses a pattern string; returns an error message instead when it is not one. */
export function parsePattern(text: unknown): PatternSpec | string {
  if (typeof text !== 'string') return 'must be a string (a name, a glob with * and ?, or /regex/)';
  if (!text) return 'must not be empty';
  const m = REGEX.exec(text);
  if (!m) return { kind: 'glob', source: text, flags: '' };
  try {
    new RegExp(m[1], m[2]);
  } catch (err) {
    return `not a valid regular expression: ${(err as Error).message}`;
  }
  return { kind: 'regex', source: m[1], flags: m[2] };
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** The anchored RegExp of a pattern (a glob becomes `^...$` with `.*` and `.`). */
export function compilePattern(p: PatternSpec): RegExp {
  if (p.kind === 'regex') return new RegExp(`^(?:${p.source})$`, p.flags);
  const body = p.source
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : escape(c)))
    .join('');
  return new RegExp(`^${body}$`, 's');
}

/** True when `p` names exactly one string (a glob without wildcards): matched by comparison, no RegExp. */
export function literalOf(p: PatternSpec): string | undefined {
  return p.kind === 'glob' && !/[*?]/.test(p.source) ? p.source : undefined;
}

/** A predicate over names or values: any of the patterns matches. */
export function anyOf(patterns: readonly PatternSpec[]): (text: string) => boolean {
  const literals = new Set<string>();
  const regexes: RegExp[] = [];
  for (const p of patterns) {
    const lit = literalOf(p);
    if (lit !== undefined) literals.add(lit);
    else regexes.push(compilePattern(p));
  }
  return (text) => literals.has(text) || regexes.some((r) => r.test(text));
}

/**
 * Reads a list of pattern strings at `option` (each problem reported with its
 * index); a single string is accepted as a list of one.
 */
export function patternList(value: unknown, option: string, issue: (option: string, message: string) => void): PatternSpec[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list)) {
    issue(option, 'must be a list of patterns (names, globs with * and ?, or /regex/)');
    return [];
  }
  const out: PatternSpec[] = [];
  list.forEach((text, i) => {
    const p = parsePattern(text);
    if (typeof p === 'string') issue(`${option}[${i}]`, p);
    else out.push(p);
  });
  return out;
}
