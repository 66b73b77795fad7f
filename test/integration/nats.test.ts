/**
 * The nats exporter against Debian's nats-server: metric snapshots (JSON and
 * msgpack), FPM pass-through byte for byte from the Python publisher, a
 * server restart in the middle of a run, and the buffer bound.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { decode as msgpackDecode } from '@msgpack/msgpack';
import { connect, type NatsConnection, type Subscription } from 'nats';
import { Subscriber } from 'zeromq';
import { natsFactory } from '../../src/exporters/nats/factory.js';
import type { NatsExporter } from '../../src/exporters/nats/exporter.js';
import type { Metric } from '../../src/model/metrics.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { SelfTelemetry } from '../../src/telemetry/self-telemetry.js';
import { sleep, startBridge } from '../helpers/bridge.js';
import { NatsServer } from '../helpers/nats-server.js';
import { freePorts } from '../helpers/ports.js';
import { runPublisher } from '../helpers/publisher.js';

const cleanup: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of cleanup.reverse()) await c();
});

async function server(): Promise<NatsServer> {
  const s = new NatsServer();
  await s.start();
  cleanup.push(() => s.stop());
  return s;
}

async function collect(url: string, subject: string): Promise<{ nc: NatsConnection; messages: { subject: string; data: Uint8Array }[]; sub: Subscription }> {
  const nc = await connect({ servers: url });
  cleanup.push(() => nc.close());
  const messages: { subject: string; data: Uint8Array }[] = [];
  const sub = nc.subscribe(subject, { callback: (err, msg) => !err && messages.push({ subject: msg.subject, data: msg.data }) });
  await nc.flush();
  return { nc, messages, sub };
}

function exporter(options: Record<string, unknown>, id = 'nats') {
  const telemetry = new SelfTelemetry({ processMetrics: false });
  const { config, issues } = natsFactory.schema.validate({ interval: '1h', ...options }, `exporters["${id}"]`);
  assert.deepEqual(issues, []);
  const e = natsFactory.create({ id, logger: silentLogger, telemetry, now: Date.now }, config!) as NatsExporter;
  cleanup.push(() => e.shutdown());
  return { e, read: (name: string, labels: Record<string, string> = {}) => telemetry.read(name, { exporter: id, ...labels }) };
}

function rankMetrics(total: number, now: number): Metric[] {
  return [
    { kind: 'sum', name: 'sglang.fpm.iterations', description: 'Forward passes', unit: '{iteration}', monotonic: true, points: [0, 1].map((r) => ({ attributes: { worker_id: 'w.0', dp_rank: String(r) }, startTimeMs: 1000, timeMs: now, value: total + r })) },
    { kind: 'histogram', name: 'sglang.fpm.wall_time', description: '', unit: 's', points: [{ attributes: { worker_id: 'w.0', dp_rank: '0' }, startTimeMs: 1000, timeMs: now, count: 3, sum: 0.5, bounds: [0.1, 1], bucketCounts: [1, 2, 0] }] },
  ];
}

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

for (const encoding of ['json', 'msgpack'] as const) {
  test(`metrics mode (${encoding}): one message per worker and rank, with every point of that rank`, async () => {
    const nats = await server();
    const sink = await collect(nats.url, 'sglang.metrics.>');
    const { e, read } = exporter({ servers: [nats.url], encoding });
    await e.start();
    const now = Date.now();
    e.consume({ metrics: rankMetrics(40, now) });
    e.publishSnapshot();
    await until(() => sink.messages.length >= 2, 5000, 'two snapshot messages');
    await until(() => read('bridge_exporter_sent_items_total') === 3, 5000, 'delivery confirmed');
    const bySubject = new Map(sink.messages.map((m) => [m.subject, (encoding === 'json' ? JSON.parse(Buffer.from(m.data).toString()) : msgpackDecode(m.data)) as Record<string, unknown>]));
    assert.deepEqual([...bySubject.keys()].sort(), ['sglang.metrics.w_0.0', 'sglang.metrics.w_0.1'], 'the dot in worker_id "w.0" cannot be a subject token');
    const rank0 = bySubject.get('sglang.metrics.w_0.0') as { schema: string; time_unix_ms: number; resource: Record<string, string>; metrics: { name: string; kind: string; points: Record<string, unknown>[] }[] };
    assert.equal(rank0.schema, 'sglang-otel-bridge.metrics.v1');
    assert.equal(rank0.resource['service.name'], 'sglang-otel-bridge');
    assert.deepEqual(rank0.metrics.map((m) => m.name), ['sglang.fpm.iterations', 'sglang.fpm.wall_time']);
    assert.deepEqual(rank0.metrics[0]!.points, [{ attributes: { worker_id: 'w.0', dp_rank: '0' }, start_time_unix_ms: 1000, time_unix_ms: now, value: 40 }]);
    assert.deepEqual(rank0.metrics[1]!.points[0]!.bucket_counts, [1, 2, 0]);
    const rank1 = bySubject.get('sglang.metrics.w_0.1') as { metrics: { points: { value: number }[] }[] };
    assert.equal(rank1.metrics.length, 1);
    assert.equal(rank1.metrics[0]!.points[0]!.value, 41);
  });
}

test('fpm mode through the bridge: every record of the Python publisher re-published byte for byte', async () => {
  const nats = await server();
  const sink = await collect(nats.url, 'sglang.fpm.>');
  const base = await freePorts(2);
  const endpoint = `tcp://127.0.0.1:${base}`;
  // A direct subscriber (libzmq) records what the publisher really sent.
  const direct = new Subscriber();
  direct.connect(`tcp://127.0.0.1:${base}`);
  direct.connect(`tcp://127.0.0.1:${base + 1}`);
  direct.subscribe();
  const sent: string[] = [];
  void (async () => {
    for await (const [, , payload] of direct) sent.push(Buffer.from(payload!).toString('hex'));
  })();
  cleanup.push(async () => direct.close());
  const bridge = await startBridge({
    receivers: { zmq_fpm: { endpoint, dp_size: 2 } },
    exporters: { nats: { servers: [nats.url], mode: 'fpm', confirm_interval: '200ms' } },
    pipelines: { 'metrics/fpm': { receivers: ['zmq_fpm'], exporters: ['nats'] } },
  });
  cleanup.push(() => bridge.stop());
  await sleep(500);
  const truth = await runPublisher(['--endpoint', endpoint, '--dp-size', '2', '--count', '600', '--rate', '1000', '--linger', '1.5', '--worker-id', 'worker-a']);
  const records = truth.ranks.reduce((n, r) => n + r.data + r.heartbeats, 0);
  await until(() => sink.messages.length >= records, 10_000, `${records} FPM messages on NATS`);
  assert.ok(sink.messages.every((m) => m.subject === 'sglang.fpm.worker-a'));
  assert.deepEqual(sink.messages.map((m) => Buffer.from(m.data).toString('hex')).sort(), [...sent].sort(), 'the same bytes, every message');
  await until(() => bridge.telemetry.read('bridge_exporter_sent_items_total', { exporter: 'nats' }) === records, 5000, 'confirmed');
});

test('fpm mode: nats-server restarted mid-run; no record lost, held ones delivered after the reconnect', async () => {
  const nats = await server();
  const base = await freePorts(2);
  const endpoint = `tcp://127.0.0.1:${base}`;
  const bridge = await startBridge({
    receivers: { zmq_fpm: { endpoint, dp_size: 2 } },
    // The bridge reconnects well after the test's subscriber (50 ms): NATS drops what is
    // published while nobody subscribes, and the subscriber has to reconnect too.
    exporters: { nats: { servers: [nats.url], mode: 'fpm', confirm_interval: '100ms', reconnect_wait: '1500ms' } },
    pipelines: { 'metrics/fpm': { receivers: ['zmq_fpm'], exporters: ['nats'] } },
  });
  cleanup.push(() => bridge.stop());
  await sleep(500);
  const seen = new Set<string>();
  let duplicates = 0;
  const subscribe = async () => {
    const sink = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 50 });
    cleanup.push(() => sink.close());
    sink.subscribe('sglang.fpm.>', {
      callback: (err, msg) => {
        if (err) return;
        const m = msgpackDecode(msg.data) as Record<string, unknown>;
        const key = `${m.dp_rank}:${m.counter_id}:${m.wall_time === 0 ? 'hb' : 'it'}`;
        if (seen.has(key)) duplicates++;
        seen.add(key);
      },
    });
    await sink.flush();
  };
  await subscribe();
  const publishing = runPublisher(['--endpoint', endpoint, '--dp-size', '2', '--count', '3000', '--rate', '500', '--linger', '1', '--worker-id', 'w']);
  await sleep(1500);
  await nats.stop();
  const readHeld = () => bridge.telemetry.read('bridge_exporter_queue_size', { exporter: 'nats' });
  await sleep(2000);
  assert.ok(readHeld() > 500, `records held while the server is down (${readHeld()})`);
  await nats.start();
  const truth = await publishing;
  const records = truth.ranks.reduce((n, r) => n + r.data, 0);
  assert.equal(records, 6000);
  await until(() => [...seen].filter((k) => k.endsWith(':it')).length >= records, 15_000, 'every data record after the restart');
  await until(() => readHeld() === 0, 5000, 'nothing held');
  assert.equal(bridge.telemetry.read('bridge_exporter_dropped_items_total', { exporter: 'nats', reason: 'queue_full' }), 0);
  const sentItems = bridge.telemetry.read('bridge_exporter_sent_items_total', { exporter: 'nats' });
  const accepted = bridge.telemetry.read('bridge_receiver_accepted_items_total', { receiver: 'zmq_fpm' });
  assert.equal(sentItems, accepted, 'every record the receiver accepted was confirmed by the server');
  assert.ok(duplicates < 2000, `at-least-once across the restart: ${duplicates} duplicates`);
});

test('buffer bound: while the server is down, what exceeds buffer_size is dropped and counted; the rest arrives', async () => {
  const nats = await server();
  const url = nats.url;
  await nats.stop();
  const { e, read } = exporter({ servers: [url], buffer_size: 5, mode: 'metrics' });
  await e.start();
  for (let i = 0; i < 4; i++) {
    e.consume({ metrics: rankMetrics(i, Date.now()) }); // 2 messages (ranks 0 and 1): 3 points
    e.publishSnapshot();
  }
  assert.equal(read('bridge_exporter_queue_size'), 5);
  assert.equal(read('bridge_exporter_dropped_items_total', { reason: 'queue_full' }), 3 + 1, 'the rest of the third snapshot and the fourth: 1 and 3 points');
  await nats.start();
  const sink = await collect(url, 'sglang.metrics.>');
  await until(() => read('bridge_exporter_queue_size') === 0, 10_000, 'held messages delivered');
  assert.equal(read('bridge_exporter_sent_items_total'), 3 + 3 + 2);
  void sink;
});
