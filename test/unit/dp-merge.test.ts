import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dpMergeSchema } from '../../src/processors/dp_merge/config.js';
import { GaugeRules } from '../../src/processors/dp_merge/gauge-rules.js';
import { mergeRanks } from '../../src/processors/dp_merge/merge.js';
import { empty, merge as welfordMerge, result, update } from '../../src/processors/welford/welford.js';
import type { Metric, NumberPoint } from '../../src/model/metrics.js';

function run(metrics: Metric[], options: Record<string, unknown> = {}) {
  const { config, issues } = dpMergeSchema.validate(options, 'processors["dp_merge"]');
  assert.deepEqual(issues, []);
  return mergeRanks(metrics, config!, new GaugeRules(config!.gaugeRules));
}
const at = (dp: string, extra: Record<string, string> = {}) => ({ worker_id: 'w', dp_rank: dp, ...extra });
const gauge = (name: string, values: number[], extra: Record<string, string> = {}): Metric => ({ kind: 'gauge', name, description: '', unit: '', points: values.map((value, i) => ({ attributes: at(String(i), extra), startTimeMs: 5, timeMs: 10 + i, value })) });
const merged = (m: Metric | undefined) => m?.points.find((p) => p.attributes.dp_rank === 'all') as NumberPoint | undefined;

test('counters: summed, start time the latest member\'s, a new identity beside the per-rank series', () => {
  const counter: Metric = { kind: 'sum', name: 'sglang.fpm.iterations', description: '', unit: '', monotonic: true, points: [{ attributes: at('0'), startTimeMs: 100, timeMs: 1000, value: 7 }, { attributes: at('1'), startTimeMs: 200, timeMs: 1001, value: 5 }] };
  const out = run([counter]).metrics[0]!;
  assert.equal(out.points.length, 3);
  assert.deepEqual(merged(out), { attributes: at('all'), startTimeMs: 200, timeMs: 1001, value: 12 });
  assert.equal(run([counter], { keep_per_rank: false }).metrics[0]!.points.length, 1);
});

test('gauges by the default table: sum for requests, weighted mean for token_usage, mean for ratios, skip when unknown', () => {
  const out = run([
    gauge('sglang:num_running_reqs', [37, 45]),
    gauge('sglang:token_usage', [0.5, 0.2]),
    gauge('sglang:max_total_num_tokens', [1000, 3000]),
    gauge('sglang:cache_hit_rate', [0.25, 0.75]),
    gauge('sglang:something_new', [1, 2]),
  ]);
  const byName = new Map(out.metrics.map((m) => [m.name, m]));
  assert.equal(merged(byName.get('sglang:num_running_reqs'))!.value, 82);
  assert.equal(merged(byName.get('sglang:token_usage'))!.value, (0.5 * 1000 + 0.2 * 3000) / 4000);
  assert.equal(merged(byName.get('sglang:max_total_num_tokens'))!.value, 4000);
  assert.equal(merged(byName.get('sglang:cache_hit_rate'))!.value, 0.5);
  assert.equal(merged(byName.get('sglang:something_new')), undefined);
  assert.deepEqual(out.unruled, ['sglang:something_new']);
  const configured = run([gauge('sglang:something_new', [1, 2])], { gauge_rules: { 'sglang:something_*': 'max' } });
  assert.equal(merged(configured.metrics[0])!.value, 2);
});

test('histograms: buckets summed; different bounds refused and counted, per-rank series kept', () => {
  const h = (bounds: number[]): Metric => ({
    kind: 'histogram', name: 'sglang:time_to_first_token_seconds', description: '', unit: '',
    points: [
      { attributes: at('0'), startTimeMs: 0, timeMs: 1, count: 3, sum: 1.5, bounds: [0.1, 1], bucketCounts: [1, 1, 1] },
      { attributes: at('1'), startTimeMs: 0, timeMs: 1, count: 2, sum: 0.5, bounds, bucketCounts: [2, 0, 0] },
    ],
  });
  const ok = run([h([0.1, 1])]).metrics[0]!.points.find((p) => p.attributes.dp_rank === 'all') as unknown as { count: number; sum: number; bucketCounts: number[] };
  assert.deepEqual([ok.count, ok.sum, ok.bucketCounts], [5, 2, [3, 1, 1]]);
  const bad = run([h([0.2, 1])]);
  assert.deepEqual(bad.refused, [{ metric: 'sglang:time_to_first_token_seconds', reason: 'bucket_mismatch', points: 2 }]);
  assert.equal(bad.metrics[0]!.points.length, 2);
});

