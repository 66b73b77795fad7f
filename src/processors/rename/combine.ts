import { attributesKey, type HistogramPoint, type Metric, type NumberPoint } from '../../model/metrics.js';

/**
 * After renaming, two metrics may carry one name (the gen_ai preset maps
 * SGLang's prompt and generation token histograms onto gen_ai.client.token.usage),
 * and dropping labels may give two points one label set. Each series must
 * keep one writer (spec/otel.md §4), so:
 * - metrics of one name and kind become one metric (the first one's unit and description);
 * - points with equal labels are added up where that is exact: monotonic sums
 *   (values), histograms with equal bounds (counts, sums, buckets; min/max
 *   combined); the start time is the earliest, the time the latest;
 * - anything else (gauges, summaries, different bounds, a name reused by another
 *   kind) keeps the first and counts the rest as dropped.
 */
export interface Combined {
  readonly metrics: Metric[];
  /** Points left out because they could not be added up (see above). */
  readonly dropped: number;
}

function addNumber(a: NumberPoint, b: NumberPoint): NumberPoint {
  return { attributes: a.attributes, startTimeMs: Math.min(a.startTimeMs, b.startTimeMs), timeMs: Math.max(a.timeMs, b.timeMs), value: a.value + b.value };
}

function sameBounds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function addHistogram(a: HistogramPoint, b: HistogramPoint): HistogramPoint {
  const out: HistogramPoint = {
    attributes: a.attributes,
    startTimeMs: Math.min(a.startTimeMs, b.startTimeMs),
    timeMs: Math.max(a.timeMs, b.timeMs),
    count: a.count + b.count,
    sum: a.sum + b.sum,
    bounds: a.bounds,
    bucketCounts: a.bucketCounts.map((c, i) => c + b.bucketCounts[i]),
  };
  if (a.min !== undefined && b.min !== undefined) (out as { min?: number }).min = Math.min(a.min, b.min);
  if (a.max !== undefined && b.max !== undefined) (out as { max?: number }).max = Math.max(a.max, b.max);
  return out;
}

/** One metric's points with equal label sets combined. */
function combinePoints(metric: Metric): { metric: Metric; dropped: number } {
  const byKey = new Map<string, number>();
  const points: Metric['points'][number][] = [];
  let dropped = 0;
  for (const p of metric.points) {
    const key = attributesKey(p.attributes);
    const at = byKey.get(key);
    if (at === undefined) {
      byKey.set(key, points.length);
      points.push(p);
      continue;
    }
    const q = points[at];
    if (metric.kind === 'sum' && metric.monotonic) points[at] = addNumber(q as NumberPoint, p as NumberPoint);
    else if (metric.kind === 'histogram' && sameBounds((q as HistogramPoint).bounds, (p as HistogramPoint).bounds)) points[at] = addHistogram(q as HistogramPoint, p as HistogramPoint);
    else dropped++;
  }
  // Same length: nothing was added up or left out.
  if (points.length === metric.points.length) return { metric, dropped: 0 };
  return { metric: { ...metric, points } as Metric, dropped };
}

/**
 * Combines metrics of equal names and points of equal labels. `check` lists the
 * indexes of metrics whose points may collide (the renamed ones); the others
 * are trusted as their producer made them.
 */
export function combine(metrics: readonly Metric[], check: ReadonlySet<number>): Combined {
  const byName = new Map<string, number>();
  const out: Metric[] = [];
  const dirty = new Set<number>();
  let dropped = 0;
  metrics.forEach((m, i) => {
    const at = byName.get(m.name);
    if (at === undefined) {
      byName.set(m.name, out.length);
      if (check.has(i)) dirty.add(out.length);
      out.push(m);
      return;
    }
    const first = out[at];
    if (first.kind !== m.kind || (first.kind === 'sum' && m.kind === 'sum' && first.monotonic !== m.monotonic)) {
      dropped += m.points.length;
      return;
    }
    out[at] = { ...first, points: [...first.points, ...m.points] } as Metric;
    dirty.add(at);
  });
  for (const at of dirty) {
    const r = combinePoints(out[at]);
    out[at] = r.metric;
    dropped += r.dropped;
  }
  return { metrics: out, dropped };
}
