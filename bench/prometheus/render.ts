/**
 * bench/prometheus: the prometheus exporter's render of 60,000 series (a
 * store snapshot, as a scrape serves it), and the longest event-loop stall
 * while it runs (a 1 ms interval timer measures the gaps). Target: under
 * 150 ms, no stall over 50 ms.
 *
 *   node --import tsx bench/prometheus/render.ts [--series 60000] [--rounds 6]
 *
 * Round 1 renders every line for the first time (a fresh process, new label
 * sets); later rounds change every value (each line is built again).
 */
import { parseArgs } from 'node:util';
import type { Metric } from '../../src/model/metrics.js';
import { renderSliced } from '../../src/exporters/prometheus/render.js';
import { MetricStore } from '../../src/exporters/prometheus/store.js';

const { values: cli } = parseArgs({ options: { series: { type: 'string', default: '60000' }, rounds: { type: 'string', default: '6' } } });
const n = Number(cli.series);
const rounds = Number(cli.rounds);
const now = Date.now();
const attributes = Array.from({ length: n }, (_, i) => ({ model_name: 'm', pid: String(10000 + (i % 500)), shard: String(i % 100), tp_rank: String(i % 8), idx: String(i) }));
const metrics = (round: number): Metric[] => [{ kind: 'gauge', name: 'app:kv_blocks', description: 'KV blocks in use.', unit: '', points: attributes.map((a, i) => ({ attributes: a, startTimeMs: now, timeMs: now, value: ((i * 7 + round) % 4096) + 0.5 })) }];

const store = new MetricStore(60_000);
let longestGap = 0;
let last = performance.now();
const timer = setInterval(() => {
  const t = performance.now();
  longestGap = Math.max(longestGap, t - last);
  last = t;
}, 1);
for (let round = 1; round <= rounds; round++) {
  store.put(metrics(round), now);
  await new Promise((resolve) => setTimeout(resolve, 20));
  longestGap = 0;
  last = performance.now();
  const t0 = performance.now();
  const text = await renderSliced(store.snapshot(now), 'text');
  const ms = performance.now() - t0;
  await new Promise((resolve) => setTimeout(resolve, 5));
  console.log(`round ${round}${round === 1 ? ' (every line new)' : ' (every value changed)'}: ${n} series rendered in ${ms.toFixed(1)} ms, longest event-loop stall ${longestGap.toFixed(1)} ms, ${text.length} bytes`);
}
clearInterval(timer);
