/**
 * The rename processor: each label action and rule feature as a table, the
 * one-writer-per-series combination, both presets as tables (the OTel names,
 * the Prometheus names the exporter renders from them, the labels), the
 * processor around them, and its option checks.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { familyName } from '../../src/exporters/prometheus/names.js';
import type { Batch } from '../../src/model/batch.js';
import type { FpmRecord } from '../../src/model/fpm.js';
import type { Attributes, HistogramPoint, Metric } from '../../src/model/metrics.js';
import { parsePattern, type PatternSpec } from '../../src/processors/common/pattern.js';
import { combine } from '../../src/processors/rename/combine.js';
import type { RenameConfig } from '../../src/processors/rename/config.js';
import { renameFactory } from '../../src/processors/rename/factory.js';
import { dynamoRules, genAiRules, SGLANG } from '../../src/processors/rename/presets.js';
import { configuredRules } from '../../src/processors/rename/processor.js';
import { NO_ACTIONS, type AttributeActions, type RuleSpec } from '../../src/processors/rename/rule.js';
import { applyActions, applyRules, compileRule } from '../../src/processors/rename/rules.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { SelfTelemetry } from '../../src/telemetry/self-telemetry.js';

const pattern = (text: string) => parsePattern(text) as PatternSpec;
const LABELS = { model_name: 'Qwen/Qwen3-0.6B', engine_type: 'unified', is_streaming: 'true' };

describe('label actions (table)', () => {
  const table: { rule: string; actions: Partial<AttributeActions>; in: Attributes; out: Attributes }[] = [
    { rule: 'no action: unchanged', actions: {}, in: LABELS, out: LABELS },
    { rule: 'copy keeps the source', actions: { copy: { model_name: 'model' } }, in: LABELS, out: { ...LABELS, model: 'Qwen/Qwen3-0.6B' } },
    { rule: 'copy does not overwrite an existing target', actions: { copy: { model_name: 'model' } }, in: { ...LABELS, model: 'm' }, out: { ...LABELS, model: 'm' } },
    { rule: 'copy of a missing label does nothing', actions: { copy: { nope: 'model' } }, in: LABELS, out: LABELS },
    { rule: 'rename moves the value', actions: { rename: { model_name: 'gen_ai.request.model' } }, in: LABELS, out: { engine_type: 'unified', is_streaming: 'true', 'gen_ai.request.model': 'Qwen/Qwen3-0.6B' } },
    { rule: 'rename overwrites the target', actions: { rename: { engine_type: 'is_streaming' } }, in: LABELS, out: { model_name: 'Qwen/Qwen3-0.6B', is_streaming: 'unified' } },
    { rule: 'drop', actions: { drop: ['is_streaming', 'absent'] }, in: LABELS, out: { model_name: 'Qwen/Qwen3-0.6B', engine_type: 'unified' } },
    { rule: 'insert only where absent', actions: { insert: { engine_type: 'x', dynamo_namespace: 'ns' } }, in: LABELS, out: { ...LABELS, dynamo_namespace: 'ns' } },
    { rule: 'set overwrites', actions: { set: { engine_type: 'x', a: 'b' } }, in: LABELS, out: { ...LABELS, engine_type: 'x', a: 'b' } },
    { rule: 'order: copy, rename, drop, insert, set', actions: { copy: { model_name: 'model' }, rename: { model: 'm2' }, drop: ['model_name'], insert: { m2: 'no', x: '1' }, set: { x: '2' } }, in: LABELS, out: { engine_type: 'unified', is_streaming: 'true', m2: 'Qwen/Qwen3-0.6B', x: '2' } },
  ];
  for (const t of table)
    test(t.rule, () => {
      const before = { ...t.in };
      assert.deepEqual(applyActions({ ...NO_ACTIONS, ...t.actions }, t.in), t.out);
      assert.deepEqual(t.in, before, 'the input is not changed');
    });
});

const hist = (name: string, attributes: Attributes, bounds = [0.1, 1], bucketCounts = [1, 2, 3]): Metric => ({
  kind: 'histogram',
  name,
  description: 'd',
  unit: '',
  points: [{ attributes, startTimeMs: 5, timeMs: 10, count: bucketCounts.reduce((a, b) => a + b, 0), sum: 4.5, bounds, bucketCounts }],
});
const rule = (from: string, to: string, extra: Partial<RuleSpec> = {}): RuleSpec => ({ from: pattern(from), to, attributes: NO_ACTIONS, ...extra });

describe('rules (table)', () => {
  const table: { rule: string; rules: RuleSpec[]; name: string; out?: { name: string; unit: string; description: string } }[] = [
    { rule: 'exact name', rules: [rule('a:b', 'x.y')], name: 'a:b', out: { name: 'x.y', unit: '', description: 'd' } },
    { rule: 'exact name does not match another', rules: [rule('a:b', 'x.y')], name: 'a:bc' },
    { rule: 'glob', rules: [rule('a:*', 'x')], name: 'a:bc', out: { name: 'x', unit: '', description: 'd' } },
    { rule: 'regex with a group', rules: [rule('/sglang:(.*)_seconds/', 'sglang.$1')], name: 'sglang:queue_time_seconds', out: { name: 'sglang.queue_time', unit: '', description: 'd' } },
    { rule: 'regex with a named group and $$', rules: [rule('/sglang:(?<q>.*)/', '$<q>$$')], name: 'sglang:x', out: { name: 'x$', unit: '', description: 'd' } },
    { rule: 'regex is anchored', rules: [rule('/queue/', 'q')], name: 'sglang:queue_time_seconds' },
    { rule: 'unit and description replaced', rules: [rule('a', 'b', { unit: 's', description: 'new' })], name: 'a', out: { name: 'b', unit: 's', description: 'new' } },
    { rule: 'the first matching rule wins', rules: [rule('b', 'no'), rule('a*', 'first'), rule('a', 'second')], name: 'a', out: { name: 'first', unit: '', description: 'd' } },
  ];
  for (const t of table)
    test(t.rule, () => {
      const m = hist(t.name, LABELS);
      const r = applyRules(t.rules.map(compileRule), m);
      if (!t.out) return assert.equal(r, undefined);
      assert.ok(r);
      assert.deepEqual({ name: r.name, unit: r.unit, description: r.description }, t.out);
      assert.equal(m.name, t.name, 'the input metric is not changed');
      assert.deepEqual(r.points, m.points, 'points unchanged without label actions');
    });

  test('the same input label set gives the same output object, pass after pass', () => {
    const c = compileRule(rule('a', 'b', { attributes: { ...NO_ACTIONS, set: { x: '1' } } }));
    const m = hist('a', LABELS);
    const one = applyRules([c], m)!;
    const two = applyRules([c], hist('a', m.points[0].attributes))!;
    assert.equal(one.points[0].attributes, two.points[0].attributes);
    assert.deepEqual(one.points[0].attributes, { ...LABELS, x: '1' });
  });
});

describe('one writer per series', () => {
  const sum = (name: string, attributes: Attributes, value: number, monotonic = true): Metric => ({ kind: 'sum', monotonic, name, description: '', unit: '', points: [{ attributes, startTimeMs: value, timeMs: 100 + value, value }] });
  const gauge = (name: string, attributes: Attributes, value: number): Metric => ({ kind: 'gauge', name, description: '', unit: '', points: [{ attributes, startTimeMs: 0, timeMs: 0, value }] });
  const A = { a: '1' };
  const B = { a: '2' };
  const table: { rule: string; in: Metric[]; names: string[]; values: number[]; dropped: number }[] = [
    { rule: 'distinct names stay apart', in: [sum('x', A, 1), sum('y', A, 2)], names: ['x', 'y'], values: [1, 2], dropped: 0 },
    { rule: 'one name, distinct labels: one metric, both points', in: [sum('x', A, 1), sum('x', B, 2)], names: ['x'], values: [1, 2], dropped: 0 },
    { rule: 'equal labels of a counter are added', in: [sum('x', A, 1), sum('x', { a: '1' }, 2)], names: ['x'], values: [3], dropped: 0 },
    { rule: 'equal labels of a gauge: the first is kept', in: [gauge('x', A, 1), gauge('x', A, 2)], names: ['x'], values: [1], dropped: 1 },
    { rule: 'equal labels of a non-monotonic sum: the first is kept', in: [sum('x', A, 1, false), sum('x', A, 2, false)], names: ['x'], values: [1], dropped: 1 },
    { rule: 'a name reused by another kind: the first is kept', in: [sum('x', A, 1), gauge('x', B, 2)], names: ['x'], values: [1], dropped: 1 },
  ];
  for (const t of table)
    test(t.rule, () => {
      const r = combine(t.in, new Set(t.in.map((_, i) => i)));
      assert.deepEqual(r.metrics.map((m) => m.name), t.names);
      assert.deepEqual(r.metrics.flatMap((m) => m.points.map((p) => (p as { value: number }).value)), t.values);
      assert.equal(r.dropped, t.dropped);
    });

  test('histograms with equal labels and bounds are added exactly; start is the earliest', () => {
    const a = hist('h', A);
    const b = { ...hist('h', A, [0.1, 1], [10, 20, 30]) } as Metric;
    (b.points[0] as { startTimeMs: number }).startTimeMs = 1;
    const r = combine([a, b], new Set([0, 1]));
    const p = r.metrics[0].points[0] as HistogramPoint;
    assert.deepEqual({ count: p.count, sum: p.sum, bucketCounts: p.bucketCounts, bounds: p.bounds, startTimeMs: p.startTimeMs }, { count: 66, sum: 9, bucketCounts: [11, 22, 33], bounds: [0.1, 1], startTimeMs: 1 });
    const other = combine([a, hist('h', A, [0.5, 1])], new Set([0, 1]));
    assert.equal(other.dropped, 1);
    assert.equal(other.metrics[0].points[0], a.points[0]);
  });
});

/** An SGLang metric as the Prometheus inputs carry it. */
function sglang(name: string): Metric {
  if (name === SGLANG.requests) return { kind: 'sum', monotonic: true, name, description: 'Number of requests processed.', unit: '', points: [{ attributes: LABELS, startTimeMs: 0, timeMs: 1, value: 133 }] };
  return hist(name, name.includes('tokens') ? { engine_type: 'unified', model_name: 'Qwen/Qwen3-0.6B' } : LABELS, [100, 300], [5, 6, 7]);
}

