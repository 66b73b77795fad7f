import { attributesKey, type Attributes, type Metric } from '../../model/metrics.js';

/**
 * The latest point of every series the exporter was given, by Prometheus
 * family. Producers send cumulative totals and current gauges, so the
 * latest point is the whole truth. A series nobody updated for
 * `expirationMs` is dropped (no series lives forever).
 */
export interface StoredSeries {
  point: Metric['points'][number];
  /** point.attributes, kept here so that matching a series by position reads only its entry. */
  attributes: Attributes;
  /** When it was last stored (ms). */
  storedAtMs: number;
  /** Its position in the put that last stored it. */
  index: number;
  /** Its key in `series`. */
  readonly key: string;
}

export interface StoredFamily {
  metric: Metric;
  /** attributesKey -> the series' latest point */
  series: Map<string, StoredSeries>;
  /**
   * The entries of the previous put, in its point order. Producers that send
   * the same series in the same order pass after pass (the multiprocess
   * receiver) find each series here by position and attributes object
   * identity, without computing or looking up its key; series inserted or
   * left out in between cost one lookup each. Emptied whenever an entry
   * leaves `series`, so every entry here is in `series`.
   */
  lastPut: StoredSeries[];
  /** The array of the put before the last, filled again by the next put (no new array of a family's size per put). */
  spare: StoredSeries[];
}

export class MetricStore {
  private readonly families = new Map<string, StoredFamily>();

  constructor(private readonly expirationMs: number) {}

  put(metrics: readonly Metric[], nowMs: number): void {
    for (const metric of metrics) {
      let family = this.families.get(metric.name);
      if (!family || family.metric.kind !== metric.kind) {
        family = { metric, series: new Map(), lastPut: [], spare: [] };
        this.families.set(metric.name, family);
      } else family.metric = metric;
      const { series, lastPut } = family;
      const points = metric.points;
      const thisPut = family.spare;
      thisPut.length = points.length;
      let next = 0; // the position in lastPut where the series of point i is expected
      for (let i = 0; i < points.length; i++) {
        const point = points[i];
        let entry: StoredSeries | undefined = lastPut[next];
        if (entry !== undefined && entry.attributes === point.attributes) next++;
        else {
          const key = attributesKey(point.attributes);
          entry = series.get(key);
          if (entry === undefined) {
            series.set(key, (entry = { point, attributes: point.attributes, storedAtMs: nowMs, index: i, key }));
            thisPut[i] = entry;
            continue;
          }
          // found elsewhere: carry on from there (series before it were left out this time)
          if (entry.index >= next && lastPut[entry.index] === entry) next = entry.index + 1;
        }
        entry.point = point;
        entry.attributes = point.attributes;
        entry.storedAtMs = nowMs;
        entry.index = i;
        thisPut[i] = entry;
      }
      family.spare = lastPut;
      family.lastPut = thisPut;
    }
  }

  /** Current metrics (expired series removed), each with its points. */
  snapshot(nowMs: number): Metric[] {
    const out: Metric[] = [];
    for (const [name, family] of this.families) {
      const points = new Array<Metric['points'][number]>(family.series.size);
      let n = 0;
      // forEach over the values: no [key, entry] pair, nor iterator result, made per series
      family.series.forEach((entry) => {
        if (nowMs - entry.storedAtMs > this.expirationMs) {
          family.series.delete(entry.key);
          family.lastPut = [];
        } else points[n++] = entry.point;
      });
      points.length = n;
      if (!n) {
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
