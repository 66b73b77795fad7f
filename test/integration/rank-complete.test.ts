/**
 * One rank-complete view of a node: the Python FPM publisher (3 dp ranks) and
 * a prometheus_client multiprocess directory of SGLang (DP attention, 2 ranks)
 * -> welford -> rank_relabel -> dp_merge -> prometheus. Merged totals equal the
 * per-rank sums (computed here from the publisher's truth and the fixture's
 * expected.prom, not by the bridge), and the FPM and Prometheus series of one
 * rank carry the same identity labels.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sleep, startBridge } from '../helpers/bridge.js';
import { parseExposition, valueOf, type Sample } from '../helpers/exposition.js';
import { copyFixture, expectedProm } from '../helpers/multiproc.js';
import { freePorts } from '../helpers/ports.js';
import { runPublisher } from '../helpers/publisher.js';

const IDENTITY = ['worker_id', 'dp_rank', 'model_name', 'role'] as const;
const identity = (s: Sample) => Object.fromEntries(IDENTITY.map((k) => [k, s.labels[k]]));

test('FPM + multiprocess -> rank_relabel -> dp_merge: merged totals are the per-rank sums; both views of a rank share identity labels', async () => {
  const dir = copyFixture('sglang');
  const base = await freePorts(3);
  const endpoint = `tcp://127.0.0.1:${base}`;
  const worker = 'worker-e2e';
  const bridge = await startBridge({
    receivers: { zmq_fpm: { endpoint, dp_size: 3 }, prometheus_multiproc: { directories: [{ path: dir, sglang: true }], interval: '300ms' } },
    processors: { welford: { window: '500ms' }, rank_relabel: { worker_id: worker, model_name: 'Qwen/Qwen3-0.6B', dynamo_namespace: 'test', dynamo_component: 'backend', dynamo_endpoint: 'generate' }, dp_merge: {} },
    exporters: { prometheus: { port: 0, self_telemetry: false } },
    pipelines: { 'metrics/node': { receivers: ['zmq_fpm', 'prometheus_multiproc'], processors: ['welford', 'rank_relabel', 'dp_merge'], exporters: ['prometheus'] } },
  });
  try {
    await sleep(300);
    const truth = await runPublisher(['--endpoint', endpoint, '--dp-size', '3', '--count', '400', '--rate', '1000', '--linger', '1.5', '--worker-id', worker]);
    await sleep(1000);
    const samples = parseExposition(await bridge.scrape());

    // FPM: the merged counters and histogram are the sums of the ranks, which are the publisher's truth.
    const perRank = truth.ranks.map((r) => valueOf(samples, 'sglang_fpm_iterations_total', { dp_rank: String(r.dp_rank) }));
    assert.deepEqual(perRank, truth.ranks.map((r) => r.data));
    assert.equal(valueOf(samples, 'sglang_fpm_iterations_total', { dp_rank: 'all' }), truth.ranks.reduce((n, r) => n + r.data, 0));
    assert.equal(valueOf(samples, 'sglang_fpm_wall_time_seconds_count', { dp_rank: 'all' }), truth.ranks.reduce((n, r) => n + r.data, 0));
    const wallSum = truth.ranks.reduce((n, r) => n + r.sum.wall_time, 0);
    assert.ok(Math.abs(valueOf(samples, 'sglang_fpm_wall_time_seconds_sum', { dp_rank: 'all' }) - wallSum) <= 1e-6 * wallSum);
    const prefill = truth.ranks.reduce((n, r) => n + r.sum.scheduled.sum_prefill_tokens, 0);
    assert.equal(valueOf(samples, 'sglang_fpm_scheduled_prefill_tokens_total', { dp_rank: 'all' }), prefill);

    // Prometheus inputs: merged values from the fixture's own exposition.
    const fixture = parseExposition(expectedProm('sglang'));
    const fixtureSum = (name: string) => fixture.filter((s) => s.name === name).reduce((n, s) => n + s.value, 0);
    for (const name of ['sglang:num_running_reqs', 'sglang:num_queue_reqs', 'sglang:queue_time_seconds_count', 'sglang:queue_time_seconds_sum', 'sglang:num_retracted_reqs']) {
      const ranks = fixture.filter((s) => s.name === name).map((s) => s.labels.dp_rank);
      assert.deepEqual([...new Set(ranks)].sort(), ['0', '1'], `${name}: the fixture has both ranks`);
      const merged = valueOf(samples, name, { dp_rank: 'all' });
      assert.ok(Math.abs(merged - fixtureSum(name)) <= 1e-9 * Math.max(1, Math.abs(fixtureSum(name))), `${name}: merged ${merged} = sum of ranks ${fixtureSum(name)}`);
    }
    const le = (s: Sample) => s.labels.le;
    const mergedBuckets = samples.filter((s) => s.name === 'sglang:queue_time_seconds_bucket' && s.labels.dp_rank === 'all');
    assert.ok(mergedBuckets.length > 5);
    for (const b of mergedBuckets) {
      const expected = fixture.filter((s) => s.name === 'sglang:queue_time_seconds_bucket' && le(s) === le(b)).reduce((n, s) => n + s.value, 0);
      assert.equal(b.value, expected, `bucket le=${le(b)}`);
    }
    // The per-process gauge lost its pid for the rank it stands for.
    assert.ok(samples.filter((s) => s.name === 'sglang:num_retracted_reqs').every((s) => s.labels.pid === undefined));
    assert.ok(samples.some((s) => s.name === 'sglang_multiproc_process_ranks' && s.labels.pid === '4102' && s.labels.dp_rank === '0'));

    // Identity: the FPM and the Prometheus series of each rank join on the same labels.
    for (const rank of ['0', '1']) {
      const fpm = samples.find((s) => s.name === 'sglang_fpm_iterations_total' && s.labels.dp_rank === rank)!;
      const prom = samples.find((s) => s.name === 'sglang:num_running_reqs' && s.labels.dp_rank === rank)!;
      assert.deepEqual(identity(fpm), identity(prom), `rank ${rank}`);
      assert.deepEqual(identity(fpm), { worker_id: worker, dp_rank: rank, model_name: 'Qwen/Qwen3-0.6B', role: 'unified' });
      for (const s of [fpm, prom]) assert.deepEqual([s.labels.dynamo_namespace, s.labels.dynamo_component, s.labels.dynamo_endpoint], ['test', 'backend', 'generate']);
    }
    // Worker-level series (the tokenizer's) carry the worker identity but no rank, and are not merged.
    const ttft = samples.filter((s) => s.name === 'sglang:time_to_first_token_seconds_count');
    assert.ok(ttft.length >= 1 && ttft.every((s) => s.labels.worker_id === worker && s.labels.dp_rank === undefined));
  } finally {
    await bridge.stop();
  }
});
