/**
 * Dynamo's SLA planner reading an Engine-mode SGLang worker through the
 * bridge: prometheus_multiproc (a copy of the sglang fixture) -> rename
 * (preset dynamo) -> prometheus, scraped by Debian's real Prometheus, queried
 * with the planner's own PromQL (spec sglang-metrics.md §3; Dynamo's
 * planner/monitoring/traffic_metrics.py). Expected numbers are computed here
 * from expected.prom and from the deltas this test writes into the copied
 * files; nothing of the bridge is used to compute them.
 *
 * A fixture that does not change gives increase() = 0, so the test writes a
 * second state in place (known observations added to the tokenizer's
 * histograms and request counter) and checks the planner's increase()-based
 * averages over a window spanning both states. The averages are ratios of two
 * increases of series scraped together, so Prometheus's extrapolation
 * cancels and they are exact; the request count's increase() is extrapolated,
 * so it is checked against the TTFT count's increase in the same query (exact
 * ratio) and for range.
 *
 * A second pipeline renames for the router source and keeps only those names
 * (filter), for the planner's router-source queries.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { startBridge, sleep, type TestBridge } from '../helpers/bridge.js';
import { parseExposition, type Sample } from '../helpers/exposition.js';
import { copyFixture, expectedProm, locate, setValue, tempDir } from '../helpers/multiproc.js';
import { startPrometheus, type PrometheusServer } from '../helpers/prometheus-server.js';

const JOB = 'sglang-dynamo';
const BUDGET_MS = 60_000;
const MODEL = 'Qwen/Qwen3-0.6B';
const NAMESPACE = 'dynamo';
const WINDOW = '10m';

/** The planner's quantities: Dynamo name part, SGLang family. */
const QUANTITIES = [
  ['time_to_first_token_seconds', 'sglang:time_to_first_token_seconds'],
  ['inter_token_latency_seconds', 'sglang:inter_token_latency_seconds'],
  ['request_duration_seconds', 'sglang:e2e_request_latency_seconds'],
  ['input_sequence_tokens', 'sglang:prompt_tokens_histogram'],
  ['output_sequence_tokens', 'sglang:generation_tokens_histogram'],
] as const;

/** The second state: observations added to one series of each family (labels as in the tokenizer's files, without le). */
const STREAMING = { engine_type: 'unified', is_streaming: 'true', model_name: MODEL };
const PLAIN = { engine_type: 'unified', model_name: MODEL };
const ADDED: Record<string, { labels: Record<string, string>; le: string; count: number; sum: number }> = {
  'sglang:time_to_first_token_seconds': { labels: STREAMING, le: '0.2', count: 10, sum: 1.5 },
  'sglang:inter_token_latency_seconds': { labels: PLAIN, le: '0.02', count: 100, sum: 1.75 },
  'sglang:e2e_request_latency_seconds': { labels: STREAMING, le: '4.0', count: 10, sum: 32 },
  'sglang:prompt_tokens_histogram': { labels: PLAIN, le: '500.0', count: 10, sum: 4500 },
  'sglang:generation_tokens_histogram': { labels: PLAIN, le: '300.0', count: 10, sum: 2250 },
};
const ADDED_REQUESTS = 10;

const fixture = parseExposition(expectedProm('sglang'));
/** Sum over every series of one sample name in expected.prom. */
const total = (samples: Sample[], name: string) => samples.filter((s) => s.name === name).reduce((a, s) => a + s.value, 0);

function close(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected)), `${what}: got ${actual}, expected ${expected}`);
}

/** Adds `delta` to the value of the entry (metric, sample, labels) of a multiprocess file, in place. */
function addTo(file: string, metric: string, sample: string, labels: Record<string, string>, delta: number): void {
  const buf = readFileSync(file);
  const want = JSON.stringify(Object.entries(labels).sort());
  const e = locate(buf, 'current').find((x) => {
    const [m, s, l] = JSON.parse(x.key) as [string, string, Record<string, string>];
    return m === metric && s === sample && JSON.stringify(Object.entries(l).sort()) === want;
  });
  if (!e) throw new Error(`no entry ${sample}${JSON.stringify(labels)} in ${file}`);
  setValue(file, e.key, buf.readDoubleLE(e.valueOffset) + delta);
}

