import type { MergedFamily, ProcessValues } from './merge.js';
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
  for (const f of families) {
    const name = f.type === 'counter' ? `${f.name}_total` : f.name;
    out.push(`# HELP ${name} ${f.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
    out.push(`# TYPE ${name} ${f.type}`);
    if (f.perProcess) processLines(out, f.perProcess);
    else for (const s of f.samples) out.push(`${s.name}${labelText(s.labels)} ${floatToGoString(s.value)}`);
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
    const piece = this.lines.join('\n') + '\n';
    if (this.write) this.write(piece);
    else this.chunks.push(piece);
    this.lines = [];
  }
}

type Labels = readonly (readonly [string, string])[];

/**
 * The lines of a gauge in mode all or liveall: the text around the `pid`
 * value is made once per series (labels sorted by name, `pid` after any
 * label that sorts equal, as a stable sort of the labels with `pid`
 * appended puts it), then each line is that text, the pid and the value.
 */
function processLines(out: Lines, values: ProcessValues): void {
  const around = new Map<object, { before: string; after: string }>();
  for (let j = 0; j < values.length; j++) {
    const series = values.series(j);
    let text = around.get(series);
    if (text === undefined) around.set(series, (text = textAroundPid(series.name, series.labels)));
    const line = text.before + escapeValue(values.pid(j)) + text.after + floatToGoString(values.value(j));
    out.push(line);
  }
}

function textAroundPid(name: string, labels: Labels): { before: string; after: string } {
  const sorted = [...labels].sort(byName);
  let at = 0;
  while (at < sorted.length && sorted[at][0] <= 'pid') at++;
  const pair = ([k, v]: readonly [string, string]) => k + '="' + escapeValue(v) + '"';
  const head = sorted.slice(0, at).map(pair);
  const tail = sorted.slice(at).map(pair);
  return { before: `${name}{${head.map((p) => p + ',').join('')}pid="`, after: `"${tail.map((p) => ',' + p).join('')}} ` };
}

const byName = (a: readonly [string, string], b: readonly [string, string]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/**
 * `{a="1",b="2"}`, names sorted; '' without labels. Pairs out of order (a
 * histogram's `le` appended last) are written in order without sorting a
 * copy: the next pair is the least name above the last one written.
 */
function labelText(labels: Labels): string {
  const n = labels.length;
  if (n === 0) return '';
  let inOrder = true;
  for (let i = 1; i < n && inOrder; i++) inOrder = labels[i - 1][0] <= labels[i][0];
  let text = '{';
  if (inOrder) {
    for (let i = 0; i < n; i++) {
      if (i) text += ',';
      text += labels[i][0] + '="' + escapeValue(labels[i][1]) + '"';
    }
  } else {
    // Equal names keep their order (a stable sort's): ties go by index.
    let last = -1;
    for (let k = 0; k < n; k++) {
      let next = -1;
      for (let i = 0; i < n; i++) {
        if (last >= 0 && (labels[i][0] < labels[last][0] || (labels[i][0] === labels[last][0] && i <= last))) continue;
        if (next < 0 || labels[i][0] < labels[next][0]) next = i;
      }
      if (k) text += ',';
      text += labels[next][0] + '="' + escapeValue(labels[next][1]) + '"';
      last = next;
    }
  }
  text += '}';
  // Built piece by piece, the text is a tree of pieces that the final join would walk piece by piece; reading a character makes it one flat string.
  text.charCodeAt(0);
  return text;
}
