/**
 * bench/export side, the baseline: the OpenTelemetry JS SDK the usual way.
 * A MeterProvider with ObservableGauge/ObservableCounter instruments whose
 * callbacks observe every label set of the plan, and Histograms recorded into
 * (one observation per label set per step: the SDK cannot take pre-aggregated
 * buckets); a PeriodicExportingMetricReader (interval 1h) with the
 * -otlp-proto OTLPMetricExporter to the same sink.
 * The SDK's default cardinality limit (2,000 attribute sets per instrument)
 * is raised by a View on every instrument (aggregationCardinalityLimit), so
 * no series is folded into the overflow series. Instrument names cannot
 * hold ':' (the SDK's name rule), so `sglang:x` is `sglang_x` here (same length).
 *
 *   argv: <sink url> <gzip|none> <points total> <histogram share>
 *   ops:  export {step} -> ExportMeasurement
 * One export: record the histograms at `step` (not timed), then
 * reader.forceFlush() (collect: the callbacks run; encode, compress, HTTP).
 */
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { AggregationTemporality, MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { measureExport } from './export-measure.js';
import { serveRequests } from './ipc.js';
import { LoopDelay } from './loop-delay.js';
import { HISTOGRAM_BOUNDS, planSeries, seriesValue } from './series.js';

const [endpoint, compression, total, share] = process.argv.slice(2);
const plan = planSeries(Number(total), Number(share));

/** Counts the points the SDK hands to the OTLP exporter and that were delivered. */
class CountingExporter implements PushMetricExporter {
  delivered = 0;
  constructor(private readonly inner: PushMetricExporter) {}
  export(metrics: ResourceMetrics, done: Parameters<PushMetricExporter['export']>[1]): void {
    let points = 0;
    for (const scope of metrics.scopeMetrics) for (const m of scope.metrics) points += m.dataPoints.length;
    this.inner.export(metrics, (result) => {
      if (result.code === 0) this.delivered += points;
      done(result);
    });
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
  selectAggregationTemporality(): AggregationTemporality {
    return AggregationTemporality.CUMULATIVE;
  }
}

const otlp = new CountingExporter(new OTLPMetricExporter({ url: endpoint, compression: compression === 'gzip' ? CompressionAlgorithm.GZIP : CompressionAlgorithm.NONE, timeoutMillis: 10_000 }));
const reader = new PeriodicExportingMetricReader({ exporter: otlp, exportIntervalMillis: 3_600_000, exportTimeoutMillis: 30_000 });
const provider = new MeterProvider({ readers: [reader], views: [{ instrumentName: '*', aggregationCardinalityLimit: 10 * plan.total }] });
const meter = provider.getMeter('bench-export');
let step = 0;
const histograms: { seriesCount: number; record: (v: number, a: Record<string, string>) => void }[] = [];
/** `sglang:x` -> `sglang_x`: a valid instrument name of the same length. */
const instrumentName = (name: string) => name.replace(/:/g, '_');
plan.families.forEach((f, fi) => {
  if (f.kind === 'histogram') {
    const h = meter.createHistogram(instrumentName(f.name), { description: f.help, advice: { explicitBucketBoundaries: [...HISTOGRAM_BOUNDS] } });
    histograms.push({ seriesCount: f.seriesCount, record: (v, a) => h.record(v, a) });
    return;
  }
  const instrument = f.kind === 'counter' ? meter.createObservableCounter(instrumentName(f.name), { description: f.help }) : meter.createObservableGauge(instrumentName(f.name), { description: f.help });
  instrument.addCallback((result) => {
    for (let j = 0; j < f.seriesCount; j++) result.observe(seriesValue(fi, j, step), plan.labelSets[j]);
  });
});
const loop = new LoopDelay();

serveRequests({
  export: (a: { step: number }) => {
    step = a.step;
    for (const h of histograms) for (let j = 0; j < h.seriesCount; j++) h.record(HISTOGRAM_BOUNDS[(j + step) % HISTOGRAM_BOUNDS.length], plan.labelSets[j] as Record<string, string>);
    return measureExport(loop, async () => {
      const before = otlp.delivered;
      await reader.forceFlush();
      return otlp.delivered - before;
    });
  },
});
