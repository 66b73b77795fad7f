import { attributesKey, type Attributes, type HistogramPoint, type Metric, type NumberPoint, type SummaryPoint } from '../../model/metrics.js';
import { labelsToAttributes, type Labels } from './attributes.js';
import { parseBound, type HistogramGroup } from './merge.js';

/** A Prometheus family as prometheus_client merges it or an exposition states it. */
export interface PromFamily {
  readonly name: string;
  /** counter, histogram and summary are converted as such; every other type becomes gauges. */
  readonly type: string;
  readonly help: string;
  readonly samples: readonly PromSample[];
  /** A histogram's label sets when the producer grouped them already (the merge engine): used instead of regrouping `samples`. */
  readonly histograms?: readonly HistogramGroup[];
}

export interface PromSample {
  readonly name: string;
  readonly labels: readonly (readonly [string, string])[];
  readonly value: number;
  /**
   * The attributes of its points when the producer made them already (the
   * merge engine, given the directory's attributes, makes them once per
   * label set): `extra` plus `labels`. Otherwise made here, once per labels array.
   */
  readonly attributes?: Attributes;
}

/**
 * Merged prometheus_client families to the pipeline's metric model, with
 * OpenTelemetry semantics (spec otel.md §4): counters become monotonic
 * cumulative sums named as Prometheus shows them (`..._total`), histograms
 * keep their bucket bounds (cumulative buckets become per-bucket counts),
 * summaries keep sum and count. A cumulative series keeps its start time
 * until it resets: its value goes down, or the directory lost a file.
 */
export class CumulativeClock {
  /** By series key; `seen` is the sweep generation that last saw the series. */
  private readonly series = new Map<string, { readonly key: string; startTimeMs: number; last: number; seen: number }>();
  private generation = 0;
  /** The series key of a sample name and attributes object, made once per object (see seriesKey). */
  private readonly keys = new WeakMap<Attributes, { name: string; key: string }>();
  /**
   * Attributes made from a label array, kept while the array lives: a source
   * whose label arrays are the same read after read (the multiprocess merge
   * engine) gets the same attributes objects, so every later cache keyed by
   * them (series keys, rendered labels) hits.
   */
  private readonly attributeCache = new WeakMap<Labels, { extra: Attributes; attributes: Attributes }>();

  attributes(labels: Labels, extra: Attributes): Attributes {
    const hit = this.attributeCache.get(labels);
    if (hit && hit.extra === extra) return hit.attributes;
    const attributes = labelsToAttributes(labels, extra);
    this.attributeCache.set(labels, { extra, attributes });
    return attributes;
  }

  /** The start time of the cumulative series `name` + `attributes` whose value is now `value`. */
  startTime(name: string, attributes: Attributes, value: number, nowMs: number, resetAll: boolean): number {
    const key = this.seriesKey(name, attributes);
    const s = this.series.get(key);
    if (!s || resetAll || value < s.last) {
      this.series.set(key, { key, startTimeMs: nowMs, last: value, seen: this.generation });
      return nowMs;
    }
    s.last = value;
    s.seen = this.generation;
    return s.startTimeMs;
  }

  /** Forgets series not seen since the last call (bounded memory). */
  sweep(): void {
    this.series.forEach((s) => {
      if (s.seen !== this.generation) this.series.delete(s.key);
    });
    this.generation++;
  }

  /** The key of a series: its sample name and its attributes by content (a series keeps its start time whichever object carries them). */
  private seriesKey(name: string, attributes: Attributes): string {
    const known = this.keys.get(attributes);
    if (known !== undefined && known.name === name) return known.key;
    const key = name + '\u0002' + attributesKey(attributes);
    this.keys.set(attributes, { name, key });
    return key;
  }
}

/**
 * The samples of a family split by sample name (a counter's `_total`, each
 * gauge-like sample name), creation times (`_created`) left out. Samples of
 * one name come in runs (usually a single run): one lookup per run.
 */
function bySampleName(f: PromFamily): Map<string, PromSample[]> {
  const out = new Map<string, PromSample[]>();
  const samples = f.samples;
  let start = 0;
  while (start < samples.length) {
    const name = samples[start].name;
    let end = start + 1;
    while (end < samples.length && samples[end].name === name) end++;
    if (!name.endsWith('_created')) {
      const list = out.get(name);
      if (list === undefined) out.set(name, start === 0 && end === samples.length ? (samples as PromSample[]) : samples.slice(start, end));
      else for (let i = start; i < end; i++) list.push(samples[i]);
    }
    start = end;
  }
  return out;
}

/** Gauge points of `samples`, observed at `nowMs`. */
function gaugePoints(samples: readonly PromSample[], extra: Attributes, clock: CumulativeClock, nowMs: number): NumberPoint[] {
  const n = samples.length;
  const points = new Array<NumberPoint>(n);
  for (let i = 0; i < n; i++) {
    const s = samples[i];
    points[i] = { attributes: s.attributes ?? clock.attributes(s.labels, extra), startTimeMs: nowMs, timeMs: nowMs, value: s.value };
  }
  return points;
}

/** Cumulative points of `samples` (counters), each with the start time of its series. */
function counterPoints(samples: readonly PromSample[], extra: Attributes, clock: CumulativeClock, nowMs: number, resetAll: boolean): NumberPoint[] {
  const n = samples.length;
  const points = new Array<NumberPoint>(n);
  for (let i = 0; i < n; i++) {
    const s = samples[i];
    const attributes = s.attributes ?? clock.attributes(s.labels, extra);
    points[i] = { attributes, startTimeMs: clock.startTime(s.name, attributes, s.value, nowMs, resetAll), timeMs: nowMs, value: s.value };
  }
  return points;
}

