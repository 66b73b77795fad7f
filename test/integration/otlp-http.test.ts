/**
 * otlp_http against a backend that decodes every request with the official
 * OTLP protobuf schema (or the OTLP/JSON mapping): exact values, retries,
 * outages, refusals, slow answers, queue bounds and shutdown.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { hostname } from 'node:os';
import { otlpHttpFactory } from '../../src/exporters/otlp_http/factory.js';
import type { OtlpHttpExporter } from '../../src/exporters/otlp_http/exporter.js';
import type { Metric } from '../../src/model/metrics.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { SelfTelemetry } from '../../src/telemetry/self-telemetry.js';
import { sleep, startBridge } from '../helpers/bridge.js';
import { OtlpTestReceiver } from '../helpers/otlp-receiver.js';
import { freePorts } from '../helpers/ports.js';
import { runPublisher } from '../helpers/publisher.js';

const open: OtlpHttpExporter[] = [];
after(async () => {
  for (const e of open) await e.shutdown();
});

function exporter(options: Record<string, unknown>, id = 'otlp_http') {
  const telemetry = new SelfTelemetry({ processMetrics: false });
  const { config, issues } = otlpHttpFactory.schema.validate({ interval: '1h', ...options }, `exporters["${id}"]`);
  assert.deepEqual(issues, []);
  const e = otlpHttpFactory.create({ id, logger: silentLogger, telemetry, now: Date.now }, config!) as OtlpHttpExporter;
  open.push(e);
  const read = (name: string, labels: Record<string, string> = {}) => telemetry.read(name, { exporter: id, ...labels });
  return { e, telemetry, read };
}

const START = 1_764_000_000_123; // a start time with milliseconds, to see it kept exactly
const ms2ns = (ms: number) => BigInt(ms) * 1_000_000n;

function sampleMetrics(total: number, now: number): Metric[] {
  return [
    { kind: 'sum', name: 'sglang.fpm.iterations', description: 'Forward passes', unit: '{iteration}', monotonic: true, points: [{ attributes: { worker_id: 'w0', dp_rank: '0' }, startTimeMs: START, timeMs: now, value: total }] },
    { kind: 'gauge', name: 'sglang:num_running_reqs', description: 'Running requests', unit: '', points: [{ attributes: { engine_type: 'unified', tp_rank: '0' }, startTimeMs: now, timeMs: now, value: 7.5 }] },
    {
      kind: 'histogram',
      name: 'sglang.fpm.wall_time',
      description: 'Iteration wall time',
      unit: 's',
      points: [{ attributes: { worker_id: 'w0', dp_rank: '0' }, startTimeMs: START, timeMs: now, count: 6, sum: 0.75, bounds: [0.01, 0.1, 1], bucketCounts: [1, 2, 3, 0] }],
    },
    { kind: 'summary', name: 'sglang:latency', description: 'A summary', unit: 's', points: [{ attributes: { tp_rank: '0' }, startTimeMs: START, timeMs: now, count: 4, sum: 2.5, quantiles: [] }] },
  ];
}

for (const protocol of ['http/protobuf', 'http/json'] as const) {
  test(`${protocol}: names, values, start times, buckets, attributes and resource arrive exactly`, async () => {
    const backend = new OtlpTestReceiver();
    await backend.start();
    const compression = protocol === 'http/json' ? 'none' : 'gzip';
    const { e, read } = exporter({ endpoint: backend.url, protocol, compression, headers: { authorization: 'Bearer s3cret' }, resource_attributes: { 'deployment.environment': 'test' } });
    await e.start();
    const now = Date.now();
    e.consume({ metrics: sampleMetrics(42, now) });
    await e.shutdown(); // exports what it holds

    await backend.stop();

    assert.equal(backend.requests.length, 1);
    const r = backend.requests[0]!;
    assert.equal(r.status, 200);
    assert.equal(r.contentEncoding, compression === 'gzip' ? 'gzip' : '');
    assert.match(r.contentType, protocol === 'http/json' ? /json/ : /protobuf/);
    assert.equal(r.headers.authorization, 'Bearer s3cret');
    assert.equal(r.resource['service.name'], 'sglang-otel-bridge');
    assert.equal(r.resource['host.name'], hostname());
    assert.match(r.resource['service.instance.id']!, /^[0-9a-f-]{36}$/);
    assert.equal(r.resource['deployment.environment'], 'test');
    assert.equal(r.scope.name, 'sglang-otel-bridge');

    const byName = new Map(r.metrics.map((m) => [m.name, m]));
    const sum = byName.get('sglang.fpm.iterations')!;
    assert.equal(sum.kind, 'sum');
    assert.equal(sum.temporality, 2);
    assert.equal(sum.monotonic, true);
    assert.equal(sum.unit, '{iteration}');
    assert.equal(sum.description, 'Forward passes');
    assert.deepEqual(sum.points[0]!.attributes, { worker_id: 'w0', dp_rank: '0' });
    assert.equal(sum.points[0]!.value, 42);
    assert.equal(sum.points[0]!.startTimeUnixNano, ms2ns(START));
    assert.equal(sum.points[0]!.timeUnixNano, ms2ns(now));

    const gauge = byName.get('sglang:num_running_reqs')!;
    assert.equal(gauge.kind, 'gauge');
    assert.equal(gauge.points[0]!.value, 7.5);
    assert.deepEqual(gauge.points[0]!.attributes, { engine_type: 'unified', tp_rank: '0' });

    const hist = byName.get('sglang.fpm.wall_time')!;
    assert.equal(hist.kind, 'histogram');
    assert.equal(hist.temporality, 2);
    assert.deepEqual(hist.points[0]!.bounds, [0.01, 0.1, 1]);
    assert.deepEqual(hist.points[0]!.bucketCounts, [1, 2, 3, 0]);
    assert.equal(hist.points[0]!.count, 6);
    assert.equal(hist.points[0]!.sum, 0.75);
    assert.equal(hist.points[0]!.startTimeUnixNano, ms2ns(START));

    const summary = byName.get('sglang:latency')!;
    assert.equal(summary.kind, 'histogram');
    assert.equal(summary.points[0]!.count, 4);
    assert.equal(summary.points[0]!.sum, 2.5);
    assert.deepEqual(summary.points[0]!.bucketCounts, [4]);

    assert.equal(read('bridge_exporter_sent_items_total'), 4);
    assert.equal(read('bridge_exporter_send_attempts_total', { outcome: 'delivered' }), 1);
  });
}

test('delta temporality: consecutive windows, differences only, nothing for an idle series', async () => {
  const backend = new OtlpTestReceiver();
  await backend.start();
  const { e } = exporter({ endpoint: backend.url, temporality: 'delta' });
  await e.start();
  const t1 = Date.now() - 2000;
  e.consume({ metrics: sampleMetrics(10, t1).slice(0, 1) });
  e.exportSnapshot();
  const t2 = t1 + 1000;
  e.consume({ metrics: sampleMetrics(25, t2).slice(0, 1) });
  e.exportSnapshot();
  e.exportSnapshot(); // nothing new: no point
  await e.shutdown();
  await backend.stop();
  const points = backend.accepted.flatMap((r) => r.metrics.filter((m) => m.name === 'sglang.fpm.iterations').map((m) => ({ t: m.temporality, p: m.points[0]! })));
  assert.equal(points.length, 2);
  assert.equal(points[0]!.t, 1);
  assert.equal(points[0]!.p.value, 10);
  assert.equal(points[0]!.p.startTimeUnixNano, ms2ns(START));
  assert.equal(points[1]!.p.value, 15);
  assert.equal(points[1]!.p.startTimeUnixNano, ms2ns(t1));
  assert.equal(points[1]!.p.timeUnixNano, ms2ns(t2));
});

test('backend down 10 s, then up: queued snapshots delivered in order, totals complete', async () => {
  const backend = new OtlpTestReceiver();
  await backend.start();
  const port = backend.port;
  const { e, read } = exporter({ endpoint: backend.url, timeout: '500ms', retry_initial_interval: '200ms', retry_max_interval: '1s' });
  await e.start();
  let total = 0;
  const tick = () => {
    total += 5;
    e.consume({ metrics: sampleMetrics(total, Date.now()).slice(0, 1) });
    e.exportSnapshot();
  };
  tick();
  await new Promise((r) => setTimeout(r, 300));
  await backend.stop();
  const snapshotsDuringOutage = 20;
  for (let i = 0; i < snapshotsDuringOutage; i++) {
    tick();
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.ok(read('bridge_exporter_queue_size') >= snapshotsDuringOutage - 1, 'snapshots wait in the queue during the outage');
  await backend.start(port);
  const deadline = Date.now() + 15_000;
  while (read('bridge_exporter_queue_size') > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  await e.shutdown();
  await backend.stop();
  const values = backend.accepted.map((r) => r.metrics[0]!.points[0]!.value);
  const expected = Array.from({ length: snapshotsDuringOutage + 1 }, (_, i) => 5 * (i + 1));
  assert.deepEqual(values.slice(0, -1), expected, 'every snapshot delivered once, in order');
  assert.equal(values.at(-1), total, 'and the final snapshot of shutdown');
  assert.equal(backend.latest('sglang.fpm.iterations')!.value, total);
  assert.equal(read('bridge_exporter_sent_items_total'), snapshotsDuringOutage + 2);
  assert.ok(read('bridge_exporter_send_attempts_total', { outcome: 'retryable' }) >= 2, 'failed attempts counted');
  assert.equal(read('bridge_exporter_dropped_items_total', { reason: 'queue_full' }), 0);
  assert.equal(backend.maxConcurrent, 1, 'exports never overlap');
});

test('queue bound: what does not fit is dropped and counted, the rest delivered after recovery', async () => {
  const backend = new OtlpTestReceiver();
  await backend.start();
  const port = backend.port;
  await backend.stop();
  const { e, read } = exporter({ endpoint: backend.url, timeout: '300ms', retry_initial_interval: '100ms', retry_max_interval: '300ms', queue_size: 10 });
  await e.start();
  const perSnapshot = 4;
  for (let i = 0; i < 6; i++) {
    e.consume({ metrics: sampleMetrics(i + 1, Date.now()) });
    e.exportSnapshot();
  }
  assert.equal(read('bridge_exporter_queue_size'), 8, 'two snapshots of 4 points fit in 10');
  assert.equal(read('bridge_exporter_dropped_items_total', { reason: 'queue_full' }), 4 * perSnapshot);
  await backend.start(port);
  const deadline = Date.now() + 10_000;
  while (read('bridge_exporter_queue_size') > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await e.shutdown(); // the final snapshot: the latest totals
  await backend.stop();
  assert.equal(read('bridge_exporter_sent_items_total'), 3 * perSnapshot);
  assert.equal(backend.latest('sglang.fpm.iterations')!.value, 6, 'cumulative totals complete after recovery');
});

test('HTTP 500 and 400 are permanent: dropped and counted, not retried; the next export heals the totals', async () => {
  const backend = new OtlpTestReceiver();
  backend.fault = (n) => (n === 0 ? { status: 500 } : n === 1 ? { status: 400, body: 'bad data' } : undefined);
  await backend.start();
  const { e, read } = exporter({ endpoint: backend.url, retry_initial_interval: '100ms' });
  await e.start();
  for (const total of [1, 2, 3]) {
    e.consume({ metrics: sampleMetrics(total, Date.now()).slice(0, 1) });
    e.exportSnapshot();
    await new Promise((r) => setTimeout(r, 300));
  }
  await e.shutdown();
  await backend.stop();
  assert.deepEqual(backend.requests.map((r) => r.status), [500, 400, 200, 200]);
  assert.equal(read('bridge_exporter_dropped_items_total', { reason: 'permanent_error' }), 2);
  assert.equal(read('bridge_exporter_send_attempts_total', { outcome: 'permanent' }), 2);
  assert.equal(backend.latest('sglang.fpm.iterations')!.value, 3);
});

test('503 with Retry-After: the next attempt waits as long as the server asked', async () => {
  const backend = new OtlpTestReceiver();
  backend.fault = (n) => (n === 0 ? { status: 503, retryAfterS: 2 } : undefined);
  await backend.start();
  const { e, read } = exporter({ endpoint: backend.url, timeout: '10s', retry_initial_interval: '100ms' });
  await e.start();
  e.consume({ metrics: sampleMetrics(9, Date.now()).slice(0, 1) });
  e.exportSnapshot();
  const deadline = Date.now() + 8000;
  while (backend.accepted.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await e.shutdown();
  await backend.stop();
  assert.equal(backend.requests[0]!.status, 503);
  const gap = backend.requests[1]!.atMs - backend.requests[0]!.atMs;
  assert.ok(gap >= 1900, `retried after ${gap} ms, Retry-After said 2 s`);
  assert.equal(read('bridge_exporter_sent_items_total'), 2, 'the snapshot and the final one of shutdown');
  assert.equal(read('bridge_exporter_send_attempts_total', { outcome: 'delivered' }), 2, 'the library\'s own retry is inside one attempt');
});

test('a backend slower than the timeout: attempts time out and are retried one at a time, then delivered', async () => {
  const backend = new OtlpTestReceiver();
  backend.fault = (n) => (n < 3 ? { delayMs: 1500 } : undefined);
  await backend.start();
  const { e, read } = exporter({ endpoint: backend.url, timeout: '400ms', retry_initial_interval: '100ms', retry_max_interval: '200ms' });
  await e.start();
  for (let i = 1; i <= 3; i++) {
    e.consume({ metrics: sampleMetrics(i, Date.now()).slice(0, 1) });
    e.exportSnapshot();
  }
  const deadline = Date.now() + 15_000;
  while (read('bridge_exporter_queue_size') > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await e.shutdown();
  await backend.stop();
  assert.equal(read('bridge_exporter_queue_size'), 0);
  assert.equal(read('bridge_exporter_sent_items_total'), 4, 'all three snapshots delivered, and the final one of shutdown');
  assert.ok(read('bridge_exporter_send_attempts_total', { outcome: 'retryable' }) >= 1, 'timeouts counted as failed attempts');
  assert.equal(backend.maxConcurrent, 1, 'a timed-out request is abandoned before the next starts');
  assert.equal(backend.latest('sglang.fpm.iterations')!.value, 3);
});

test('shutdown: flushes what is held; with the backend down it gives up at its deadline and counts the loss', async () => {
  const backend = new OtlpTestReceiver();
  await backend.start();
  const { e, read } = exporter({ endpoint: backend.url });
  await e.start();
  e.consume({ metrics: sampleMetrics(77, Date.now()) });
  await e.shutdown();
  assert.equal(backend.latest('sglang.fpm.iterations')!.value, 77, 'delivered by shutdown');
  await backend.stop();

  const down = exporter({ endpoint: backend.url, timeout: '1s', retry_initial_interval: '100ms' }, 'otlp_http/down');
  await down.e.start();
  down.e.consume({ metrics: sampleMetrics(1, Date.now()) });
  const t0 = Date.now();
  await down.e.shutdown();
  const took = Date.now() - t0;
  assert.ok(took < 2500, `shutdown took ${took} ms with a 1 s deadline`);
  assert.equal(down.read('bridge_exporter_dropped_items_total', { reason: 'shutdown' }), 4);
  assert.equal(read('bridge_exporter_sent_items_total'), 4);
});

test('end to end: the Python FPM publisher -> zmq_fpm -> welford -> otlp_http; totals equal the publisher\'s truth', async () => {
  const backend = new OtlpTestReceiver();
  await backend.start();
  const base = await freePorts(2);
  const endpoint = `tcp://127.0.0.1:${base}`;
  const bridge = await startBridge({
    receivers: { zmq_fpm: { endpoint, dp_size: 2 } },
    processors: { welford: { window: '1s' } },
    exporters: { otlp_http: { endpoint: backend.url, interval: '500ms' } },
    pipelines: { 'metrics/fpm': { receivers: ['zmq_fpm'], processors: ['welford'], exporters: ['otlp_http'] } },
  });
  await sleep(300);
  const truth = await runPublisher(['--endpoint', endpoint, '--dp-size', '2', '--count', '500', '--rate', '1000', '--linger', '1.5', '--worker-id', 'otlp-e2e']);
  await bridge.stop();
  await backend.stop();
  for (const rank of truth.ranks) {
    const labels = { worker_id: 'otlp-e2e', dp_rank: String(rank.dp_rank) };
    assert.equal(backend.latest('sglang.fpm.iterations', labels)!.value, rank.data);
    const wall = backend.accepted.flatMap((r) => r.metrics.filter((m) => m.name === 'sglang.fpm.wall_time')).flatMap((m) => m.points).filter((p) => p.attributes.dp_rank === labels.dp_rank).at(-1)!;
    assert.equal(wall.count, rank.data);
    assert.ok(Math.abs(wall.sum! - rank.sum.wall_time) <= 1e-6 * rank.sum.wall_time, 'sum of wall_time within 1e-6');
  }
  assert.equal(backend.maxConcurrent, 1);
});
