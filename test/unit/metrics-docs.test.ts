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
