import { beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from '../../src/component/registry.js';
import { validateConfig } from '../../src/config/validate.js';
import { Service } from '../../src/pipeline/service.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { SelfTelemetry } from '../../src/telemetry/self-telemetry.js';
import { captured, captureExporter, events, gauge, memoryReceiver, receivers, tagProcessor } from '../helpers/test-components.js';

function service(config: Record<string, unknown>, telemetry = new SelfTelemetry({ processMetrics: false })) {
  const registry = new Registry();
  for (const f of [memoryReceiver, tagProcessor, captureExporter]) registry.register(f);
  return new Service(validateConfig(config, registry, 'test'), silentLogger, telemetry);
}

const descriptions = (id: string) => captured.get(id)!.flatMap((b) => (b.metrics ?? []).map((m) => `${m.name}:${m.description}`));

beforeEach(() => {
  events.length = 0;
  receivers.clear();
  captured.clear();
});

test('processors run in the listed order, and a pipeline fans out to all its exporters', async () => {
  const s = service({
    receivers: { memory: {} },
    processors: { 'tag/a': {}, 'tag/b': {} },
    exporters: { 'capture/1': {}, 'capture/2': {} },
    pipelines: { 'metrics/x': { receivers: ['memory'], processors: ['tag/a', 'tag/b'], exporters: ['capture/1', 'capture/2'] } },
  });
  await s.start();
  receivers.get('memory')!.consume({ metrics: [gauge('m')] });
  assert.deepEqual(descriptions('capture/1'), ['m:>tag/a>tag/b']);
  assert.deepEqual(descriptions('capture/2'), ['m:>tag/a>tag/b']);
  await s.shutdown();
});

test('several receivers feed one pipeline; one receiver feeds several pipelines, each with its own processor chain', async () => {
  const s = service({
    receivers: { 'memory/a': {}, 'memory/b': {} },
    processors: { tag: {} },
    exporters: { 'capture/x': {}, 'capture/y': {} },
    pipelines: {
      'metrics/one': { receivers: ['memory/a', 'memory/b'], processors: ['tag'], exporters: ['capture/x'] },
      'metrics/two': { receivers: ['memory/a'], exporters: ['capture/y'] },
    },
  });
  await s.start();
  receivers.get('memory/a')!.consume({ metrics: [gauge('from_a')] });
  receivers.get('memory/b')!.consume({ metrics: [gauge('from_b')] });
  assert.deepEqual(descriptions('capture/x'), ['from_a:>tag', 'from_b:>tag']);
  assert.deepEqual(descriptions('capture/y'), ['from_a:']);
  await s.shutdown();
});

test('start order: exporters, processors, receivers; stop order: receivers, processors, exporters', async () => {
  const s = service({
    receivers: { memory: {} },
    processors: { 'tag/a': {}, 'tag/b': {} },
    exporters: { capture: {} },
    pipelines: { 'metrics/x': { receivers: ['memory'], processors: ['tag/a', 'tag/b'], exporters: ['capture'] } },
  });
  await s.start();
  await s.shutdown();
  await s.shutdown(); // idempotent
  assert.deepEqual(events, ['start capture', 'start tag/b', 'start tag/a', 'start memory', 'stop memory', 'stop tag/a', 'stop tag/b', 'stop capture']);
});

test('an exporter that throws is counted and the other exporters still get the batch', async () => {
  const telemetry = new SelfTelemetry({ processMetrics: false });
  const s = service(
    {
      receivers: { memory: {} },
      exporters: { 'capture/throws': {}, 'capture/ok': {} },
      pipelines: { 'metrics/x': { receivers: ['memory'], exporters: ['capture/throws', 'capture/ok'] } },
    },
    telemetry,
  );
  await s.start();
  receivers.get('memory')!.consume({ metrics: [gauge('m')] });
  receivers.get('memory')!.consume({ metrics: [gauge('n')] });
  assert.deepEqual(descriptions('capture/ok'), ['m:', 'n:']);
  assert.equal(telemetry.read('bridge_consumer_failed_items_total', { component: 'capture/throws' }), 2);
  await s.shutdown();
});

test('readiness: false before start and after shutdown, true in between', async () => {
  const s = service({ receivers: { memory: {} }, exporters: { capture: {} }, pipelines: { 'metrics/x': { receivers: ['memory'], exporters: ['capture'] } } });
  assert.equal(s.isReady(), false);
  await s.start();
  assert.equal(s.isReady(), true);
  await s.shutdown();
  assert.equal(s.isReady(), false);
});
