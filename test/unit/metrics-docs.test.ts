/** Every metric family the FPM path can emit is documented in docs/metrics.md, under its exact name. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { familyName } from '../../src/exporters/prometheus/names.js';
import { cumulativeMetrics, windowMetrics } from '../../src/processors/welford/output.js';
import { SeriesState } from '../../src/processors/welford/series.js';
import { healthMetrics } from '../../src/receivers/zmq_fpm/health.js';
import { ROOT } from '../helpers/paths.js';

const doc = readFileSync(path.join(ROOT, 'docs/metrics.md'), 'utf8');

test('docs/metrics.md names every FPM family, in its Prometheus and OTLP forms', () => {
  const s = new SeriesState('w', 0, 0, [1]);
  const all = [...healthMetrics([], 0), ...cumulativeMetrics([s], 0, [1]), ...windowMetrics([{ attributes: {}, states: s.takeWindow(), ranks: 1 }], 0, 1000)];
  assert.ok(all.length > 50);
  for (const m of all) {
    const family = familyName(m);
    const name = m.kind === 'sum' && m.monotonic ? `${family}_total` : family;
    assert.ok(doc.includes(`\`${name}\``), `${name} is documented`);
    assert.ok(doc.includes(`\`${m.name}\``), `${m.name} is documented`);
  }
});

test('docs/metrics.md names every metric the rename presets produce, in its OTLP and Prometheus forms', async () => {
  const { dynamoRules, genAiRules } = await import('../../src/processors/rename/presets.js');
  const rules = [
    ...genAiRules({ providerName: 'sglang', operationName: 'chat', serverAddress: '', serverPort: '' }),
    ...dynamoRules({ source: 'frontend', namespace: 'dynamo', component: 'backend', endpoint: 'generate' }),
    ...dynamoRules({ source: 'router', namespace: 'dynamo', component: 'backend', endpoint: 'generate' }),
  ];
  for (const r of rules) {
    const kind = r.to.endsWith('_total') ? 'sum' : 'histogram';
    const m = { kind, monotonic: true, name: r.to, unit: r.unit ?? '', description: '', points: [] } as Parameters<typeof familyName>[0];
    const prometheus = kind === 'sum' ? `${familyName(m)}_total` : familyName(m);
    assert.ok(doc.includes(`\`${r.to}\``), `${r.to} is documented`);
    assert.ok(doc.includes(`\`${prometheus}\``), `${prometheus} is documented`);
    assert.ok(doc.includes(`\`${r.from.source}\``), `${r.from.source} is documented`);
  }
});
