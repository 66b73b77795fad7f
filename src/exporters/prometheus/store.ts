import { attributesKey, type Metric } from '../../model/metrics.js';

/**
 * The latest point of every series the exporter was given, by Prometheus
 * family. Producers send cumulative totals and current gauges, so the
 * latest point is the whole truth. A series nobody updated for
 * `expirationMs` is dropped (no series lives forever).
 */
export interface StoredFamily {
  metric: Metric;
  /** attributesKey -> [point, time it was stored (ms)] */
  series: Map<string, { point: Metric['points'][number]; storedAtMs: number }>;
}

export class MetricStore {
  private readonly families = new Map<string, StoredFamily>();

  constructor(private readonly expirationMs: number) {}

  put(metrics: readonly Metric[], nowMs: number): void {
    for (const metric of metrics) {
      let family = this.families.get(metric.name);
      if (!family || family.metric.kind !== metric.kind) {
        family = { metric, series: new Map() };
        this.families.set(metric.name, family);
      } else family.metric = metric;
      const series = family.series;
      for (const point of metric.points) {
        const key = attributesKey(point.attributes);
        const entry = series.get(key);
        if (entry) {
          entry.point = point;
          entry.storedAtMs = nowMs;
        } else series.set(key, { point, storedAtMs: nowMs });
      }
    }
  }

  /** Current metrics (expired series removed), each with its points. */
  snapshot(nowMs: number): Metric[] {
    const out: Metric[] = [];
    for (const [name, family] of this.families) {
      const points = [];
      for (const [key, entry] of family.series) {
        if (nowMs - entry.storedAtMs > this.expirationMs) family.series.delete(key);
        else points.push(entry.point);
      }
      if (!points.length) {
        this.families.delete(name);
        continue;
      }
      out.push({ ...family.metric, points } as Metric);
    }
    return out;
  }

  get seriesCount(): number {
    let n = 0;
    for (const f of this.families.values()) n += f.series.size;
    return n;
  }
}