/** Applies a preset's rules to one SGLang metric. */
function through(rules: RuleSpec[], name: string): Metric {
  const r = applyRules(rules.map(compileRule), sglang(name));
  assert.ok(r, `${name} is renamed`);
  return r;
}

describe('the gen_ai preset (table)', () => {
  const rules = genAiRules({ providerName: 'sglang', operationName: 'chat', serverAddress: '', serverPort: '' });
  const base = { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'sglang', 'gen_ai.request.model': 'Qwen/Qwen3-0.6B', engine_type: 'unified' };
  const table: [string, string, string, string, Attributes][] = [
    [SGLANG.ttft, 'gen_ai.server.time_to_first_token', 's', 'gen_ai_server_time_to_first_token_seconds', { ...base, is_streaming: 'true' }],
    [SGLANG.itl, 'gen_ai.server.time_per_output_token', 's', 'gen_ai_server_time_per_output_token_seconds', { ...base, is_streaming: 'true' }],
    [SGLANG.e2e, 'gen_ai.server.request.duration', 's', 'gen_ai_server_request_duration_seconds', { ...base, is_streaming: 'true' }],
    [SGLANG.isl, 'gen_ai.client.token.usage', '{token}', 'gen_ai_client_token_usage', { ...base, 'gen_ai.token.type': 'input' }],
    [SGLANG.osl, 'gen_ai.client.token.usage', '{token}', 'gen_ai_client_token_usage', { ...base, 'gen_ai.token.type': 'output' }],
  ];
  for (const [from, name, unit, prometheus, labels] of table)
    test(`${from} -> ${name} (${prometheus}), buckets kept`, () => {
      const m = through(rules, from);
      assert.deepEqual({ name: m.name, unit: m.unit, kind: m.kind }, { name, unit, kind: 'histogram' });
      assert.equal(familyName(m), prometheus);
      assert.deepEqual(m.points[0].attributes, labels);
      const [src, dst] = [sglang(from).points[0] as HistogramPoint, m.points[0] as HistogramPoint];
      assert.deepEqual([dst.bounds, dst.bucketCounts, dst.count, dst.sum], [src.bounds, src.bucketCounts, src.count, src.sum]);
    });

  test('server.address and server.port when given; provider and operation as configured', () => {
    const r = genAiRules({ providerName: 'p', operationName: 'text_completion', serverAddress: 'h', serverPort: '30000' });
    const a = through(r, SGLANG.ttft).points[0].attributes;
    assert.deepEqual([a['gen_ai.provider.name'], a['gen_ai.operation.name'], a['server.address'], a['server.port']], ['p', 'text_completion', 'h', '30000']);
  });
});

