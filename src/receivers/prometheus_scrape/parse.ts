/**
 * Prometheus text exposition 0.0.4 and OpenMetrics 1.0, parsed into
 * families of samples. HELP, TYPE and UNIT lines; escapes in label values
 * (`\\`, `\"`, `\n`) and in HELP (`\\`, `\n`); `+Inf`, `-Inf`, `NaN`;
 * timestamps (0.0.4: integer milliseconds, OpenMetrics: seconds);
 * exemplars (` # {...} value`) ignored. Samples whose family was never
 * typed are `untyped`, one family per sample name. A line that cannot be
 * parsed is reported with its number and skipped; the rest is kept.
 */
export type FamilyType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped' | 'info' | 'stateset' | 'gaugehistogram';

export interface ParsedSample {
  readonly name: string;
  readonly labels: readonly (readonly [string, string])[];
  readonly value: number;
  /** Unix milliseconds, when the exposition gave one. */
  readonly timestampMs?: number;
}

export interface ParsedFamily {
  name: string;
  type: FamilyType;
  help: string;
  unit: string;
  samples: ParsedSample[];
}

export interface ParseResult {
  readonly families: ParsedFamily[];
  readonly errors: { line: number; message: string }[];
  readonly openMetrics: boolean;
}

const TYPES: Record<string, FamilyType> = { counter: 'counter', gauge: 'gauge', histogram: 'histogram', summary: 'summary', untyped: 'untyped', unknown: 'untyped', info: 'info', stateset: 'stateset', gaugehistogram: 'gaugehistogram' };
const SUFFIXES: Record<FamilyType, string[]> = {
  counter: ['_total', '_created', ''],
  histogram: ['_bucket', '_sum', '_count', '_created'],
  gaugehistogram: ['_bucket', '_gsum', '_gcount'],
  summary: ['_sum', '_count', '_created', ''],
  info: ['_info'],
  gauge: [''],
  untyped: [''],
  stateset: [''],
};

export function parseNumber(text: string): number {
  switch (text) {
    case '+Inf':
    case 'Inf':
    case '+inf':
    case 'inf':
      return Infinity;
    case '-Inf':
    case '-inf':
      return -Infinity;
    case 'NaN':
    case 'nan':
      return NaN;
  }
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text) && !/^[+-]?0[xX][0-9a-fA-F]+$/.test(text)) throw new Error(`"${text}" is not a number`);
  return Number(text);
}

function unescapeHelp(s: string): string {
  return s.replace(/\\(\\|n)/g, (_, c) => (c === 'n' ? '\n' : '\\'));
}

/** Reads `{a="1",b="x\"y"}` from position `i` (at `{`); returns labels and the position after `}`. */
function readLabels(line: string, i: number): { labels: [string, string][]; end: number } {
  const labels: [string, string][] = [];
  i++; // {
  for (;;) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (line[i] === '}') return { labels, end: i + 1 };
    const nameMatch = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(i));
    if (!nameMatch) throw new Error(`bad label name at column ${i + 1}`);
    const name = nameMatch[0];
    i += name.length;
    while (line[i] === ' ') i++;
    if (line[i] !== '=') throw new Error(`expected = after label ${name}`);
    i++;
    while (line[i] === ' ') i++;
    if (line[i] !== '"') throw new Error(`expected " to open the value of label ${name}`);
    i++;
    let value = '';
    for (;;) {
      const c = line[i];
      if (c === undefined) throw new Error(`unterminated value of label ${name}`);
      if (c === '"') break;
      if (c === '\\') {
        const n = line[i + 1];
        value += n === 'n' ? '\n' : n === '"' ? '"' : n === '\\' ? '\\' : '\\' + (n ?? '');
        i += 2;
        continue;
      }
      value += c;
      i++;
    }
    i++; // closing quote
    labels.push([name, value]);
    while (line[i] === ' ') i++;
    if (line[i] === ',') i++;
    else if (line[i] !== '}') throw new Error(`expected , or } after label ${name}`);
  }
}

type Labels = readonly (readonly [string, string])[];

/**
 * Keeps one target's label arrays from scrape to scrape: a sample whose
 * name and label text are the same as in the previous scrape gets the same
 * (read-only) array, so that every cache keyed on it downstream (attributes,
 * series keys, rendered label text) hits instead of redoing its work for
 * tens of thousands of series. Holds only what the last scrape had.
 */
export class LabelIntern {
  private current = new Map<string, Labels>();
  private previous = new Map<string, Labels>();

  intern(key: string, labels: Labels): Labels {
    let kept = this.current.get(key);
    if (kept) return kept;
    kept = this.previous.get(key) ?? labels;
    this.current.set(key, kept);
    return kept;
  }

  /** Forgets what the scrape just finished did not have. */
  endScrape(): void {
    this.previous = this.current;
    this.current = new Map();
  }
}

export function parseExposition(text: string, openMetricsHint = false, intern?: LabelIntern): ParseResult {
  const families = new Map<string, ParsedFamily>();
  /** sample name -> family, for names that belong to a typed family. */
  const owners = new Map<string, ParsedFamily>();
  const errors: { line: number; message: string }[] = [];
  let openMetrics = openMetricsHint;
  const family = (name: string): ParsedFamily => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { name, type: 'untyped', help: '', unit: '', samples: [] }));
    return f;
  };
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n].replace(/\r$/, '');
    if (!line.trim()) continue;
    try {
      if (line.startsWith('#')) {
        const m = /^#\s*(HELP|TYPE|UNIT|EOF)\b\s*(\S*)\s?(.*)$/.exec(line);
        if (!m) continue; // a comment
        const [, kind, name, rest] = m;
        if (kind === 'EOF') {
          openMetrics = true;
          break;
        }
        const f = family(name);
        if (kind === 'HELP') f.help = unescapeHelp(rest);
        else if (kind === 'UNIT') {
          f.unit = rest.trim();
          openMetrics = true;
        } else {
          const t = TYPES[rest.trim()];
          if (!t) throw new Error(`unknown type "${rest.trim()}"`);
          f.type = t;
          for (const s of SUFFIXES[t]) owners.set(name + s, f);
        }
        continue;
      }
      const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
      if (!nameMatch) throw new Error('a sample must start with a metric name');
      const name = nameMatch[0];
      let i = name.length;
      let labels: Labels = [];
      if (line[i] === '{') {
        let read: [string, string][];
        ({ labels: read, end: i } = readLabels(line, i));
        labels = intern ? intern.intern(line.slice(0, i), read) : read;
      }
      const rest = line.slice(i).split(' # ')[0].trim().split(/\s+/);
      if (!rest[0]) throw new Error('no value');
      const value = parseNumber(rest[0]);
      let timestampMs: number | undefined;
      if (rest[1] !== undefined) {
        const ts = parseNumber(rest[1]);
        timestampMs = openMetrics || rest[1].includes('.') ? ts * 1000 : ts;
      }
      const owner = owners.get(name) ?? family(name);
      owner.samples.push(timestampMs === undefined ? { name, labels, value } : { name, labels, value, timestampMs });
    } catch (err) {
      errors.push({ line: n + 1, message: (err as Error).message });
    }
  }
  intern?.endScrape();
  return { families: [...families.values()].filter((f) => f.samples.length), errors, openMetrics };
}
