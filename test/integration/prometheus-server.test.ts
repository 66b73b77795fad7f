/**
 * The bridge scraped by a real Prometheus server (Debian's /usr/bin/prometheus):
 * zmq_fpm (2 dp ranks over tcp) -> welford -> prometheus exporter, fed by
 * shared/tools/fpm-publisher.py. What PromQL returns must equal the
 * publisher's printed truth exactly. Prometheus negotiates the exposition
 * format itself (it asks for OpenMetrics first), so this also proves its
 * parser accepts what the bridge serves. A missing Prometheus binary fails
 * the test; it is never skipped.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBridge, sleep, type TestBridge } from '../helpers/bridge.js';
import { freePorts } from '../helpers/ports.js';
import { startPrometheus, type PrometheusServer, type PromSample } from '../helpers/prometheus-server.js';
import { runPublisher, type PublisherTruth } from '../helpers/publisher.js';

const DP = 2;
const WORKER = 'w-prom';
const JOB = 'bridge';
/** Everything, start to finish, must fit in this. */
const BUDGET_MS = 40_000;

async function poll<T>(what: string, deadline: number, attempt: () => Promise<T | undefined>, last: () => string): Promise<T> {
  while (true) {
    const value = await attempt();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last seen: ${last()}`);
    await sleep(200);
  }
}

describe('a real Prometheus scraping the bridge', { timeout: BUDGET_MS + 5000 }, () => {
  let bridge: TestBridge | undefined;
  let prometheus: PrometheusServer | undefined;
  let truth: PublisherTruth;

  const sum = (f: (r: PublisherTruth['ranks'][number]) => number) => truth.ranks.reduce((a, r) => a + f(r), 0);

  /** An instant query that must return exactly one series; its value. */
  async function one(promql: string): Promise<PromSample> {
    const result = await prometheus!.query(promql);
    assert.equal(result.length, 1, `${promql}: expected one series, got ${JSON.stringify(result)}`);
    return result[0];
  }

  before(async () => {
    const deadline = Date.now() + BUDGET_MS - 5000;
    const base = await freePorts(DP);
    const endpoint = `tcp://127.0.0.1:${base}`;
    bridge = await startBridge({
      receivers: { zmq_fpm: { endpoint, dp_size: DP, heartbeat_timeout: '3s', report_interval: '200ms' } },
      processors: { welford: { window: '300ms' } },
      exporters: { prometheus: { port: 0 } },
      pipelines: { 'metrics/fpm': { receivers: ['zmq_fpm'], processors: ['welford'], exporters: ['prometheus'] } },
    });
    prometheus = await startPrometheus({ targets: [{ job: JOB, url: bridge.metricsUrl() }], scrapeIntervalSeconds: 1 });

    // The target is up before anything is published (a scrape of the idle bridge succeeded).
    let lastUp = '';
    await poll('the bridge target to be up', deadline, async () => {
      const up = await prometheus!.query(`up{job="${JOB}"}`);
      lastUp = JSON.stringify(up);
      return up.length === 1 && up[0].value === 1 ? true : undefined;
    }, () => `${lastUp}\n${prometheus!.logs()}`);

    truth = await runPublisher(['--endpoint', endpoint, '--dp-size', String(DP), '--count', '1500', '--rate', '3000', '--linger', '1', '--worker-id', WORKER]);
    // The last iteration went out a second (the linger) ago; one more window makes sure the totals left welford.
    await sleep(400);
    const settled = Date.now() / 1000;

    // Wait for a scrape that started after everything had settled: from then on the counters are final.
    let lastScrape = '';
    await poll('a scrape after the publisher finished', deadline, async () => {
      const t = await prometheus!.query(`timestamp(up{job="${JOB}"})`);
      lastScrape = JSON.stringify(t);
      return t.length === 1 && t[0].value > settled ? true : undefined;
    }, () => `${lastScrape} (settled at ${settled})`);
  });

  after(async () => {
    await prometheus?.stop();
    await bridge?.stop();
  });

  test('the publisher ran clean: every rank sent its iterations, no loss, no malformed messages', () => {
    assert.equal(truth.worker_id, WORKER);
    assert.equal(truth.ranks.length, DP);
    for (const r of truth.ranks) {
      assert.equal(r.data, 1500, `rank ${r.dp_rank}`);
      assert.equal(r.skipped_seq, 0);
      assert.equal(r.restarts, 0);
      assert.deepEqual(Object.values(r.bad).filter((n) => n > 0), []);
    }
  });

  test('the scrape is healthy: one target, up, no scrape error', async () => {
    assert.equal((await one(`up{job="${JOB}"}`)).value, 1);
    const res = await fetch(`${prometheus!.url}/api/v1/targets?state=active`);
    const body = (await res.json()) as { data: { activeTargets: { labels: Record<string, string>; health: string; lastError: string; scrapeUrl: string }[] } };
    const targets = body.data.activeTargets.filter((t) => t.labels.job === JOB);
    assert.equal(targets.length, 1);
    assert.equal(targets[0].health, 'up');
    assert.equal(targets[0].lastError, '');
    assert.equal(targets[0].scrapeUrl, bridge!.metricsUrl());
  });

  test('sum(sglang_fpm_iterations_total) equals the iterations the publisher sent', async () => {
    assert.equal((await one('sum(sglang_fpm_iterations_total)')).value, sum((r) => r.data));
  });

  test('each rank\'s series has its own labels and exact counts', async () => {
    for (const r of truth.ranks) {
      const s = await one(`sglang_fpm_iterations_total{dp_rank="${r.dp_rank}"}`);
      assert.equal(s.value, r.data, `rank ${r.dp_rank} iterations`);
      assert.deepEqual(s.metric, { __name__: 'sglang_fpm_iterations_total', dp_rank: String(r.dp_rank), worker_id: WORKER, job: JOB, instance: new URL(bridge!.metricsUrl()).host });
      const id = `{worker_id="${WORKER}",dp_rank="${r.dp_rank}"}`;
      assert.equal((await one(`sglang_fpm_wall_time_seconds_count${id}`)).value, r.data, `rank ${r.dp_rank} wall_time count`);
      assert.equal((await one(`sglang_fpm_heartbeats_total${id}`)).value, r.heartbeats, `rank ${r.dp_rank} heartbeats`);
      assert.equal((await one(`sglang_fpm_scheduled_prefill_tokens_total${id}`)).value, r.sum.scheduled.sum_prefill_tokens, `rank ${r.dp_rank} prefill tokens`);
      assert.equal((await one(`sglang_fpm_scheduled_decode_kv_tokens_total${id}`)).value, r.sum.scheduled.sum_decode_kv_tokens, `rank ${r.dp_rank} decode kv tokens`);
      assert.equal((await one(`sglang_fpm_messages_lost_total${id}`)).value, 0, `rank ${r.dp_rank} lost`);
      const wall = (await one(`sglang_fpm_wall_time_seconds_sum${id}`)).value;
      assert.ok(Math.abs(wall - r.sum.wall_time) <= 1e-6 * Math.max(1, r.sum.wall_time), `rank ${r.dp_rank} wall time ${wall} vs ${r.sum.wall_time}`);
    }
    // The +Inf bucket of the histogram is every iteration too.
    assert.equal((await one('sum(sglang_fpm_wall_time_seconds_bucket{le="+Inf"})')).value, sum((r) => r.data));
  });

  test('sum(sglang_fpm_scheduled_decode_requests_total) and the prefill requests equal the truth', async () => {
    assert.equal((await one('sum(sglang_fpm_scheduled_decode_requests_total)')).value, sum((r) => r.sum.scheduled.num_decode_requests));
    assert.equal((await one('sum(sglang_fpm_scheduled_prefill_requests_total)')).value, sum((r) => r.sum.scheduled.num_prefill_requests));
  });

  test('every rank was seen up while it published (max over the run)', async () => {
    const ups = await prometheus!.query(`max_over_time(sglang_fpm_up{worker_id="${WORKER}"}[1m])`);
    assert.deepEqual(ups.map((s) => [s.metric.dp_rank, s.value]).sort(), truth.ranks.map((r) => [String(r.dp_rank), 1]));
  });

  test('the bridge\'s own telemetry is scraped too, and agrees with the truth', async () => {
    // Every record the receiver handed on: iterations and heartbeats.
    const accepted = await one(`bridge_receiver_accepted_items_total{job="${JOB}",receiver="zmq_fpm"}`);
    assert.equal(accepted.value, sum((r) => r.data + r.heartbeats));
    const incoming = await one(`bridge_processor_incoming_items_total{job="${JOB}"}`);
    assert.equal(incoming.value, accepted.value, 'welford received everything the receiver accepted');
    assert.ok((await one(`bridge_processor_outgoing_items_total{job="${JOB}"}`)).value > 0);
    assert.ok((await one(`bridge_exporter_sent_items_total{job="${JOB}",exporter="prometheus"}`)).value > 0);
    assert.ok((await one(`bridge_exporter_scrapes_total{job="${JOB}",exporter="prometheus"}`)).value >= 2);
    assert.ok((await one(`bridge_exporter_series{job="${JOB}",exporter="prometheus"}`)).value > 0);
    assert.equal((await prometheus!.query(`bridge_receiver_refused_items_total{job="${JOB}"} > 0`)).length, 0, 'nothing refused');
  });
});
