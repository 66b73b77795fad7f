import type { Registry } from 'prom-client';
import type { Attributes, HistogramPoint, Metric, NumberPoint, SummaryPoint } from '../model/metrics.js';

/**
 * prom-client's registry (the bridge's own telemetry) in the pipeline's
 * metric model, so one renderer serves both text and OpenMetrics.
 * Cumulative prom-client buckets become per-bucket counts.
 */
interface JsonMetric {
  name: string;
  help: string;
  type: string;
  values: { value: number; labels: Record<string, string | number>; metricName?: string }[];
}

function toAttributes(labels: Record<string, string | number>, drop?: string): Attributes {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) if (k !== drop) out[k] = String(v);
  return out;
}

function keyOf(a: Attributes): string {
  return JSON.stringify(Object.entries(a).sort());
}

export async function registryAsMetrics(registry: Registry, nowMs: number, startTimeMs: number): Promise<Metric[]> {
  const json = (await registry.getMetricsAsJSON()) as unknown as JsonMetric[];
  const out: Metric[] = [];
  for (const m of json) {
    const base = { name: m.name, description: m.help, unit: '' };
    if (m.type === 'counter' || m.type === 'gauge') {
      const points: NumberPoint[] = m.values.map((v) => ({ attributes: toAttributes(v.labels), startTimeMs: m.type === 'counter' ? startTimeMs : nowMs, timeMs: nowMs, value: v.value }));
      out.push(m.type === 'counter' ? { ...base, kind: 'sum', monotonic: true, points } : { ...base, kind: 'gauge', points });
    } else if (m.type === 'histogram') {
      const groups = new Map<string, { attributes: Attributes; buckets: [number, number][]; sum: number; count: number }>();
      for (const v of m.values) {
        const attributes = toAttributes(v.labels, 'le');
        const k = keyOf(attributes);
        let g = groups.get(k);
        if (!g) groups.set(k, (g = { attributes, buckets: [], sum: 0, count: 0 }));
        if (v.metricName?.endsWith('_bucket')) g.buckets.push([v.labels.le === '+Inf' ? Infinity : Number(v.labels.le), v.value]);
        else if (v.metricName?.endsWith('_sum')) g.sum = v.value;
        else if (v.metricName?.endsWith('_count')) g.count = v.value;
      }
      const points: HistogramPoint[] = [...groups.values()].map((g) => {
        g.buckets.sort((a, b) => a[0] - b[0]);
        const bounds = g.buckets.filter(([le]) => le !== Infinity).map(([le]) => le);
        const bucketCounts = g.buckets.map(([, c], i) => c - (i ? g.buckets[i - 1][1] : 0));
        if (bucketCounts.length === bounds.length) bucketCounts.push(g.count - (g.buckets.at(-1)?.[1] ?? 0));
        return { attributes: g.attributes, startTimeMs, timeMs: nowMs, count: g.count, sum: g.sum, bounds, bucketCounts };
      });
      out.push({ ...base, kind: 'histogram', points });
    } else if (m.type === 'summary') {
      const groups = new Map<string, { attributes: Attributes; quantiles: { quantile: number; value: number }[]; sum: number; count: number }>();
      for (const v of m.values) {
        const attributes = toAttributes(v.labels, 'quantile');
        const k = keyOf(attributes);
        let g = groups.get(k);
        if (!g) groups.set(k, (g = { attributes, quantiles: [], sum: 0, count: 0 }));
        if (v.metricName?.endsWith('_sum')) g.sum = v.value;
        else if (v.metricName?.endsWith('_count')) g.count = v.value;
        else g.quantiles.push({ quantile: Number(v.labels.quantile), value: v.value });
      }
      const points: SummaryPoint[] = [...groups.values()].map((g) => ({ attributes: g.attributes, startTimeMs, timeMs: nowMs, count: g.count, sum: g.sum, quantiles: g.quantiles }));
      out.push({ ...base, kind: 'summary', points });
    }
  }
  return out;
}
