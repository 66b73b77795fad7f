import { attributesKey, type HistogramPoint, type Metric, type NumberPoint } from '../../model/metrics.js';

interface Previous {
  readonly startTimeMs: number;
  readonly timeMs: number;
  readonly value: number;
  readonly count: number;
  readonly sum: number;
  readonly bucketCounts: readonly number[];
}

/**
 * Turns cumulative sums and histograms into deltas between consecutive
 * exports: each point covers (previous export's time, this point's time],
 * so windows never overlap. The first point of a series, and the first after
 * a reset (a new start time, or a value that went down), is its whole
 * cumulative value over its own start time. A series with nothing new since
 * the previous export (same time) yields no point. Gauges and summaries pass
 * unchanged. State is per metric name and label set.
 */
export class DeltaConverter {
  private readonly previous = new Map<string, Previous>();

  convert(metrics: readonly Metric[]): Metric[] {
    const out: Metric[] = [];
    for (const m of metrics) {
      if (m.kind === 'sum') {
        const points = m.points.map((p) => this.sumDelta(m.name, p)).filter((p): p is NumberPoint => p !== undefined);
        if (points.length) out.push({ ...m, points });
      } else if (m.kind === 'histogram') {
        const points = m.points.map((p) => this.histogramDelta(m.name, p)).filter((p): p is HistogramPoint => p !== undefined);
        if (points.length) out.push({ ...m, points });
      } else out.push(m);
    }
    return out;
  }

  /** Forgets series last seen before `cutoffMs` (Unix ms), so dead series do not pile up. */
  forgetBefore(cutoffMs: number): void {
    for (const [key, prev] of this.previous) if (prev.timeMs < cutoffMs) this.previous.delete(key);
  }

  /** Series remembered. */
  get size(): number {
    return this.previous.size;
  }

  private step(name: string, attributes: NumberPoint['attributes'], now: Previous): { prev: Previous | undefined } | undefined {
    const key = `${name}\u0002${attributesKey(attributes)}`;
    const prev = this.previous.get(key);
    if (prev && now.timeMs <= prev.timeMs) return undefined;
    this.previous.set(key, now);
    const reset = !prev || prev.startTimeMs !== now.startTimeMs || now.value < prev.value || now.count < prev.count;
    return { prev: reset ? undefined : prev };
  }

  private sumDelta(name: string, p: NumberPoint): NumberPoint | undefined {
    const s = this.step(name, p.attributes, { startTimeMs: p.startTimeMs, timeMs: p.timeMs, value: p.value, count: 0, sum: 0, bucketCounts: [] });
    if (!s) return undefined;
    if (!s.prev) return p;
    return { attributes: p.attributes, startTimeMs: s.prev.timeMs, timeMs: p.timeMs, value: p.value - s.prev.value };
  }

  private histogramDelta(name: string, p: HistogramPoint): HistogramPoint | undefined {
    const s = this.step(name, p.attributes, { startTimeMs: p.startTimeMs, timeMs: p.timeMs, value: 0, count: p.count, sum: p.sum, bucketCounts: p.bucketCounts });
    if (!s) return undefined;
    const prev = s.prev;
    if (!prev || prev.bucketCounts.length !== p.bucketCounts.length) return p;
    return {
      attributes: p.attributes,
      startTimeMs: prev.timeMs,
      timeMs: p.timeMs,
      bounds: p.bounds,
      count: p.count - prev.count,
      sum: p.sum - prev.sum,
      bucketCounts: p.bucketCounts.map((c, i) => c - prev.bucketCounts[i]!),
    };
  }
}
