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

export function renderPythonExposition(families: readonly MergedFamily[]): string {
  const out = new Lines();
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
 * by every collection) until the whole exposition is joined.
 */
class Lines {
  private readonly chunks: string[] = [];
  private lines: string[] = [];

  push(line: string): void {
    if (this.lines.push(line) === 1024) this.flush();
  }

  text(): string {
    this.flush();
    return this.chunks.join('');
  }

  private flush(): void {
    if (this.lines.length) this.chunks.push(this.lines.join('\n') + '\n');
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

/** `{a="1",b="2"}`, names sorted (a copy is sorted only when out of order); '' without labels. */
function labelText(labels: Labels): string {
  const n = labels.length;
  if (n === 0) return '';
  let sorted = labels;
  for (let i = 1; i < n; i++) {
    if (labels[i - 1][0] > labels[i][0]) {
      sorted = [...labels].sort(byName);
      break;
    }
  }
  let text = '{';
  for (let i = 0; i < n; i++) {
    if (i) text += ',';
    text += sorted[i][0] + '="' + escapeValue(sorted[i][1]) + '"';
  }
  text += '}';
  // Built piece by piece, the text is a tree of pieces that the final join would walk piece by piece; reading a character makes it one flat string.
  text.charCodeAt(0);
  return text;
}
