import { sortedNames, type Attributes, type HistogramPoint, type Metric, type NumberPoint, type SummaryPoint } from '../../model/metrics.js';
import { flat } from '../../encoding/flat-string.js';
import { floatToGoString } from '../../encoding/python-float.js';
import { familyName, sanitizeLabelName } from './names.js';

/**
 * Renders metrics as Prometheus text format 0.0.4 or OpenMetrics 1.0 (pure).
 * Pre-aggregated data (cumulative counters, per-bucket histogram counts) is
 * rendered as it is: no instrument re-records anything.
 */
export type ExpositionFormat = 'text' | 'openmetrics';

export const CONTENT_TYPE: Record<ExpositionFormat, string> = {
  text: 'text/plain; version=0.0.4; charset=utf-8',
  openmetrics: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
};

/** Picks OpenMetrics when the Accept header asks for it (as Prometheus does when configured to). */
export function negotiate(accept: string | undefined): ExpositionFormat {
  return accept && accept.includes('application/openmetrics-text') ? 'openmetrics' : 'text';
}

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

const NEEDS_ESCAPE = /[\\\n"]/;

function escapeLabelValue(v: string): string {
  if (!NEEDS_ESCAPE.test(v)) return v;
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

const labelNameCache = new Map<string, string>();
function labelName(n: string): string {
  let s = labelNameCache.get(n);
  if (s === undefined) {
    s = sanitizeLabelName(n);
    labelNameCache.set(n, s);
  }
  return s;
}

/** `a="1",b="2"` (names sorted, values escaped), cached per attributes object (they are read-only). */
const labelTextCache = new WeakMap<Attributes, string>();
function labelText(attributes: Attributes): string {
  let s = labelTextCache.get(attributes);
  if (s === undefined) {
    s = makeLabelText(attributes);
    labelTextCache.set(attributes, s);
  }
  return s;
}

function makeLabelText(attributes: Attributes): string {
  const names = sortedNames(attributes);
  let s = '';
  for (let i = 0; i < names.length; i++) {
    if (i) s += ',';
    s += labelName(names[i]) + '="' + escapeLabelValue(attributes[names[i]]) + '"';
  }
  return s;
}

/** `{a="1",b="2"}` with an extra label last (`le`, `quantile`); '' when empty. */
function labels(attributes: Attributes, extraName?: string, extraValue?: string): string {
  const base = labelText(attributes);
  if (!extraName) return base ? `{${base}}` : '';
  return `{${base}${base ? ',' : ''}${extraName}="${extraValue}"}`;
}

const TYPE_OF: Record<Metric['kind'], string> = { sum: 'counter', gauge: 'gauge', histogram: 'histogram', summary: 'summary' };

/**
 * The last line rendered for a series (sample name + attributes object), kept
 * while its attributes object lives: a scrape whose value did not change
 * since the previous one reuses the line instead of building it again.
 */
interface LineCache {
  readonly name: string;
  readonly attributes: Attributes;
  /** `name{labels} ` */
  readonly prefix: string;
  value: number;
  line: string;
  /** Its position in the last render of its sample name (see Positions). */
  index: number;
}
const lineCache = new WeakMap<Attributes, LineCache>();

/**
 * The line caches of a sample name's series in the order of its last render,
 * and of the render under way: producers send the same series in the same
 * order scrape after scrape (the multiprocess receiver), so point i usually
 * finds its cache at the next position, without a lookup by attributes
 * object. A series inserted or left out in between costs one lookup, after
 * which the positions carry on from where it was found.
 */
interface Positions {
  last: LineCache[];
  current: LineCache[];
  /** Where in `last` the next point's cache is expected. */
  next: number;
}
/** By sample name; one entry per name ever rendered (bounded by the families). */
const positions = new Map<string, Positions>();

/** `name{labels} value` for one number point; built again only when name or value changed. */
function numberLine(name: string, p: NumberPoint, at: Positions, i: number): string {
  let c: LineCache | undefined = at.last[at.next];
  if (c !== undefined && c.attributes === p.attributes && c.name === name) at.next++;
  else {
    c = lineCache.get(p.attributes);
    if (c === undefined || c.name !== name) {
      // the label text is not cached apart: the line cache holds it
      const text = makeLabelText(p.attributes);
      c = { name, attributes: p.attributes, prefix: flat(text ? name + '{' + text + '} ' : name + ' '), value: NaN, line: '', index: -1 };
      lineCache.set(p.attributes, c);
    } else if (c.index >= at.next && at.last[c.index] === c) at.next = c.index + 1; // found further on: series before it were left out
  }
  if (c.value !== p.value || Number.isNaN(p.value)) {
    // NaN never equals itself: rebuilt every time, which is correct and rare
    c.value = p.value;
    c.line = c.prefix + formatValue(p.value);
  }
  c.index = i;
  at.current[i] = c;
  return c.line;
}

/** Points [from, to) of a metric whose points are rendered in slices, first to last. */
function renderNumbers(name: string, points: readonly NumberPoint[], out: LineSink, from: number, to: number): void {
  let at = positions.get(name);
  if (at === undefined) positions.set(name, (at = { last: [], current: [], next: 0 }));
  if (from === 0) {
    // A new render of this name: the current positions become the last (their arrays swapped, not made anew).
    const last = at.current;
    at.current = at.last;
    at.last = last;
    at.next = 0;
  }
  for (let i = from; i < to; i++) out.push(numberLine(name, points[i], at, i));
  if (to === points.length) at.current.length = to;
}

/** Bucket bounds as text, made once per distinct bound. */
const boundText = new Map<number, string>();
function bound(b: number): string {
  let s = boundText.get(b);
  if (s === undefined) {
    // Bounds as prometheus_client prints them (`1.0`, not `1`), so queries written against SGLang's own /metrics keep working.
    s = floatToGoString(b);
    if (boundText.size < 10_000) boundText.set(b, s);
  }
  return s;
}

/**
 * The lines last rendered for a histogram series (family name + attributes
 * object + bounds), kept while its attributes object lives: line i is
 * prefixes[i] + its value (buckets in bound order, then _sum, then _count),
 * rebuilt only when that value changed.
 */
interface HistogramLineCache {
  readonly name: string;
  readonly bounds: readonly number[];
  readonly prefixes: string[];
  readonly values: number[];
  readonly lines: string[];
}
const histogramCache = new WeakMap<Attributes, HistogramLineCache>();

function sameBounds(a: readonly number[], b: readonly number[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function histogramLines(name: string, p: HistogramPoint): HistogramLineCache {
  let c = histogramCache.get(p.attributes);
  if (c === undefined || c.name !== name || !sameBounds(c.bounds, p.bounds) || c.prefixes.length !== p.bucketCounts.length + 2) {
    const prefixes: string[] = [];
    for (let i = 0; i < p.bucketCounts.length; i++) prefixes.push(flat(`${name}_bucket${labels(p.attributes, 'le', i < p.bounds.length ? bound(p.bounds[i]) : '+Inf')} `));
    prefixes.push(flat(`${name}_sum${labels(p.attributes)} `), flat(`${name}_count${labels(p.attributes)} `));
    // NaN: no value rendered yet (NaN never equals itself)
    c = { name, bounds: p.bounds.slice(), prefixes, values: prefixes.map(() => NaN), lines: prefixes.map(() => '') };
    histogramCache.set(p.attributes, c);
  }
  return c;
}

/** Line `i` of a histogram series valued `v`: the one rendered last while `v` is unchanged. */
function histogramLine(c: HistogramLineCache, i: number, v: number): string {
  if (c.values[i] !== v || Number.isNaN(v)) {
    c.values[i] = v;
    c.lines[i] = c.prefixes[i] + formatValue(v);
  }
  return c.lines[i];
}

function renderHistogram(name: string, points: readonly HistogramPoint[], out: LineSink, from: number, to: number): void {
  for (let j = from; j < to; j++) {
    const p = points[j];
    const c = histogramLines(name, p);
    const n = p.bucketCounts.length;
    let cumulative = 0;
    for (let i = 0; i < n; i++) {
      cumulative += p.bucketCounts[i];
      out.push(histogramLine(c, i, cumulative));
    }
    out.push(histogramLine(c, n, p.sum));
    out.push(histogramLine(c, n + 1, p.count));
  }
}

function renderSummary(name: string, points: readonly SummaryPoint[], out: LineSink, from: number, to: number): void {
  for (let j = from; j < to; j++) {
    const p = points[j];
    for (const q of p.quantiles) out.push(`${name}${labels(p.attributes, 'quantile', floatToGoString(q.quantile))} ${formatValue(q.value)}`);
    out.push(`${name}_sum${labels(p.attributes)} ${formatValue(p.sum)}`);
    out.push(`${name}_count${labels(p.attributes)} ${formatValue(p.count)}`);
  }
}

/** Where rendered lines go (an array, or the current slice of a chunked render). */
interface LineSink {
  push(line: string): unknown;
}

/** Lines rendered between two chances to pause (a few milliseconds of work). */
const SLICE_LINES = 1024;

/** Points per slice: a histogram point is one line per bucket plus _sum and _count. */
function slicePoints(metric: Metric): number {
  if (metric.kind === 'histogram') return Math.max(1, Math.floor(SLICE_LINES / ((metric.points[0]?.bucketCounts.length ?? 1) + 2)));
  if (metric.kind === 'summary') return Math.max(1, Math.floor(SLICE_LINES / ((metric.points[0]?.quantiles.length ?? 0) + 2)));
  return SLICE_LINES;
}

/**
 * The exposition's lines into `out`, pausing (yield) after every slice of
 * points so that a caller may let other work run in between.
 */
function* renderLines(metrics: readonly Metric[], format: ExpositionFormat, out: LineSink): Generator<void, void, void> {
  const seen = new Set<string>();
  for (const metric of metrics) {
    if (!metric.points.length) continue;
    const family = familyName(metric);
    // A counter that is not monotonic (an up-down sum) is a gauge to Prometheus.
    const type = metric.kind === 'sum' && !metric.monotonic ? 'gauge' : TYPE_OF[metric.kind];
    const isCounter = type === 'counter';
    const sampleName = isCounter ? `${family}_total` : family;
    const headerName = isCounter && format === 'text' ? sampleName : family;
    if (!seen.has(headerName)) {
      seen.add(headerName);
      if (metric.description) out.push(`# HELP ${headerName} ${escapeHelp(metric.description)}`);
      out.push(`# TYPE ${headerName} ${type === 'gauge' && format === 'openmetrics' ? 'gauge' : type}`);
    }
    const n = metric.points.length;
    const step = slicePoints(metric);
    for (let from = 0; from < n; from += step) {
      const to = Math.min(n, from + step);
      if (metric.kind === 'histogram') renderHistogram(family, metric.points, out, from, to);
      else if (metric.kind === 'summary') renderSummary(family, metric.points, out, from, to);
      else renderNumbers(sampleName, metric.points, out, from, to);
      yield;
    }
  }
  if (format === 'openmetrics') out.push('# EOF');
}

function joined(out: readonly string[]): string {
  return out.length ? out.join('\n') + '\n' : '';
}

export function render(metrics: readonly Metric[], format: ExpositionFormat): string {
  const out: string[] = [];
  const lines = renderLines(metrics, format, out);
  while (!lines.next().done);
  return joined(out);
}

/**
 * The same text as `render`, made in slices of at most about `sliceMs`
 * milliseconds with the event loop free in between (default 10 ms): a large
 * exposition (tens of thousands of series) does not hold up other work.
 * `metrics` must not change meanwhile (a store snapshot does not).
 */
export async function renderSliced(metrics: readonly Metric[], format: ExpositionFormat, sliceMs = 10): Promise<string> {
  return (await renderChunks(metrics, format, sliceMs)).join('');
}

/**
 * The exposition as consecutive pieces of text (their concatenation is
 * `render`'s text), made in slices of about `sliceMs` with the event loop free
 * in between. Each piece holds the lines of one slice, so that no step joins
 * or encodes the whole exposition at once: a server writes the pieces one by
 * one.
 */
export async function renderChunks(metrics: readonly Metric[], format: ExpositionFormat, sliceMs = 10): Promise<string[]> {
  const chunks: string[] = [];
  const out: string[] = [];
  const lines = renderLines(metrics, format, out);
  let sliceStart = performance.now();
  const flush = () => {
    if (out.length) {
      // An empty last line gives the final newline: one flat string, not a join plus a concatenation the server would flatten again.
      out.push('');
      chunks.push(out.join('\n'));
    }
    out.length = 0;
  };
  while (!lines.next().done) {
    if (out.length >= SLICE_LINES) flush();
    if (performance.now() - sliceStart >= sliceMs) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      sliceStart = performance.now();
    }
  }
  flush();
  return chunks;
}
