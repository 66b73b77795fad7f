/**
 * One lifecycle test run against every built-in factory: shutdown is safe
 * without start, start returns, shutdown is idempotent, and options' docs exist.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Component, Consumer, CreateSettings, ExporterFactory, Factory, ProcessorFactory, ReceiverFactory } from '../../src/component/contracts.js';
import { builtinRegistry } from '../../src/components.js';
import type { Batch } from '../../src/model/batch.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { SelfTelemetry } from '../../src/telemetry/self-telemetry.js';

const dir = mkdtempSync(path.join(tmpdir(), 'conformance-'));
/** The smallest options each type needs to be created. A new factory without an entry fails the test below. */
const MINIMAL: Record<string, unknown> = {
  'receiver:zmq_fpm': { endpoint: `ipc://${dir}/fpm`, dp_size: 2 },
  'receiver:prometheus_multiproc': { directories: [dir] },
  'receiver:prometheus_scrape': { targets: ['http://127.0.0.1:9/metrics'], interval: '1s', timeout: '100ms' },
  'processor:welford': {},
  'processor:rank_relabel': {},
  'processor:dp_merge': {},
  'processor:filter': { exclude: { metric_names: ['sglang:*'] } },
  'processor:rename': { preset: 'gen_ai' },
  'exporter:prometheus': { port: 0 },
  'exporter:nats': { servers: ['nats://127.0.0.1:9'] },
  'exporter:otlp_http': { endpoint: 'http://127.0.0.1:9/v1/metrics', timeout: '200ms' },
  'exporter:debug': { path: path.join(dir, 'debug.jsonl') },
};

const sink: Consumer & { batches: Batch[] } = { batches: [], consume: (b) => void sink.batches.push(b) };
const host = { isReady: () => true };

function create(f: Factory, options: unknown): Component {
  const settings: CreateSettings = { id: f.type, logger: silentLogger, telemetry: new SelfTelemetry({ processMetrics: false }), now: Date.now };
  const { config, issues } = f.schema.validate(options, f.type);
  assert.deepEqual(issues, [], `${f.kind} ${f.type}: minimal options are valid`);
  if (f.kind === 'exporter') return (f as ExporterFactory<unknown>).create(settings, config);
  if (f.kind === 'processor') return (f as ProcessorFactory<unknown>).create(settings, config, sink);
  return (f as ReceiverFactory<unknown>).create(settings, config, sink);
}

const factories = builtinRegistry().list();

test('every built-in factory has a conformance entry', () => {
  assert.deepEqual(factories.map((f) => `${f.kind}:${f.type}`).sort(), Object.keys(MINIMAL).sort());
});

for (const f of factories) {
  const key = `${f.kind}:${f.type}`;
  test(`${key}: shutdown without start is safe`, async () => {
    await create(f, MINIMAL[key]).shutdown();
  });
  test(`${key}: start, consume, shutdown twice`, async () => {
    const c = create(f, MINIMAL[key]);
    await c.start(host);
    if ('consume' in c) (c as unknown as Consumer).consume({ metrics: [], fpm: [] });
    await c.shutdown();
    await c.shutdown();
  });
  test(`${key}: every option is documented with a default`, () => {
    for (const [name, o] of Object.entries(f.schema.options)) {
      assert.ok(o.doc.length > 10, `${key}.${name} has a doc`);
      assert.notEqual(o.default, undefined, `${key}.${name} has a default`);
    }
  });
}
