import type { Attributes, HistogramPoint, Metric, NumberPoint, SummaryPoint } from '../model/metrics.js';

/**
 * The OTLP/JSON form of metrics (ExportMetricsServiceRequest, protobuf JSON
 * mapping: lowerCamelCase fields, 64-bit integers as decimal strings, enums
 * as numbers). Cumulative temporality for sums and histograms. Pure.
 */
const CUMULATIVE = 2;

function attributes(a: Attributes) {
  return Object.keys(a)
    .sort()
    .map((key) => ({ key, value: { stringValue: a[key] } }));
}

function nanos(ms: number): string {
  return (BigInt(Math.round(ms * 1000)) * 1000n).toString();
}

function base(p: NumberPoint | HistogramPoint | SummaryPoint) {
  return { attributes: attributes(p.attributes), startTimeUnixNano: nanos(p.startTimeMs), timeUnixNano: nanos(p.timeMs) };
}

function jsonDouble(v: number): number | string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  return v;
}

function metricJson(m: Metric): Record<string, unknown> {
  const head = { name: m.name, description: m.description, unit: m.unit };
  switch (m.kind) {
    case 'gauge':
      return { ...head, gauge: { dataPoints: m.points.map((p) => ({ ...base(p), asDouble: jsonDouble(p.value) })) } };
    case 'sum':
      return { ...head, sum: { aggregationTemporality: CUMULATIVE, isMonotonic: m.monotonic, dataPoints: m.points.map((p) => ({ ...base(p), asDouble: jsonDouble(p.value) })) } };
    case 'histogram':
      return {
        ...head,
        histogram: {
          aggregationTemporality: CUMULATIVE,
          dataPoints: m.points.map((p) => ({ ...base(p), count: String(p.count), sum: jsonDouble(p.sum), bucketCounts: p.bucketCounts.map(String), explicitBounds: [...p.bounds], ...(p.min !== undefined ? { min: p.min, max: p.max } : {}) })),
        },
      };
    case 'summary':
      return { ...head, summary: { dataPoints: m.points.map((p) => ({ ...base(p), count: String(p.count), sum: jsonDouble(p.sum), quantileValues: p.quantiles.map((q) => ({ quantile: q.quantile, value: q.value })) })) } };
  }
}

export function toOtlpJson(metrics: readonly Metric[], resource: Attributes, scope = 'sglang-otel-bridge'): Record<string, unknown> {
  return {
    resourceMetrics: [{ resource: { attributes: attributes(resource) }, scopeMetrics: [{ scope: { name: scope }, metrics: metrics.map(metricJson) }] }],
  };
}
