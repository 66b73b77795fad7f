/**
 * The gen_ai preset end to end: the sglang multiprocess fixture ->
 * prometheus_multiproc -> rename (preset gen_ai) -> otlp_http (to a test
 * backend that decodes the protobuf as a collector would) and prometheus.
 * SGLang's TTFT, ITL, end-to-end latency, ISL and OSL histograms arrive
 * under the GenAI names with the GenAI attributes, their bucket boundaries,
 * per-bucket counts, counts and sums exactly as in expected.prom (computed
 * here from that file, not by the bridge).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { startBridge, sleep, type TestBridge } from '../helpers/bridge.js';
import { parseExposition, type Sample } from '../helpers/exposition.js';
import { copyFixture, expectedProm, tempDir } from '../helpers/multiproc.js';
import { OtlpTestReceiver, type ReceivedMetric } from '../helpers/otlp-receiver.js';

const MODEL = 'Qwen/Qwen3-0.6B';
const GEN_AI = { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'sglang', 'gen_ai.request.model': MODEL, 'server.address': 'sglang-0', 'server.port': '30000' };

/** SGLang family -> GenAI name, Prometheus family, the gen_ai.token.type it gets (if any). */
const TABLE = [
  ['sglang:time_to_first_token_seconds', 'gen_ai.server.time_to_first_token', 'gen_ai_server_time_to_first_token_seconds', undefined],
  ['sglang:inter_token_latency_seconds', 'gen_ai.server.time_per_output_token', 'gen_ai_server_time_per_output_token_seconds', undefined],
  ['sglang:e2e_request_latency_seconds', 'gen_ai.server.request.duration', 'gen_ai_server_request_duration_seconds', undefined],
  ['sglang:prompt_tokens_histogram', 'gen_ai.client.token.usage', 'gen_ai_client_token_usage', 'input'],
  ['sglang:generation_tokens_histogram', 'gen_ai.client.token.usage', 'gen_ai_client_token_usage', 'output'],
] as const;

const fixture = parseExposition(expectedProm('sglang'));

/** One fixture series of a histogram family: its labels, bounds, per-bucket counts, count and sum. */
interface Series {
  labels: Record<string, string>;
  bounds: number[];
  bucketCounts: number[];
  count: number;
  sum: number;
}

function fixtureSeries(family: string): Series[] {
  const key = (l: Record<string, string>) => JSON.stringify(Object.entries(l).filter(([k]) => k !== 'le').sort());
  const groups = new Map<string, Sample[]>();
  for (const s of fixture.filter((x) => x.name === `${family}_bucket`)) {
    const k = key(s.labels);
    groups.set(k, [...(groups.get(k) ?? []), s]);
  }
  return [...groups.values()].map((buckets) => {
    const { le: _le, ...labels } = buckets[0].labels;
    const sorted = buckets.map((b) => ({ le: b.labels.le === '+Inf' ? Infinity : Number(b.labels.le), v: b.value })).sort((a, b) => a.le - b.le);
    const one = (name: string) => fixture.find((x) => x.name === name && key(x.labels) === key(labels))!.value;
    return {
      labels,
      bounds: sorted.filter((b) => b.le !== Infinity).map((b) => b.le),
      bucketCounts: sorted.map((b, i) => b.v - (i ? sorted[i - 1].v : 0)),
      count: one(`${family}_count`),
      sum: one(`${family}_sum`),
    };
  });
}

/** The GenAI labels a fixture series should arrive with. */
function genAiLabels(s: Series, tokenType: string | undefined): Record<string, string> {
  const { model_name: _m, ...rest } = s.labels;
  return { ...rest, ...GEN_AI, ...(tokenType ? { 'gen_ai.token.type': tokenType } : {}) };
}

describe('the gen_ai preset through otlp_http and prometheus', { timeout: 30_000 }, () => {
  let bridge: TestBridge | undefined;
  const backend = new OtlpTestReceiver();
  let dir = '';
  let metrics: ReceivedMetric[] = [];

  before(async () => {
    await backend.start();
    dir = copyFixture('sglang', tempDir('genai'));
    bridge = await startBridge({
      receivers: { prometheus_multiproc: { directories: [{ path: dir, sglang: true }], interval: '200ms' } },
      processors: { rename: { preset: 'gen_ai', gen_ai: { server_address: 'sglang-0', server_port: 30000 } } },
      exporters: { prometheus: { port: 0 }, otlp_http: { endpoint: backend.url, interval: '200ms' } },
      pipelines: { 'metrics/genai': { receivers: ['prometheus_multiproc'], processors: ['rename'], exporters: ['prometheus', 'otlp_http'] } },
    });
    const deadline = Date.now() + 20_000;
    while (!(metrics = backend.accepted.at(-1)?.metrics ?? []).some((m) => m.name === 'gen_ai.client.token.usage')) {
      if (Date.now() > deadline) throw new Error('no OTLP export with the GenAI metrics');
      await sleep(100);
    }
  });

  after(async () => {
    await bridge?.stop();
    await backend.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const [family, name, , tokenType] of TABLE)
    test(`OTLP: ${family} -> ${name}${tokenType ? ` (gen_ai.token.type=${tokenType})` : ''}: buckets, counts, sums and attributes exact`, () => {
      const m = metrics.find((x) => x.name === name);
      assert.ok(m, name);
      assert.equal(m.kind, 'histogram');
      assert.equal(m.unit, name === 'gen_ai.client.token.usage' ? '{token}' : 's');
      const got = m.points
        .filter((p) => p.attributes['gen_ai.token.type'] === tokenType)
        .map((p) => ({ labels: p.attributes, bounds: p.bounds, bucketCounts: p.bucketCounts, count: p.count, sum: p.sum }));
      const want = fixtureSeries(family).map((s) => ({ labels: genAiLabels(s, tokenType), bounds: s.bounds, bucketCounts: s.bucketCounts, count: s.count, sum: s.sum }));
      const order = (x: { labels: Record<string, string> }) => JSON.stringify(Object.entries(x.labels).sort());
      assert.deepEqual(got.sort((a, b) => order(a).localeCompare(order(b))), want.sort((a, b) => order(a).localeCompare(order(b))));
    });

  test('OTLP: the SGLang names of the renamed families are gone, the others stay', () => {
    const names = new Set(metrics.map((m) => m.name));
    for (const [family] of TABLE) assert.ok(!names.has(family), family);
    assert.ok(names.has('sglang:num_running_reqs'));
  });

  test('Prometheus: the GenAI families, labels with "_" for ".", cumulative buckets equal expected.prom\'s', async () => {
    const samples = parseExposition(await bridge!.scrape());
    for (const [family, , prometheus, tokenType] of TABLE) {
      const want = fixture
        .filter((x) => x.name.startsWith(family + '_'))
        .map((x) => {
          const labels: Record<string, string> = {};
          for (const [k, v] of Object.entries(genAiLabels({ labels: x.labels } as Series, tokenType))) labels[k.replace(/\./g, '_')] = v;
          return `${prometheus}${x.name.slice(family.length)} ${JSON.stringify(Object.entries(labels).sort())} ${x.value}`;
        });
      const got = samples
        .filter((x) => x.name.startsWith(prometheus + '_') && (!tokenType || x.labels.gen_ai_token_type === tokenType))
        .map((x) => `${x.name} ${JSON.stringify(Object.entries(x.labels).sort())} ${x.value}`);
      assert.deepEqual(got.sort(), want.sort(), family);
    }
  });
});