describe('the dynamo preset (table)', () => {
  const options = { namespace: 'dynamo', component: 'backend', endpoint: 'generate' };
  const table: [string, string, string][] = [
    [SGLANG.ttft, 'dynamo_frontend_time_to_first_token_seconds', 'dynamo_component_router_time_to_first_token_seconds'],
    [SGLANG.itl, 'dynamo_frontend_inter_token_latency_seconds', 'dynamo_component_router_inter_token_latency_seconds'],
    [SGLANG.e2e, 'dynamo_frontend_request_duration_seconds', 'dynamo_component_router_request_duration_seconds'],
    [SGLANG.isl, 'dynamo_frontend_input_sequence_tokens', 'dynamo_component_router_input_sequence_tokens'],
    [SGLANG.osl, 'dynamo_frontend_output_sequence_tokens', 'dynamo_component_router_output_sequence_tokens'],
    [SGLANG.requests, 'dynamo_frontend_requests_total', 'dynamo_component_router_requests_total'],
  ];
  for (const [from, frontend, router] of table)
    test(`${from} -> ${frontend} / ${router}, exactly so on /metrics`, () => {
      for (const [source, expected] of [['frontend', frontend], ['router', router]] as const) {
        const m = through(dynamoRules({ source, ...options }), from);
        assert.equal(m.name, expected);
        const rendered = m.kind === 'sum' ? `${familyName(m)}_total` : familyName(m);
        assert.equal(rendered, expected, 'the prometheus exporter adds no suffix');
        const src = sglang(from).points[0];
        assert.deepEqual(m.points[0].attributes, { ...src.attributes, model: 'Qwen/Qwen3-0.6B', dynamo_namespace: 'dynamo', dynamo_component: 'backend', dynamo_endpoint: 'generate' });
        assert.deepEqual({ ...m.points[0], attributes: {} }, { ...src, attributes: {} }, 'values, counts, buckets unchanged');
      }
    });

  test('hierarchy labels a series already has are kept; empty options add none', () => {
    const rules = dynamoRules({ source: 'frontend', namespace: '', component: '', endpoint: 'generate' });
    const m = applyRules(rules.map(compileRule), hist(SGLANG.ttft, { model_name: 'm', model: 'M', dynamo_endpoint: 'other' }))!;
    assert.deepEqual(m.points[0].attributes, { model_name: 'm', model: 'M', dynamo_endpoint: 'other' });
  });
});

