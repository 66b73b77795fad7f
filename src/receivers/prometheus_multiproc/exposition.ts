import type { Labels } from './attributes.js';
import type { MergedFamily, ProcessValues } from './merge.js';
import { flat } from '../../encoding/flat-string.js';
import { floatToGoString } from '../../encoding/python-float.js';

/**
 * prometheus_client's generate_latest() text for merged families: HELP and
 * TYPE per family (counters as `<name>_total`), labels sorted by name,
 * values as Python prints them. What `sglang-otel-bridge multiproc DIR` prints.
 */
const NEEDS_ESCAPE = /[\\\n"]/;

function escapeValue(v: string): string {
  if (!NEEDS_ESCAPE.test(v)) return v;
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/**
 * The exposition of `families`. With `write`, it is handed over in pieces of
 * about a thousand lines as they are made (and '' returned): a large
 * directory's text is then never held whole.
 */
export function renderPythonExposition(families: readonly MergedFamily[], write?: (piece: string) => void): string {
  const out = new Lines(write);
  const labelTexts = new LabelTexts();
  for (const f of families) {
    const name = f.type === 'counter' ? `${f.name}_total` : f.name;
    out.push(`# HELP ${name} ${f.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
    out.push(`# TYPE ${name} ${f.type}`);
    if (f.perProcess) processLines(out, f.perProcess);
    else for (const s of f.samples) out.push(`${s.name}${labelTexts.of(s.labels)} ${floatToGoString(s.value)}`);
  }
  return out.text();
}

/**
 * Lines joined a thousand at a time: each line is made of pieces that are
 * garbage once joined, so they die young instead of being kept (and copied
 * by every collection) until the whole exposition is joined. With `write`,
 * each thousand is handed over instead of kept.
 */
class Lines {
  private readonly chunks: string[] = [];
  private lines: string[] = [];

  constructor(private readonly write?: (piece: string) => void) {}

  push(line: string): void {
    if (this.lines.push(line) === 1024) this.flush();
  }

  text(): string {
    this.flush();
    return this.chunks.join('');
  }

  private flush(): void {
    if (!this.lines.length) return;
    // An empty last line gives the final newline: one flat string, not a join plus a concatenation to flatten again.
    this.lines.push('');
    const piece = this.lines.join('\n');
    if (this.write) this.write(piece);
    else this.chunks.push(piece);
    this.lines = [];
  }
}

/**
 * The lines of a gauge in mode all or liveall: the text around the `pid`
 * value is made once per series (labels sorted by name, `pid` after any
 * label that sorts equal, as a stable sort of the labels with `pid`
 * appended puts it), then each line is that text, the pid and the value.
 */
function processLines(out: Lines, values: ProcessValues): void {
  const around = new Map<object, { before: string; after: string }>();
  // A process's values come one after the other: its pid is escaped once for them.
  let pid: string | undefined;
  let pidText = '';
  for (let j = 0; j < values.length; j++) {
    const series = values.series(j);
    let text = around.get(series);
    if (text === undefined) around.set(series, (text = textAroundPid(series.name, series.labels)));
    const p = values.pid(j);
    if (p !== pid) {
      pid = p;
      pidText = escapeValue(p);
    }
    out.push(text.before + pidText + text.after + floatToGoString(values.value(j)));
  }
}

/** The text of `name`{`labels` with `pid` appended} up to and after the pid value, the value's space included. */
function textAroundPid(name: string, labels: Labels): { before: string; after: string } {
  const around = textAround(labels, labels.length, 'pid');
  return { before: name + around.before, after: around.after + ' ' };
}

/**
 * The label text `{...}` of the first `n` pairs of `labels` with a pair
 * named `name` appended, up to its value and after it: names sorted as a
 * stable sort of the pairs with that one last puts them (it goes after every
 * name not above its own).
 */
function textAround(labels: Labels, n: number, name: string): { before: string; after: string } {
  const sorted = inOrder(labels, n) ? labels.slice(0, n) : labels.slice(0, n).sort(byName);
  let at = 0;
  while (at < sorted.length && sorted[at][0] <= name) at++;
  const pair = ([k, v]: readonly [string, string]) => k + '="' + escapeValue(v) + '"';
  return { before: `{${sorted.slice(0, at).map((p) => pair(p) + ',').join('')}${name}="`, after: `"${sorted.slice(at).map((p) => ',' + pair(p)).join('')}}` };
}

/**
 * Label texts `{a="1",b="2"}` (names sorted; '' without labels) of samples
 * in order. A sample whose labels are the previous sample's pairs (the same
 * pair objects) but the last one, with the same name there (a histogram's
 * buckets: the label set's pairs, then `le`), reuses the text around that
 * last value instead of ordering and writing every pair again.
 */
class LabelTexts {
  private lead: Labels | undefined;
  private lastName = '';
  private before = '';
  private after = '';

  of(labels: Labels): string {
    const n = labels.length;
    if (n === 0) return '';
    const lead = this.lead;
    if (lead !== undefined && lead.length === n && labels[n - 1][0] === this.lastName && sameLeadingPairs(labels, lead, n - 1)) {
      return flat(this.before + escapeValue(labels[n - 1][1]) + this.after);
    }
    this.lead = labels;
    const [name, value] = labels[n - 1];
    const around = textAround(labels, n - 1, name);
    this.lastName = name;
    this.before = around.before;
    this.after = around.after;
    return flat(this.before + escapeValue(value) + this.after);
  }
}

/** Whether the first `n` pairs of `a` and `b` are the same pair objects. */
function sameLeadingPairs(a: Labels, b: Labels, n: number): boolean {
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

const byName = (a: readonly [string, string], b: readonly [string, string]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/** Whether the first `n` pairs are in name order. */
function inOrder(labels: Labels, n: number): boolean {
  for (let i = 1; i < n; i++) if (labels[i - 1][0] > labels[i][0]) return false;
  return true;
}

