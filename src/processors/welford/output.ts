import type { Attributes, GaugeMetric, HistogramPoint, Metric, NumberPoint } from '../../model/metrics.js';
import { QUANTITIES, TOTALS } from './quantities.js';
import type { SeriesState, WindowStates } from './series.js';
import { merge, result, type Moments } from './welford.js';

/**
 * Turns welford state into metrics (pure). Names are OTel-style; the
 * Prometheus exporter renders them (docs/metrics.md lists both forms).
 */

/** Cumulative metrics over the life of each stream. */
export function cumulativeMetrics(series: readonly SeriesState[], nowMs: number, bounds: readonly number[]): Metric[] {
  const iterations: NumberPoint[] = [];
  const totals: NumberPoint[][] = TOTALS.map(() => []);
  const wall: HistogramPoint[] = [];
  for (const s of series) {
    const base = { attributes: s.attributes, startTimeMs: s.startTimeMs, timeMs: nowMs };
    iterations.push({ ...base, value: s.iterations });
    TOTALS.forEach((_, i) => totals[i].push({ ...base, value: s.totals[i] }));
    wall.push({ ...base, count: s.iterations, sum: s.wallTimeSum, bounds, bucketCounts: [...s.bucketCounts] });
  }
  return [
    { kind: 'sum', monotonic: true, name: 'sglang.fpm.iterations', description: 'Forward passes (scheduler iterations) received; heartbeats not included.', unit: '{iteration}', points: iterations },
    ...TOTALS.map((t, i) => ({ kind: 'sum' as const, monotonic: true, name: `sglang.fpm.${t.key}`, description: t.description, unit: t.unit, points: totals[i] })),
    { kind: 'histogram', name: 'sglang.fpm.wall_time', description: 'Seconds per forward pass (sum = total busy time, count = iterations).', unit: 's', points: wall },
  ];
}

/** One row of window output: a rank, or a worker's ranks merged. */
export interface WindowRow {
  readonly attributes: Attributes;
  readonly states: WindowStates;
  /** How many ranks the row covers (1, or the merged count). */
  readonly ranks: number;
}

/** Merges the window states of several ranks of one worker (parallel Welford). */
export function mergeRows(states: readonly WindowStates[]): WindowStates {
  return {
    quantities: QUANTITIES.map((_, i) => states.map((s) => s.quantities[i]).reduce(merge)),
    promptLength: states.map((s) => s.promptLength).reduce(merge),
    decodeContext: states.map((s) => s.decodeContext).reduce(merge),
  };
}

function gauge(name: string, description: string, unit: string, points: NumberPoint[]): GaugeMetric {
  return { kind: 'gauge', name, description, unit, points };
}

/** Window statistics as gauges; the points span [startMs, endMs]. */
export function windowMetrics(rows: readonly WindowRow[], startMs: number, endMs: number): Metric[] {
  const seconds = (endMs - startMs) / 1000;
  const point = (attributes: Attributes, value: number): NumberPoint => ({ attributes, startTimeMs: startMs, timeMs: endMs, value });
  const count: NumberPoint[] = [];
  const rate: NumberPoint[] = [];
  const busy: NumberPoint[] = [];
  const stats = QUANTITIES.map(() => ({ mean: [] as NumberPoint[], variance: [] as NumberPoint[], min: [] as NumberPoint[], max: [] as NumberPoint[], sum: [] as NumberPoint[] }));
  const perRequest = { promptMean: [] as NumberPoint[], promptVar: [] as NumberPoint[], contextMean: [] as NumberPoint[], contextVar: [] as NumberPoint[] };
  for (const row of rows) {
    const a = row.attributes;
    const wall = row.states.quantities[0];
    count.push(point(a, wall.n));
    rate.push(point(a, seconds > 0 ? wall.n / seconds : 0));
    busy.push(point(a, seconds > 0 ? wall.sum / (seconds * row.ranks) : 0));
    row.states.quantities.forEach((m: Moments, i) => {
      const r = result(m);
      stats[i].mean.push(point(a, r.mean));
      stats[i].variance.push(point(a, r.variance));
      stats[i].min.push(point(a, r.min));
      stats[i].max.push(point(a, r.max));
      stats[i].sum.push(point(a, r.sum));
    });
    const prompt = result(row.states.promptLength);
    const context = result(row.states.decodeContext);
    perRequest.promptMean.push(point(a, prompt.mean));
    perRequest.promptVar.push(point(a, prompt.variance));
    perRequest.contextMean.push(point(a, context.mean));
    perRequest.contextVar.push(point(a, context.variance));
  }
  const out: Metric[] = [
    gauge('sglang.fpm.window.iterations', 'Iterations in the last window.', '{iteration}', count),
    gauge('sglang.fpm.window.iterations_per_second', 'Iterations per second over the last window.', '', rate),
    gauge('sglang.fpm.window.busy_fraction', 'Fraction of the last window spent in forward passes (sum of wall_time / window; averaged over ranks for dp_rank="all").', '', busy),
  ];
  QUANTITIES.forEach((q, i) => {
    const base = `sglang.fpm.window.${q.key}`;
    out.push(
      gauge(`${base}.mean`, `${q.description}: mean over the last window (NaN when the window had no iteration).`, q.unit, stats[i].mean),
      gauge(`${base}.variance`, `${q.description}: population variance over the last window.`, '', stats[i].variance),
      gauge(`${base}.min`, `${q.description}: minimum over the last window.`, q.unit, stats[i].min),
      gauge(`${base}.max`, `${q.description}: maximum over the last window.`, q.unit, stats[i].max),
      gauge(`${base}.sum`, `${q.description}: sum over the last window.`, q.unit, stats[i].sum),
    );
  });
  out.push(
    gauge('sglang.fpm.window.prefill_prompt_length.mean', 'Full prompt length (computed + cached tokens) per prefill request, mean over the last window.', '{token}', perRequest.promptMean),
    gauge('sglang.fpm.window.prefill_prompt_length.variance', 'Full prompt length per prefill request, population variance over the last window (combined from per-iteration variances).', '', perRequest.promptVar),
    gauge('sglang.fpm.window.decode_context_length.mean', 'KV context length per decode request, mean over the last window.', '{token}', perRequest.contextMean),
    gauge('sglang.fpm.window.decode_context_length.variance', 'KV context length per decode request, population variance over the last window.', '', perRequest.contextVar),
  );
  return out;
}
