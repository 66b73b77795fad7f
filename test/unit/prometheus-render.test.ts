import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Metric } from '../../src/model/metrics.js';
import { familyName } from '../../src/exporters/prometheus/names.js';
import { negotiate, render, renderSliced } from '../../src/exporters/prometheus/render.js';
import { MetricStore } from '../../src/exporters/prometheus/store.js';

const t = { startTimeMs: 1000, timeMs: 2000 };

test('OTel names become Prometheus names: unit suffix, _total, sanitising', () => {
  const cases: [Partial<Metric> & { name: string; unit: string; kind: Metric['kind'] }, string][] = [
    [{ name: 'sglang.fpm.iterations', unit: '{iteration}', kind: 'sum', monotonic: true } as never, 'sglang_fpm_iterations'],
    [{ name: 'sglang.fpm.wall_time', unit: 's', kind: 'histogram' }, 'sglang_fpm_wall_time_seconds'],
    [{ name: 'sglang.fpm.window.wall_time.mean', unit: 's', kind: 'gauge' }, 'sglang_fpm_window_wall_time_mean_seconds'],
    [{ name: 'already_seconds', unit: 's', kind: 'gauge' }, 'already_seconds'],
    [{ name: 'sglang:num_running_reqs', unit: '', kind: 'gauge' }, 'sglang:num_running_reqs'],
    [{ name: 'sglang:prompt_tokens_total', unit: '', kind: 'sum', monotonic: true } as never, 'sglang:prompt_tokens'],
    [{ name: 'a.b-c  d', unit: 'By', kind: 'gauge' }, 'a_b_c_d_bytes'],
    [{ name: 'usage', unit: '1', kind: 'gauge' }, 'usage_ratio'],
    [{ name: '9lives', unit: '', kind: 'gauge' }, '_9lives'],
    [{ name: 'rate', unit: '{token}/s', kind: 'gauge' }, 'rate_per_second'],
  ];
  for (const [m, expected] of cases) assert.equal(familyName({ description: '', points: [], monotonic: false, ...m } as Metric), expected, m.name);
});

test('text format: counters, gauges, histograms (cumulative buckets), summaries, escaping', () => {
  const metrics: Metric[] = [
    { kind: 'sum', monotonic: true, name: 'sglang.fpm.iterations', description: 'Iterations.', unit: '{iteration}', points: [{ ...t, attributes: { worker_id: 'w"1\\', dp_rank: '0' }, value: 5 }] },
    { kind: 'gauge', name: 'g', description: 'line1\nline2', unit: '', points: [{ ...t, attributes: {}, value: NaN }, { ...t, attributes: { a: 'x\ny' }, value: Infinity }] },
    { kind: 'histogram', name: 'h', description: '', unit: 's', points: [{ ...t, attributes: { r: '1' }, count: 6, sum: 1.5, bounds: [0.1, 1], bucketCounts: [1, 2, 3] }] },
    { kind: 'summary', name: 'sm', description: 'S', unit: '', points: [{ ...t, attributes: {}, count: 3, sum: 9, quantiles: [{ quantile: 0.5, value: 2 }] }] },
    { kind: 'sum', monotonic: false, name: 'updown', description: '', unit: '', points: [{ ...t, attributes: {}, value: -3 }] },
  ];
  assert.equal(
    render(metrics, 'text'),
    [
      '# HELP sglang_fpm_iterations_total Iterations.',
      '# TYPE sglang_fpm_iterations_total counter',
      'sglang_fpm_iterations_total{dp_rank="0",worker_id="w\\"1\\\\"} 5',
      '# HELP g line1\\nline2',
      '# TYPE g gauge',
      'g NaN',
      'g{a="x\\ny"} +Inf',
      '# TYPE h_seconds histogram',
      'h_seconds_bucket{r="1",le="0.1"} 1',
      'h_seconds_bucket{r="1",le="1.0"} 3',
      'h_seconds_bucket{r="1",le="+Inf"} 6',
      'h_seconds_sum{r="1"} 1.5',
      'h_seconds_count{r="1"} 6',
      '# HELP sm S',
      '# TYPE sm summary',
      'sm{quantile="0.5"} 2',
      'sm_sum 9',
      'sm_count 3',
      '# TYPE updown gauge',
      'updown -3',
      '',
    ].join('\n'),
  );
});