test('series without rank labels and series already merged pass unchanged; tp replicas counted once; by tp_rank sums them', () => {
  const m = gauge('sglang:num_running_reqs', [1, 2]) as Extract<Metric, { kind: 'gauge' }>;
  const tokenizer: Metric = { kind: 'gauge', name: 'sglang:num_running_reqs', description: '', unit: '', points: [{ attributes: { worker_id: 'w' }, startTimeMs: 0, timeMs: 0, value: 9 }, { attributes: at('all'), startTimeMs: 0, timeMs: 0, value: 3 }] };
  assert.deepEqual(run([tokenizer]).metrics[0], tokenizer);
  const tp: Metric = { ...m, points: [{ attributes: { worker_id: 'w', dp_rank: '0', tp_rank: '0' }, startTimeMs: 0, timeMs: 0, value: 1 }, { attributes: { worker_id: 'w', dp_rank: '0', tp_rank: '1' }, startTimeMs: 0, timeMs: 0, value: 2 }, { attributes: { worker_id: 'w', dp_rank: '1', tp_rank: '2' }, startTimeMs: 0, timeMs: 0, value: 4 }] };
  const byDp = run([tp]).metrics[0]!.points.filter((p) => p.attributes.dp_rank === 'all') as NumberPoint[];
  assert.deepEqual(byDp.map((p) => [p.attributes.tp_rank, p.value]), [['all', 5]], 'DP attention: tp_rank follows dp_rank; the tp replicas of dp rank 0 count once (the lowest)');
  const noReplicas = run([tp], { replica_labels: [] }).metrics[0]!.points.filter((p) => p.attributes.dp_rank === 'all');
  assert.equal(noReplicas.length, 3, 'without replica labels, tp ranks stay apart');
  const both = run([tp], { by: ['dp_rank', 'tp_rank'] }).metrics[0]!.points.filter((p) => p.attributes.dp_rank === 'all') as NumberPoint[];
  assert.deepEqual(both.map((p) => [p.attributes.tp_rank, p.value]), [['all', 7]]);
});

test('welford window statistics merge as Welford states: equal to the statistics of all samples together', () => {
  const samples = [[0.01, 0.02, 0.03, 0.05], [0.2, 0.1], []];
  const states = samples.map((xs) => {
    const s = empty();
    for (const x of xs) update(s, x);
    return s;
  });
  const whole = result(states.reduce((a, b) => welfordMerge(a, b)));
  const per = states.map(result);
  const out = run([
    gauge('sglang.fpm.window.iterations', per.map((r) => r.count)),
    gauge('sglang.fpm.window.wall_time.mean', per.map((r) => r.mean)),
    gauge('sglang.fpm.window.wall_time.variance', per.map((r) => r.variance)),
    gauge('sglang.fpm.window.wall_time.min', per.map((r) => r.min)),
    gauge('sglang.fpm.window.wall_time.max', per.map((r) => r.max)),
    gauge('sglang.fpm.window.wall_time.sum', per.map((r) => r.sum)),
  ]);
  const value = (name: string) => merged(out.metrics.find((m) => m.name === name))!.value;
  assert.equal(value('sglang.fpm.window.iterations'), 6);
  assert.ok(Math.abs(value('sglang.fpm.window.wall_time.mean') - whole.mean) <= 1e-12);
  assert.ok(Math.abs(value('sglang.fpm.window.wall_time.variance') - whole.variance) <= 1e-9 * whole.variance);
  assert.equal(value('sglang.fpm.window.wall_time.min'), 0.01);
  assert.equal(value('sglang.fpm.window.wall_time.max'), 0.2);
  assert.ok(Math.abs(value('sglang.fpm.window.wall_time.sum') - whole.sum) <= 1e-12);
});

test('dp_merge: bad options are reported with their paths', () => {
  const { issues } = dpMergeSchema.validate({ by: [], gauge_rules: { 'sglang:x': 'median' }, default_gauge_rule: 'weighted_mean:y' }, 'processors["dp_merge"]');
  assert.deepEqual(issues.map((i) => i.path).sort(), ['processors["dp_merge"].by', 'processors["dp_merge"].default_gauge_rule', 'processors["dp_merge"].gauge_rules.sglang:x']);
});

test('merged series keep one attributes object from batch to batch (downstream caches keyed on it hit)', async () => {
  const { MergeIdentities } = await import('../../src/processors/dp_merge/merge.js');
  const { config } = dpMergeSchema.validate({}, 'processors["dp_merge"]');
  const identities = new MergeIdentities(config!);
  const rules = new GaugeRules(config!.gaugeRules);
  const metric = gauge('sglang:num_running_reqs', [3, 4]);
  const first = merged(mergeRanks([metric], config!, rules, identities).metrics[0])!;
  const again = merged(mergeRanks([{ ...metric }], config!, rules, identities).metrics[0])!;
  assert.equal(again.attributes, first.attributes);
  assert.equal(again.value, 7);
});
