/**
 * The bridge serving a copy of the sglang multiprocess fixture, scraped by
 * Debian's real Prometheus (/usr/bin/prometheus). What PromQL returns must be
 * prometheus_client's own numbers (expected.prom): every sglang:* series, and
 * a few queries an SGLang dashboard runs. Metric names with ':' are plain
 * PromQL. A missing Prometheus binary fails the test; it is never skipped.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { startBridge, sleep, type TestBridge } from '../helpers/bridge.js';
import { copyFixture, expectedProm, parseProm, tempDir, toTriples } from '../helpers/multiproc.js';
import { startPrometheus, type PrometheusServer, type PromSample } from '../helpers/prometheus-server.js';

const JOB = 'sglang-multiproc';
const BUDGET_MS = 40_000;
const expected = parseProm(expectedProm('sglang'));

describe('a real Prometheus scraping the prometheus_multiproc receiver', { timeout: BUDGET_MS + 5000 }, () => {
  let bridge: TestBridge | undefined;
  let prometheus: PrometheusServer | undefined;
  let dir: string;
  /** Every sglang:* series Prometheus holds, job and instance left out. */
  let all: PromSample[] = [];

  async function one(promql: string): Promise<number> {
    const result = await prometheus!.query(promql);
    assert.equal(result.length, 1, `${promql}: expected one series, got ${JSON.stringify(result)}`);
    return result[0].value;
  }

  before(async () => {
    const deadline = Date.now() + BUDGET_MS - 5000;
    dir = copyFixture('sglang', tempDir('prom'));
    bridge = await startBridge({
      receivers: { prometheus_multiproc: { directories: [dir], interval: '200ms' } },
      exporters: { prometheus: { port: 0 } },
      pipelines: { 'metrics/multiproc': { receivers: ['prometheus_multiproc'], exporters: ['prometheus'] } },
    });
    prometheus = await startPrometheus({ targets: [{ job: JOB, url: bridge.metricsUrl() }], scrapeIntervalSeconds: 1 });
    // Wait until Prometheus holds as many sglang:* series as the fixture has samples.
    while (true) {
      all = await prometheus.query(`{__name__=~"sglang:.+", job="${JOB}"}`);
      if (all.length >= expected.triples.length) break;
      if (Date.now() > deadline) throw new Error(`timed out waiting for the fixture in Prometheus (${all.length} series, want ${expected.triples.length})\n${prometheus.logs()}`);
      await sleep(250);
    }
  });

  after(async () => {
    await prometheus?.stop();
    await bridge?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the target is up', async () => {
    assert.equal(await one(`up{job="${JOB}"}`), 1);
  });

  test('every sglang:* series in Prometheus equals expected.prom, le labels spelled as prometheus_client spells them', () => {
    const got = toTriples(
      all.map((s) => {
        const { __name__: name, job, instance, ...labels } = s.metric;
        assert.equal(job, JOB);
        assert.ok(instance);
        return { name, labels, value: s.value };
      }),
    );
    assert.deepEqual(got, expected.triples);
  });

  test('PromQL on names with ":" returns the fixture\'s values', async () => {
    assert.equal(await one('sglang:prompt_tokens_total{is_streaming="true"}'), 408870);
    assert.equal(await one('sglang:prompt_tokens_total{is_streaming="false"}'), 193184);
    assert.equal(await one('sum(sglang:prompt_tokens_total)'), 193184 + 408870);
    assert.equal(await one('sglang:time_to_first_token_seconds_count{is_streaming="false"}'), 67);
    assert.equal(await one('sglang:time_to_first_token_seconds_count{is_streaming="true"}'), 133);
    assert.equal(await one('sglang:time_to_first_token_seconds_sum{is_streaming="false"}'), 14.878178934603492);
    assert.equal(await one('sum(sglang:num_running_reqs)'), 37 + 45);
    assert.equal(await one('sglang:num_running_reqs{dp_rank="1"}'), 45);
    assert.equal(await one('sum(sglang:num_retracted_reqs)'), 1);
    assert.equal(await one('count(sglang:num_retracted_reqs)'), 2, 'the all-mode gauge keeps one series per pid');
    assert.equal(await one('sum(sglang:realtime_tokens_total{mode="decode"})'), 12873 + 11827);
  });

  test('histogram_quantile over the merged buckets agrees with the cumulative counts', async () => {
    // 67 requests: 24 <= 0.1s, 39 <= 0.2s; the median (33.5th) is in (0.1, 0.2]: 0.1 + 0.1 * (33.5 - 24) / 15.
    const q = await one('histogram_quantile(0.5, sglang:time_to_first_token_seconds_bucket{is_streaming="false"})');
    assert.ok(Math.abs(q - (0.1 + (0.1 * (33.5 - 24)) / 15)) < 1e-9, String(q));
  });
});
