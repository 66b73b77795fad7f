import { ValueType, type HrTime } from '@opentelemetry/api';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { bridgeResourceAttributes } from '../common/resource.js';
import { AggregationTemporality, DataPointType, type MetricData, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { HistogramPoint, Metric, NumberPoint, SummaryPoint } from '../../model/metrics.js';
import type { Temporality } from './config.js';

/** Unix ms -> OTel HrTime [seconds, nanoseconds], exact for whole ms and sub-ms fractions. */
export function hrTime(ms: number): HrTime {
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
}

export interface Scope {
  readonly name: string;
  readonly version: string;
}

/** The OpenTelemetry resource of the bridge's exports (see bridgeResourceAttributes). */
export function bridgeResource(configured: Readonly<Record<string, string>>): Resource {
  return resourceFromAttributes(bridgeResourceAttributes(configured));
}

/**
 * The pipeline's metrics as the OpenTelemetry SDK's `ResourceMetrics`, which
 * the OTLP exporters serialise. Names, descriptions, units, attributes, start
 * and end times and bucket boundaries and counts carry over unchanged.
 *
 * `temporality` labels sums and histograms; the values must already be of it
 * (see DeltaConverter). OTLP/JS has no summary type: a summary becomes a
 * histogram with one bucket (its count and sum exact) plus, when it has
 * quantiles, a gauge `<name>.quantiles` with a `quantile` attribute.
 */
export function toResourceMetrics(metrics: readonly Metric[], resource: Resource, scope: Scope, temporality: Temporality): ResourceMetrics {
  const aggregationTemporality = temporality === 'delta' ? AggregationTemporality.DELTA : AggregationTemporality.CUMULATIVE;
  const out: MetricData[] = [];
  for (const m of metrics) {
    if (!m.points.length) continue;
    const descriptor = { name: m.name, description: m.description, unit: m.unit, valueType: ValueType.DOUBLE };
    switch (m.kind) {
      case 'sum':
        out.push({ descriptor, aggregationTemporality, dataPointType: DataPointType.SUM, isMonotonic: m.monotonic, dataPoints: m.points.map(numberPoint) });
        break;
      case 'gauge':
        out.push({ descriptor, aggregationTemporality, dataPointType: DataPointType.GAUGE, dataPoints: m.points.map(numberPoint) });
        break;
      case 'histogram':
        out.push({ descriptor, aggregationTemporality, dataPointType: DataPointType.HISTOGRAM, dataPoints: m.points.map(histogramPoint) });
        break;
      case 'summary': {
        // Summaries are cumulative whatever the exporter's temporality.
        out.push({ descriptor, aggregationTemporality: AggregationTemporality.CUMULATIVE, dataPointType: DataPointType.HISTOGRAM, dataPoints: m.points.map(summaryAsHistogram) });
        const quantiles = m.points.flatMap(quantilePoints);
        if (quantiles.length)
          out.push({ descriptor: { ...descriptor, name: `${m.name}.quantiles` }, aggregationTemporality, dataPointType: DataPointType.GAUGE, dataPoints: quantiles });
        break;
      }
    }
  }
  return { resource, scopeMetrics: [{ scope: { name: scope.name, version: scope.version }, metrics: out }] };
}

function numberPoint(p: NumberPoint) {
  return { startTime: hrTime(p.startTimeMs), endTime: hrTime(p.timeMs), attributes: p.attributes, value: p.value };
}

function histogramPoint(p: HistogramPoint) {
  return {
    startTime: hrTime(p.startTimeMs),
    endTime: hrTime(p.timeMs),
    attributes: p.attributes,
    value: { buckets: { boundaries: [...p.bounds], counts: [...p.bucketCounts] }, count: p.count, sum: p.sum, min: p.min, max: p.max },
  };
}

function summaryAsHistogram(p: SummaryPoint) {
  return { startTime: hrTime(p.startTimeMs), endTime: hrTime(p.timeMs), attributes: p.attributes, value: { buckets: { boundaries: [], counts: [p.count] }, count: p.count, sum: p.sum } };
}

function quantilePoints(p: SummaryPoint) {
  return p.quantiles.map((q) => ({ startTime: hrTime(p.timeMs), endTime: hrTime(p.timeMs), attributes: { ...p.attributes, quantile: String(q.quantile) }, value: q.value }));
}