test('OpenMetrics: counter family without _total in TYPE, samples with it, # EOF at the end', () => {
  const text = render([{ kind: 'sum', monotonic: true, name: 'c', description: 'C', unit: '', points: [{ ...t, attributes: {}, value: 1 }] }], 'openmetrics');
  assert.equal(text, '# HELP c C\n# TYPE c counter\nc_total 1\n# EOF\n');
});

test('content negotiation picks OpenMetrics only when asked', () => {
  assert.equal(negotiate(undefined), 'text');
  assert.equal(negotiate('text/plain;version=0.0.4'), 'text');
  assert.equal(negotiate('application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5'), 'openmetrics');
});

test('the store keeps the latest point per series and expires series nobody updates', () => {
  const store = new MetricStore(1000);
  const m = (value: number, rank: string): Metric => ({ kind: 'gauge', name: 'g', description: '', unit: '', points: [{ ...t, attributes: { rank }, value }] });
  store.put([m(1, '0'), m(2, '1')], 0);
  store.put([m(3, '0')], 900);
  const snap = store.snapshot(1500);
  assert.deepEqual(snap[0].points.map((p) => (p as { value: number }).value), [3]);
  assert.equal(store.seriesCount, 1);
  assert.deepEqual(store.snapshot(5000), []);
});

test('a sliced render (event loop free between slices) prints exactly what render prints', async () => {
  const many = (name: string, n: number): Metric => ({ kind: 'gauge', name, description: 'G', unit: '', points: Array.from({ length: n }, (_, i) => ({ ...t, attributes: { i: String(i) }, value: i / 3 })) });
  const metrics: Metric[] = [
    many('a', 5000),
    { kind: 'sum', monotonic: true, name: 'c', description: 'C', unit: '', points: [{ ...t, attributes: {}, value: 1 }] },
    { kind: 'histogram', name: 'h', description: '', unit: 's', points: Array.from({ length: 3000 }, (_, i) => ({ ...t, attributes: { r: String(i) }, count: 6, sum: 1.5, bounds: [0.1, 1], bucketCounts: [1, 2, 3] })) },
    { kind: 'summary', name: 'sm', description: 'S', unit: '', points: [{ ...t, attributes: {}, count: 3, sum: 9, quantiles: [{ quantile: 0.5, value: 2 }] }] },
    many('a', 10),
  ];
  for (const format of ['text', 'openmetrics'] as const) {
    const whole = render(metrics, format);
    assert.equal(await renderSliced(metrics, format, 0), whole, format);
    assert.equal(await renderSliced(metrics, format), whole, format);
  }
  assert.equal(await renderSliced([], 'text', 0), '');
});

test('lines are found by position when series come in the same order, and stay exact when series are inserted, left out, reordered or replaced', () => {
  const series = Array.from({ length: 40 }, (_, i) => ({ shard: String(i) }));
  const gauge = (attrs: readonly Record<string, string>[], value: (i: number) => number): Metric => ({ kind: 'gauge', name: 'positions_probe', description: '', unit: '', points: attrs.map((attributes, i) => ({ ...t, attributes, value: value(i) })) });
  const expected = (m: Metric) => ['# TYPE positions_probe gauge', ...m.points.map((p) => `positions_probe{shard="${p.attributes.shard}"} ${(p as { value: number }).value}`)].join('\n') + '\n';
  const renders: Metric[] = [
    gauge(series, (i) => i),
    gauge(series, (i) => i), // the same again: every line by position
    gauge([...series.slice(0, 10), { shard: 'new-a' }, ...series.slice(10, 30), { shard: 'new-b' }, ...series.slice(30)], (i) => i * 2), // inserted
    gauge([...series.slice(0, 5), ...series.slice(12)], (i) => 100 - i), // left out: positions carry on from where the next one is found
    gauge([...series].reverse(), (i) => i % 3), // reordered
    gauge(series.map((a) => ({ ...a })), (i) => i), // equal content, new attributes objects
    gauge(series.slice(0, 20), () => NaN),
  ];
  for (const [k, m] of renders.entries()) assert.equal(render([m], 'text'), expected(m), `render ${k}`);
  // Sliced the same way as the exporter's server renders it.
  return renderSliced([renders[2]], 'text', 0).then((text) => assert.equal(text, expected(renders[2])));
});