describe('Dynamo planner PromQL against the bridge (dynamo preset), in a real Prometheus', { timeout: BUDGET_MS + 10_000 }, () => {
  let bridge: TestBridge | undefined;
  let prometheus: PrometheusServer | undefined;
  let dir = '';

  /** The one series of a by-(model, dynamo_namespace) result for our model and namespace. */
  async function planner(promql: string): Promise<number> {
    const result = await prometheus!.query(promql);
    const mine = result.filter((r) => r.metric.model?.toLowerCase() === MODEL.toLowerCase() && r.metric.dynamo_namespace === NAMESPACE);
    assert.equal(mine.length, 1, `${promql}: ${JSON.stringify(result)}`);
    return mine[0].value;
  }
  async function one(promql: string): Promise<number> {
    const result = await prometheus!.query(promql);
    assert.equal(result.length, 1, `${promql}: ${JSON.stringify(result)}`);
    return result[0].value;
  }
  async function until(what: string, check: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + 25_000;
    while (!(await check().catch(() => false))) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${prometheus?.logs() ?? ''}`);
      await sleep(250);
    }
  }
  const avg = (prefix: string, q: string) => `sum by (model, dynamo_namespace) (${prefix}${q}_sum) / sum by (model, dynamo_namespace) (${prefix}${q}_count)`;
  const increaseAvg = (q: string) =>
    `sum by (model, dynamo_namespace) (increase(dynamo_frontend_${q}_sum[${WINDOW}])) / sum by (model, dynamo_namespace) (increase(dynamo_frontend_${q}_count[${WINDOW}]))`;

  before(async () => {
    dir = copyFixture('sglang', tempDir('dynamo'));
    bridge = await startBridge({
      receivers: { prometheus_multiproc: { directories: [{ path: dir, attributes: { worker_id: 'worker-0' }, sglang: true }], interval: '200ms' } },
      processors: {
        rename: { preset: 'dynamo', dynamo: { namespace: NAMESPACE } },
        'rename/router': { preset: 'dynamo', dynamo: { source: 'router', namespace: NAMESPACE } },
        'filter/router': { include: { metric_names: ['dynamo_component_router_*'] } },
      },
      exporters: { prometheus: { port: 0 } },
      pipelines: {
        'metrics/frontend': { receivers: ['prometheus_multiproc'], processors: ['rename'], exporters: ['prometheus'] },
        'metrics/router': { receivers: ['prometheus_multiproc'], processors: ['rename/router', 'filter/router'], exporters: ['prometheus'] },
      },
    });
    prometheus = await startPrometheus({ targets: [{ job: JOB, url: bridge.metricsUrl() }], scrapeIntervalSeconds: 1 });
    await until('the renamed series in Prometheus', async () => (await prometheus!.query(`count({__name__=~"dynamo_.+_count", job="${JOB}"})`))[0]?.value >= 10);
  });

  after(async () => {
    await prometheus?.stop();
    await bridge?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('/metrics carries exactly Dynamo\'s names, with its labels, and no SGLang family is lost', async () => {
    const text = await bridge!.scrape();
    const types = Object.fromEntries([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]]));
    for (const [q] of QUANTITIES) {
      assert.equal(types[`dynamo_frontend_${q}`], 'histogram', q);
      assert.equal(types[`dynamo_component_router_${q}`], 'histogram', q);
    }
    assert.equal(types.dynamo_frontend_requests_total, 'counter');
    assert.equal(types.dynamo_component_router_requests_total, 'counter');
    assert.equal(types['sglang:num_running_reqs'], 'gauge', 'families no rule matches pass');
    assert.equal(types['sglang:time_to_first_token_seconds'], undefined, 'renamed families are not kept (keep_original is off)');
    const series = parseExposition(text).filter((s) => s.name === 'dynamo_frontend_time_to_first_token_seconds_count');
    assert.deepEqual(
      series.map((s) => s.labels).sort((a, b) => a.is_streaming.localeCompare(b.is_streaming)),
      ['false', 'true'].map((is_streaming) => ({ dynamo_component: 'backend', dynamo_endpoint: 'generate', dynamo_namespace: NAMESPACE, engine_type: 'unified', is_streaming, model: MODEL, model_name: MODEL, worker_id: 'worker-0' })),
    );
  });

  test('the fixture state: averages and totals by (model, dynamo_namespace) equal expected.prom\'s', async () => {
    for (const [q, family] of QUANTITIES) {
      const expected = total(fixture, `${family}_sum`) / total(fixture, `${family}_count`);
      close(await planner(avg('dynamo_frontend_', q)), expected, q);
      close(await planner(`sum by (model, dynamo_namespace) (dynamo_frontend_${q}_count)`), total(fixture, `${family}_count`), `${q} count`);
      // Router source: aggregated, filtered by dynamo_namespace.
      const f = `{dynamo_namespace="${NAMESPACE}"}`;
      close(await one(`sum(dynamo_component_router_${q}_sum${f}) / sum(dynamo_component_router_${q}_count${f})`), expected, `router ${q}`);
    }
    close(await planner('sum by (model, dynamo_namespace) (dynamo_frontend_requests_total)'), total(fixture, 'sglang:num_requests_total'), 'requests');
    assert.equal(total(fixture, 'sglang:num_requests_total'), 200);
    // Bucket boundaries and counts are SGLang's own, le spelled as prometheus_client spells it.
    for (const [q, family] of QUANTITIES) {
      const want = fixture.filter((x) => x.name === `${family}_bucket`).map((x) => `${x.labels.is_streaming ?? ''} ${x.labels.le} ${x.value}`);
      const got = (await prometheus!.query(`dynamo_frontend_${q}_bucket`)).map((r) => `${r.metric.is_streaming ?? ''} ${r.metric.le} ${r.value}`);
      assert.deepEqual(got.sort(), want.sort(), q);
    }
  });

  test('a second state: the planner\'s increase() averages over a window are the added observations\' averages', async () => {
    // Let Prometheus hold a few samples of the first state, then write the second.
    await sleep(2500);
    const tokenizer = path.join(dir, 'histogram_4101.db');
    for (const [family, add] of Object.entries(ADDED)) {
      addTo(tokenizer, family, `${family}_bucket`, { ...add.labels, le: add.le }, add.count);
      addTo(tokenizer, family, `${family}_sum`, add.labels, add.sum);
    }
    addTo(path.join(dir, 'counter_4101.db'), 'sglang:num_requests', 'sglang:num_requests_total', STREAMING, ADDED_REQUESTS);
    const want = total(fixture, 'sglang:num_requests_total') + ADDED_REQUESTS;
    await until('the second state in Prometheus', async () => (await planner('sum by (model, dynamo_namespace) (dynamo_frontend_requests_total)')) === want);
    await until('all of the second state in Prometheus', async () => (await planner('sum by (model, dynamo_namespace) (dynamo_frontend_time_to_first_token_seconds_count)')) === total(fixture, 'sglang:time_to_first_token_seconds_count') + 10);
    await sleep(2500);

    for (const [q, family] of QUANTITIES) {
      const add = ADDED[family];
      // The first state's totals plus what was added.
      close(await planner(avg('dynamo_frontend_', q)), (total(fixture, `${family}_sum`) + add.sum) / (total(fixture, `${family}_count`) + add.count), `${q} after`);
      // The planner's frontend query over a window spanning both states: only the added observations.
      close(await planner(increaseAvg(q)), add.sum / add.count, `increase ${q}`);
      // The router-source form.
      const f = `{dynamo_namespace="${NAMESPACE}"}`;
      close(await one(`sum(increase(dynamo_component_router_${q}_sum${f}[${WINDOW}])) / sum(increase(dynamo_component_router_${q}_count${f}[${WINDOW}]))`), add.sum / add.count, `router increase ${q}`);
    }
    // Request count: the planner asks for requests_started_total first (nothing: SGLang has no such count) ...
    assert.deepEqual(await prometheus!.query(`increase(dynamo_frontend_requests_started_total[${WINDOW}])`), []);
    // ... and falls back to requests_total, summed per model and namespace.
    const requests = await planner(`sum by (model, dynamo_namespace) (increase(dynamo_frontend_requests_total[${WINDOW}]))`);
    // Extrapolation depends on the evaluation time, so the ratio is taken within one query.
    const perTtft = await planner(
      `sum by (model, dynamo_namespace) (increase(dynamo_frontend_requests_total[${WINDOW}])) / sum by (model, dynamo_namespace) (increase(dynamo_frontend_time_to_first_token_seconds_count[${WINDOW}]))`,
    );
    close(perTtft, ADDED_REQUESTS / ADDED['sglang:time_to_first_token_seconds'].count, 'requests per TTFT observation');
    assert.ok(requests >= ADDED_REQUESTS && requests < 2 * ADDED_REQUESTS, `increase(requests_total) ${requests} is the ${ADDED_REQUESTS} added, extrapolated`);
    // The router-source request count: started or (fallback) total.
    const f = `{dynamo_namespace="${NAMESPACE}"}`;
    const router = await one(`sum(increase(dynamo_component_router_requests_started_total${f}[${WINDOW}]) or ignoring(__name__) increase(dynamo_component_router_requests_total${f}[${WINDOW}]))`);
    assert.ok(router >= ADDED_REQUESTS && router < 2 * ADDED_REQUESTS, `router request count ${router}`);
  });
});