describe('the rename processor', () => {
  function create(options: unknown) {
    const { config, issues } = renameFactory.schema.validate(options, 'rename');
    assert.deepEqual(issues, []);
    const telemetry = new SelfTelemetry({ processMetrics: false });
    const got: Batch[] = [];
    const p = renameFactory.create({ id: 'rename', logger: silentLogger, telemetry, now: Date.now }, config!, { consume: (b) => void got.push(b) });
    return { p, got, telemetry, config: config! };
  }
  const input = () => [sglang(SGLANG.isl), sglang(SGLANG.osl), sglang(SGLANG.requests), hist('other', {})];

  test('gen_ai: ISL and OSL become one gen_ai.client.token.usage metric; others pass; FPM records untouched', () => {
    const { p, got, telemetry } = create({ preset: 'gen_ai' });
    const fpm = [{ workerId: 'w' } as FpmRecord];
    const metrics = input();
    p.consume({ metrics, fpm });
    assert.equal(got[0].fpm, fpm);
    assert.deepEqual(got[0].metrics!.map((m) => m.name), ['gen_ai.client.token.usage', SGLANG.requests, 'other']);
    assert.deepEqual(got[0].metrics![0].points.map((q) => q.attributes['gen_ai.token.type']), ['input', 'output']);
    assert.equal(got[0].metrics![1], metrics[2]);
    assert.equal(telemetry.read('bridge_processor_incoming_items_total', { processor: 'rename' }), 5, 'four points and a record');
    assert.equal(telemetry.read('bridge_processor_outgoing_items_total', { processor: 'rename' }), 5);
  });

  test('keep_original forwards the SGLang metric too', () => {
    const { p, got } = create({ preset: 'dynamo', keep_original: true });
    p.consume({ metrics: input() });
    assert.deepEqual(got[0].metrics!.map((m) => m.name), [SGLANG.isl, 'dynamo_frontend_input_sequence_tokens', SGLANG.osl, 'dynamo_frontend_output_sequence_tokens', SGLANG.requests, 'dynamo_frontend_requests_total', 'other']);
  });

  test('user rules come before the preset; a drop that merges series adds counters up', () => {
    const { p, got, telemetry, config } = create({ preset: 'dynamo', dynamo: { source: 'router', namespace: 'ns' }, rules: [{ from: SGLANG.requests, to: 'requests', attributes: { drop: ['is_streaming'] } }] });
    assert.equal(configuredRules(config as RenameConfig).length, 7);
    const a = sglang(SGLANG.requests);
    const b = { ...a, points: [{ ...a.points[0], attributes: { ...LABELS, is_streaming: 'false' }, value: 67 }] } as Metric;
    p.consume({ metrics: [a, b] });
    assert.deepEqual(got[0].metrics!.map((m) => [m.name, m.points.length, (m.points[0] as { value: number }).value]), [['requests', 1, 200]]);
    assert.equal(telemetry.read('bridge_processor_dropped_items_total', { processor: 'rename', reason: 'duplicate_series' }), 0);
  });

  test('options: every problem with its path', () => {
    const issues = renameFactory.schema.validate(
      {
        rules: [{ from: '/a(/', to: 'x' }, { to: '' }, { from: 'a', to: 'b$1', unit: 1, attributes: { drop: 'x', copy: { a: '' }, set: { b: 2 }, bogus: 1 } }, 'x', { from: '/(a)/', to: 'b$1', extra: 1 }],
        preset: 'dynamo',
        gen_ai: { provider_name: 'x' },
        dynamo: { source: 'nowhere', nope: 'x' },
      },
      'p',
    ).issues;
    assert.deepEqual(issues.map((i) => i.path).sort(), [
      'p.dynamo.nope',
      'p.dynamo.source',
      'p.gen_ai',
      'p.rules[0].from',
      'p.rules[1].from',
      'p.rules[1].to',
      'p.rules[2].attributes.bogus',
      'p.rules[2].attributes.copy.a',
      'p.rules[2].attributes.drop',
      'p.rules[2].attributes.set.b',
      'p.rules[2].to',
      'p.rules[2].unit',
      'p.rules[3]',
      'p.rules[4].extra',
    ]);
    assert.deepEqual(renameFactory.schema.validate({}, 'p').issues.map((i) => i.path), ['p.preset']);
    assert.deepEqual(renameFactory.schema.validate({ preset: 'vllm' }, 'p').issues.map((i) => i.path), ['p.preset'], 'no second issue for the refused preset');
    assert.deepEqual(renameFactory.schema.validate({ preset: 'gen_ai', gen_ai: { server_port: 'http' } }, 'p').issues.map((i) => i.path), ['p.gen_ai.server_port']);
    const ok = renameFactory.schema.validate({ preset: 'gen_ai', gen_ai: { server_port: 30000 } }, 'p');
    assert.deepEqual(ok.issues, []);
    assert.equal(ok.config!.genAi.serverPort, '30000');
  });
});
