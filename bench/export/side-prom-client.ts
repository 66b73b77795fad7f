/**
 * bench/export side, the baseline: what a Node user would otherwise run,
 * prom-client's Gauge/Counter/Histogram holding the plan's series in a
 * Registry, served by a minimal node:http server answering every request
 * with `await registry.metrics()`.
 *
 *   argv: <series total> <histogram share>
 *   ops:  url -> string; load -> {ms}; update {step} -> {ms};
 *         render {n} -> {wallMs, cpuMs}[]; loopReset; loopRead -> LoopDelayStats
 * Times are ms of this process's own work: setting every series, or
 * registry.metrics() called in-process.
 * Histograms get one observation per series per step (prom-client cannot take
 * pre-aggregated bucket counts); the exposition has the same lines either way.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { serveRequests } from './ipc.js';
import { LoopDelay } from './loop-delay.js';
import { HISTOGRAM_BOUNDS, planSeries, seriesValue } from './series.js';
import { renderTimes } from './render-times.js';

const plan = planSeries(Number(process.argv[2]), Number(process.argv[3]));
const registry = new Registry();
const labelNames = Object.keys(plan.labelSets[0]);
const instruments = plan.families.map((f) => {
  const common = { name: f.name, help: f.help, labelNames, registers: [registry] };
  if (f.kind === 'counter') return new Counter(common);
  if (f.kind === 'gauge') return new Gauge(common);
  return new Histogram({ ...common, buckets: [...HISTOGRAM_BOUNDS] });
});

const server = http.createServer((_req, res) => {
  registry.metrics().then(
    (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
    () => res.writeHead(500).end(),
  );
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const loop = new LoopDelay();

/** Sets every series to its value at `step` (counters: inc by the change), timed. */
function setAll(step: number): { ms: number } {
  const t0 = performance.now();
  plan.families.forEach((f, fi) => {
    const instrument = instruments[fi];
    for (let j = 0; j < f.seriesCount; j++) {
      const labels = plan.labelSets[j] as Record<string, string>;
      if (instrument instanceof Gauge) instrument.set(labels, seriesValue(fi, j, step));
      else if (instrument instanceof Counter) instrument.inc(labels, step === 0 ? seriesValue(fi, j, 0) : seriesValue(fi, j, step) - seriesValue(fi, j, step - 1));
      else instrument.observe(labels, HISTOGRAM_BOUNDS[(j + step) % HISTOGRAM_BOUNDS.length]);
    }
  });
  return { ms: performance.now() - t0 };
}

serveRequests({
  render: (a: { n: number }) => renderTimes(a.n, () => registry.metrics()),
  url: () => `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`,
  load: () => setAll(0),
  update: (a: { step: number }) => setAll(a.step),
  loopReset: () => loop.reset(),
  loopRead: () => loop.read(),
});
