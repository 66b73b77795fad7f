import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DELIVERED, type SendOutcome } from '../../src/exporters/delivery/outcome.js';
import { DeliveryQueue } from '../../src/exporters/delivery/queue.js';
import { DEFAULT_RETRY, mayRetry, retryDelayMs } from '../../src/exporters/delivery/retry-policy.js';
import { DeliveryTelemetry } from '../../src/exporters/delivery/telemetry.js';
import { DeltaConverter } from '../../src/exporters/otlp_http/delta.js';
import type { Metric } from '../../src/model/metrics.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { SelfTelemetry } from '../../src/telemetry/self-telemetry.js';

test('backoff: grows by the multiplier, capped, jittered within +-20%; Retry-After wins', () => {
  const mid = () => 0.5; // no jitter
  assert.equal(retryDelayMs(DEFAULT_RETRY, 1, undefined, mid), 5000);
  assert.equal(retryDelayMs(DEFAULT_RETRY, 2, undefined, mid), 7500);
  assert.equal(retryDelayMs(DEFAULT_RETRY, 10, undefined, mid), 30_000);
  assert.equal(retryDelayMs(DEFAULT_RETRY, 1, undefined, () => 0), 4000);
  assert.equal(retryDelayMs(DEFAULT_RETRY, 1, undefined, () => 1), 6000);
  assert.equal(retryDelayMs(DEFAULT_RETRY, 3, 45_000, mid), 45_000);
  assert.equal(mayRetry(DEFAULT_RETRY, 0, 290_000, 5000), true);
  assert.equal(mayRetry(DEFAULT_RETRY, 0, 296_000, 5000), false);
  assert.equal(mayRetry({ ...DEFAULT_RETRY, maxElapsedMs: 0 }, 0, 1e9, 5000), true);
  assert.equal(mayRetry({ ...DEFAULT_RETRY, enabled: false }, 0, 0, 0), false);
});

function queue(send: (n: number) => Promise<SendOutcome>, options: { capacity?: number; maxElapsedMs?: number } = {}) {
  const telemetry = new SelfTelemetry({ processMetrics: false });
  const q = new DeliveryQueue<number>({
    id: 'x',
    capacity: options.capacity ?? 100,
    retry: { ...DEFAULT_RETRY, initialIntervalMs: 10, maxIntervalMs: 20, maxElapsedMs: options.maxElapsedMs ?? 0 },
    send,
    telemetry: new DeliveryTelemetry(telemetry, 'x'),
    logger: silentLogger,
    now: Date.now,
  });
  const read = (name: string, labels: Record<string, string> = {}) => telemetry.read(name, { exporter: 'x', ...labels });
  return { q, read };
}

test('queue: one send at a time, in order; failures retried until delivered; every item accounted for', async () => {
  const order: number[] = [];
  let active = 0;
  let maxActive = 0;
  let failuresLeft = 3;
  const { q, read } = queue(async (n) => {
    active++;
    maxActive = Math.max(maxActive, active);
    await new Promise((r) => setTimeout(r, 2));
    active--;
    if (failuresLeft-- > 0) return { kind: 'retryable', reason: 'ECONNREFUSED' };
    order.push(n);
    return DELIVERED;
  });
  for (let i = 0; i < 5; i++) assert.equal(q.offer(i, 10), true);
  await q.drain(Date.now() + 2000);
  assert.deepEqual(order, [0, 1, 2, 3, 4]);
  assert.equal(maxActive, 1);
  assert.equal(read('bridge_exporter_sent_items_total'), 50);
  assert.equal(read('bridge_exporter_send_attempts_total', { outcome: 'retryable' }), 3);
});

test('queue: full -> dropped (queue_full); permanent -> dropped (permanent_error); too old -> retries_exhausted; a throwing send is retryable', async () => {
  const { q, read } = queue(async (n) => (n === 1 ? { kind: 'permanent', reason: 'HTTP 400' } : n === 2 ? { kind: 'retryable', reason: 'down' } : n === 3 ? Promise.reject(new Error('boom')) : DELIVERED), { capacity: 25, maxElapsedMs: 50 });
  assert.equal(q.offer(1, 10), true);
  assert.equal(q.offer(2, 10), true);
  assert.equal(q.offer(9, 10), false);
  assert.equal(read('bridge_exporter_dropped_items_total', { reason: 'queue_full' }), 10);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(read('bridge_exporter_dropped_items_total', { reason: 'permanent_error' }), 10);
  assert.equal(read('bridge_exporter_dropped_items_total', { reason: 'retries_exhausted' }), 10);
  assert.equal(q.offer(3, 5), true);
  await q.drain(Date.now() + 100);
  assert.equal(read('bridge_exporter_send_attempts_total', { outcome: 'retryable' }) >= 4, true);
  assert.equal(read('bridge_exporter_dropped_items_total', { reason: 'shutdown' }), 5);
  assert.equal(q.size, 0);
  assert.equal(q.offer(4, 1), false, 'refused after drain');
});

const sum = (value: number, startTimeMs: number, timeMs: number): Metric => ({ kind: 'sum', name: 'c', description: '', unit: '', monotonic: true, points: [{ attributes: { a: '1' }, startTimeMs, timeMs, value }] });

test('delta: differences over consecutive windows; resets start over; idle series give nothing', () => {
  const d = new DeltaConverter();
  const first = d.convert([sum(10, 100, 1000)])[0]!.points[0]!;
  assert.deepEqual([first.startTimeMs, first.timeMs, (first as { value: number }).value], [100, 1000, 10]);
  const second = d.convert([sum(25, 100, 2000)])[0]!.points[0]!;
  assert.deepEqual([second.startTimeMs, second.timeMs, (second as { value: number }).value], [1000, 2000, 15]);
  assert.deepEqual(d.convert([sum(25, 100, 2000)]), [], 'nothing new');
  const reset = d.convert([sum(3, 2500, 3000)])[0]!.points[0]!;
  assert.deepEqual([reset.startTimeMs, (reset as { value: number }).value], [2500, 3], 'new start time: whole value');
  const down = d.convert([sum(1, 2500, 4000)])[0]!.points[0]!;
  assert.deepEqual([down.startTimeMs, (down as { value: number }).value], [2500, 1], 'a value that went down: a reset');
  const h = (count: number, s: number, buckets: number[], t: number): Metric => ({ kind: 'histogram', name: 'h', description: '', unit: 's', points: [{ attributes: {}, startTimeMs: 0, timeMs: t, count, sum: s, bounds: [1], bucketCounts: buckets }] });
  d.convert([h(3, 1.5, [2, 1], 10)]);
  const hp = d.convert([h(5, 4, [3, 2], 20)])[0]!.points[0] as unknown as { count: number; sum: number; bucketCounts: number[] };
  assert.deepEqual([hp.count, hp.sum, hp.bucketCounts], [2, 2.5, [1, 1]]);
  d.forgetBefore(5000);
  assert.equal(d.size, 0);
});
