/**
 * bench/export side: the bridge's real `prometheus` exporter (created through
 * its factory, self telemetry off so only the pipeline's series are served)
 * holding the plan's series, in its own process; run.ts scrapes it over HTTP.
 *
 *   argv: <series total> <histogram share>
 *   ops:  url -> string; load -> {ms}; update {step, freshLabels} -> {ms};
 *         render {n} -> {wallMs, cpuMs}[]; loopReset; loopRead -> LoopDelayStats
 * Times are ms of this process's own work: consume(), or expositionChunks()
 * (what the exporter's HTTP handler renders and writes piece by piece for a
 * scrape) called in-process.
 */
import { prometheusFactory } from '../../src/exporters/prometheus/factory.js';
import type { PrometheusExporter } from '../../src/exporters/prometheus/exporter.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { SelfTelemetry } from '../../src/telemetry/self-telemetry.js';
import { serveRequests } from './ipc.js';
import { LoopDelay } from './loop-delay.js';
import { bridgeMetrics, planSeries } from './series.js';
import { renderTimes } from './render-times.js';

const plan = planSeries(Number(process.argv[2]), Number(process.argv[3]));
const { config, issues } = prometheusFactory.schema.validate({ port: 0, self_telemetry: false }, 'exporters["prometheus"]');
if (!config) throw new Error(`prometheus config: ${JSON.stringify(issues)}`);
const settings = { id: 'prometheus', logger: silentLogger, telemetry: new SelfTelemetry({ processMetrics: false }), now: Date.now };
const exporter = prometheusFactory.create(settings, config) as PrometheusExporter;
await exporter.start({ isReady: () => true });
const loop = new LoopDelay();

/** Consumes the plan at `step`, timed. */
function consume(step: number, freshLabels: boolean): { ms: number } {
  const metrics = bridgeMetrics(plan, step, freshLabels, Date.now());
  const t0 = performance.now();
  exporter.consume({ metrics });
  return { ms: performance.now() - t0 };
}

serveRequests({
  url: () => exporter.url(),
  render: (a: { n: number }) => renderTimes(a.n, () => exporter.expositionChunks('text')),
  load: () => consume(0, false),
  update: (a: { step: number; freshLabels: boolean }) => consume(a.step, a.freshLabels),
  loopReset: () => loop.reset(),
  loopRead: () => loop.read(),
});