export function familiesToMetrics(families: readonly PromFamily[], attributes: Attributes, nowMs: number, clock: CumulativeClock, resetAll: boolean): Metric[] {
  const out: Metric[] = [];
  for (const f of families) {
    if (f.type === 'counter') {
      for (const [name, samples] of bySampleName(f)) out.push({ kind: 'sum', monotonic: true, name, description: f.help, unit: '', points: counterPoints(samples, attributes, clock, nowMs, resetAll) });
    } else if (f.type === 'histogram') {
      out.push({ kind: 'histogram', name: f.name, description: f.help, unit: '', points: histogramPoints(f, attributes, nowMs, clock, resetAll) });
    } else if (f.type === 'summary') {
      out.push({ kind: 'summary', name: f.name, description: f.help, unit: '', points: summaryPoints(f, attributes, nowMs, clock, resetAll) });
    } else {
      for (const [name, samples] of bySampleName(f)) out.push({ kind: 'gauge', name, description: f.help, unit: '', points: gaugePoints(samples, attributes, clock, nowMs) });
    }
  }
  return out;
}

/**
 * A histogram label set as its samples are gathered: the merge engine's
 * HistogramGroup, filled in (its attributes when its `_sum` sample, whose
 * labels are the set's, carries them; buckets as the samples gave them,
 * sorted by bound once all are in).
 */
type Group = { -readonly [K in keyof HistogramGroup]: HistogramGroup[K] };

/** A sample's label set without `le` (its histogram group) and its bound, made once per label array. */
const groupInfo = new WeakMap<Labels, { key: string; labels: Labels; le: number }>();
function groupOf(labels: Labels): { key: string; labels: Labels; le: number } {
  let info = groupInfo.get(labels);
  if (!info) {
    const le = labels.find(([k]) => k === 'le');
    const rest = le ? labels.filter(([k]) => k !== 'le') : labels;
    info = { key: rest.map(([k, v]) => `${k}\u0000${v}`).join('\u0001'), labels: rest, le: le ? parseBound(le[1]) : NaN };
    groupInfo.set(labels, info);
  }
  return info;
}

function groupBy(f: PromFamily, each: (g: Group, s: PromSample, suffix: string, le: number) => void): Group[] {
  const groups = new Map<string, Group>();
  for (const s of f.samples) {
    const suffix = s.name.slice(f.name.length);
    const info = groupOf(s.labels);
    let g = groups.get(info.key);
    if (!g) groups.set(info.key, (g = { labels: info.labels, attributes: undefined, sum: 0, count: 0, les: [], cumulative: [] }));
    if (suffix === '_sum' && s.attributes !== undefined && s.labels === g.labels) g.attributes = s.attributes;
    each(g, s, suffix, info.le);
  }
  return [...groups.values()];
}

/** Sorts a group's buckets by bound (stable), when they are not in order already. */
function sortBuckets(g: Group): void {
  const { les, cumulative } = g;
  let sorted = true;
  for (let i = 1; i < les.length && sorted; i++) if (!(les[i - 1] <= les[i])) sorted = false;
  if (sorted) return;
  const order = les.map((_, i) => i).sort((a, b) => les[a] - les[b] || a - b);
  g.les = order.map((i) => les[i]);
  g.cumulative = order.map((i) => cumulative[i]);
}

/** A histogram family's label sets from its samples, buckets in bound order. */
function histogramGroups(f: PromFamily): Group[] {
  const groups = groupBy(f, (g, s, suffix, le) => {
    if (suffix === '_sum') g.sum = s.value;
    else if (suffix === '_count') g.count = s.value;
    else if (suffix === '_bucket') {
      g.les.push(le);
      g.cumulative.push(s.value);
    }
  });
  for (const g of groups) sortBuckets(g);
  return groups;
}

function histogramPoints(f: PromFamily, extra: Attributes, nowMs: number, clock: CumulativeClock, resetAll: boolean): HistogramPoint[] {
  const groups: readonly HistogramGroup[] = f.histograms ?? histogramGroups(f);
  return groups.map((g) => {
    const { les, cumulative } = g;
    const bounds: number[] = [];
    const bucketCounts: number[] = [];
    for (let i = 0; i < les.length; i++) {
      if (les[i] !== Infinity) bounds.push(les[i]);
      bucketCounts.push(cumulative[i] - (i ? cumulative[i - 1] : 0));
    }
    if (bucketCounts.length === bounds.length) bucketCounts.push(g.count - (cumulative.length ? cumulative[cumulative.length - 1] : 0));
    const attributes = g.attributes ?? clock.attributes(g.labels, extra);
    const startTimeMs = clock.startTime(f.name, attributes, g.count, nowMs, resetAll);
    return { attributes, startTimeMs, timeMs: nowMs, count: g.count, sum: g.sum, bounds, bucketCounts };
  });
}

function summaryPoints(f: PromFamily, extra: Attributes, nowMs: number, clock: CumulativeClock, resetAll: boolean): SummaryPoint[] {
  const groups = groupBy(f, (g, s, suffix) => {
    if (suffix === '_sum') g.sum = s.value;
    else if (suffix === '_count') g.count = s.value;
  });
  return groups.map((g) => {
    const attributes = g.attributes ?? clock.attributes(g.labels, extra);
    return { attributes, startTimeMs: clock.startTime(f.name, attributes, g.count, nowMs, resetAll), timeMs: nowMs, count: g.count, sum: g.sum, quantiles: [] };
  });
}
