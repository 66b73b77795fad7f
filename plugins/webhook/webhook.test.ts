/**
 * The webhook example plugin: batching by size and by time, retries through
 * the bridge's delivery queue, permanent refusals counted, its own schema.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { builtinRegistry } from '../../src/components.js';
import type { ExporterFactory, Exporter } from '../../src/component/contracts.js';
import { withPlugins } from '../../src/config/load.js';
import type { Metric } from '../../src/model/metrics.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { SelfTelemetry } from '../../src/telemetry/self-telemetry.js';

async function webhookFactory(): Promise<ExporterFactory<unknown>> {
  const { registry, issues } = await withPlugins({ plugins: ['./plugins/webhook'] }, builtinRegistry(), process.cwd());
  assert.deepEqual(issues, []);
  return registry.get('exporter', 'webhook') as ExporterFactory<unknown>;
}

async function server(answer: (n: number) => { status: number; retryAfter?: string }) {
  const bodies: { status: number; points: { value: number }[] }[] = [];
  let n = 0;
  const s = http.createServer(async (req, res) => {
    let body = '';
    for await (const c of req) body += c;
    const a = answer(n++);
    bodies.push({ status: a.status, points: (JSON.parse(body) as { points: { value: number }[] }).points });
    res.writeHead(a.status, a.retryAfter ? { 'retry-after': a.retryAfter } : {}).end();
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return { bodies, url: `http://127.0.0.1:${(s.address() as AddressInfo).port}/hook`, close: () => new Promise((r) => s.close(r)) };
}

const counter = (values: number[]): Metric => ({ kind: 'sum', name: 'c', description: '', unit: '1', monotonic: true, points: values.map((value, i) => ({ attributes: { i: String(i) }, startTimeMs: 0, timeMs: 1, value })) });

function create(factory: ExporterFactory<unknown>, options: Record<string, unknown>) {
  const telemetry = new SelfTelemetry({ processMetrics: false });
  const { config, issues } = factory.schema.validate(options, 'exporters["webhook"]');
  assert.deepEqual(issues, []);
  const e = factory.create({ id: 'webhook', logger: silentLogger, telemetry, now: Date.now }, config) as Exporter;
  return { e, read: (name: string, labels: Record<string, string> = {}) => telemetry.read(name, { exporter: 'webhook', ...labels }) };
}

test('batches by size, then by time; a 503 is retried, a 400 dropped and counted', async () => {
  const factory = await webhookFactory();
  const srv = await server((n) => (n === 0 ? { status: 503, retryAfter: '0' } : n === 2 ? { status: 400 } : { status: 200 }));
  const { e, read } = create(factory, { url: srv.url, max_batch_points: 3, flush_interval: '200ms', retry_initial_interval: '50ms' });
  await e.start({ isReady: () => true });
  e.consume({ metrics: [counter([1, 2, 3, 4, 5, 6, 7])] }); // two full batches of 3 now, 1 point waits for the timer
  await new Promise((r) => setTimeout(r, 600));
  await e.shutdown();
  await srv.close();
  assert.deepEqual(srv.bodies.map((b) => [b.status, b.points.map((p) => p.value)]), [
    [503, [1, 2, 3]],
    [200, [1, 2, 3]],
    [400, [4, 5, 6]],
    [200, [7]],
  ]);
  assert.equal(read('bridge_exporter_sent_items_total'), 4);
  assert.equal(read('bridge_exporter_dropped_items_total', { reason: 'permanent_error' }), 3);
});

test('its own schema: a missing url is reported with its path', async () => {
  const factory = await webhookFactory();
  const { issues } = factory.schema.validate({ max_batch_points: 0 }, 'exporters["webhook"]');
  assert.deepEqual(issues.map((i) => `${i.path}: ${i.message}`).sort(), ['exporters["webhook"].max_batch_points: must be an integer of at least 1', 'exporters["webhook"].url: required: the URL to POST batches to'].sort());
});
