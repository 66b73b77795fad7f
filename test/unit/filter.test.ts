/**
 * The filter processor: patterns (globs, anchored /regex/), include and
 * exclude by metric name and label values as tables, the processor around
 * them (FPM records untouched, drops counted), and its option checks.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Batch } from '../../src/model/batch.js';
import type { FpmRecord } from '../../src/model/fpm.js';
import type { Metric } from '../../src/model/metrics.js';
import { anyOf, parsePattern, type PatternSpec } from '../../src/processors/common/pattern.js';
import { filterFactory } from '../../src/processors/filter/factory.js';
import type { FilterConfig } from '../../src/processors/filter/config.js';
import { compileFilter } from '../../src/processors/filter/filter.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { SelfTelemetry } from '../../src/telemetry/self-telemetry.js';

const pattern = (text: string) => parsePattern(text) as PatternSpec;

describe('patterns', () => {
  const table: [string, string, boolean][] = [
    ['sglang:num_running_reqs', 'sglang:num_running_reqs', true],
    ['sglang:num_running_reqs', 'sglang:num_running_reqs_x', false],
    ['sglang:*', 'sglang:num_running_reqs', true],
    ['sglang:*', 'sglang:', true],
    ['sglang:*', 'vllm:num_requests_running', false],
    ['*_seconds', 'sglang:e2e_request_latency_seconds', true],
    ['sglang.fpm.?', 'sglang.fpm.x', true],
    ['sglang.fpm.?', 'sglang.fpm.xy', false],
    ['a.b', 'aXb', false], // '.' is literal in a glob
    ['a+b', 'a+b', true],
    ['(x)', '(x)', true],
    ['/sglang:.*_seconds/', 'sglang:e2e_request_latency_seconds', true],
    ['/sglang:.*_seconds/', 'xsglang:e2e_request_latency_seconds', false], // anchored
    ['/sglang:.*_seconds/', 'sglang:e2e_request_latency_seconds_sum', false],
    ['/a|b/', 'a', true],
    ['/a|b/', 'ab', false], // the alternation is anchored as a whole
    ['/Qwen.*/i', 'qwen/qwen3', true],
    ['/Qwen.*/', 'qwen/qwen3', false],
    ['', '', false],
  ];
  for (const [p, text, expected] of table) {
    test(`${JSON.stringify(p)} ${expected ? 'matches' : 'does not match'} ${JSON.stringify(text)}`, () => {
      const spec = parsePattern(p);
      if (p === '') {
        assert.equal(spec, 'must not be empty');
        return;
      }
      assert.equal(typeof spec, 'object');
      assert.equal(anyOf([spec as PatternSpec])(text), expected);
    });
  }
  test('a bad regex and a non-string are refused with a message', () => {
    assert.match(String(parsePattern('/a(/')), /not a valid regular expression/);
    assert.match(String(parsePattern(3)), /must be a string/);
  });
});

const point = (attributes: Record<string, string>, value = 1) => ({ attributes, startTimeMs: 0, timeMs: 1, value });
const gauge = (name: string, ...points: ReturnType<typeof point>[]): Metric => ({ kind: 'gauge', name, description: '', unit: '', points });

const INPUT: Metric[] = [
  gauge('sglang:num_running_reqs', point({ dp_rank: '0', model_name: 'Qwen/Qwen3-0.6B' }), point({ dp_rank: '1', model_name: 'Qwen/Qwen3-0.6B' })),
  gauge('sglang:num_queue_reqs', point({ dp_rank: '0', model_name: 'llama' })),
  gauge('sglang.fpm.window.iterations', point({ worker_id: 'w', dp_rank: '0' }), point({ worker_id: 'w', dp_rank: 'all' })),
  gauge('up', point({})),
];

/** What comes out, as `name{labels}` strings, and how many points were dropped. */
function run(config: FilterConfig): { kept: string[]; dropped: number } {
  const r = compileFilter(config)(INPUT);
  return { kept: r.metrics.flatMap((m) => m.points.map((p) => `${m.name}${JSON.stringify(p.attributes)}`)), dropped: r.dropped };
}

const ALL = INPUT.flatMap((m) => m.points.map((p) => `${m.name}${JSON.stringify(p.attributes)}`));
const names = (...ps: string[]) => ps.map(pattern);

describe('filter rules (table)', () => {
  const table: { rule: string; config: FilterConfig; kept: string[] }[] = [
    { rule: 'no include, no exclude: everything', config: {}, kept: ALL },
    { rule: 'include by exact name', config: { include: { metricNames: names('up'), attributes: {} } }, kept: ['up{}'] },
    { rule: 'include by glob', config: { include: { metricNames: names('sglang:*'), attributes: {} } }, kept: ALL.slice(0, 3) },
    { rule: 'include by regex', config: { include: { metricNames: names('/sglang[:.].*/'), attributes: {} } }, kept: ALL.slice(0, 5) },
    { rule: 'include by several names (any)', config: { include: { metricNames: names('up', 'sglang:num_queue_reqs'), attributes: {} } }, kept: [ALL[2], ALL[5]] },
    { rule: 'exclude by glob', config: { exclude: { metricNames: names('sglang.fpm.*'), attributes: {} } }, kept: [...ALL.slice(0, 3), ALL[5]] },
    { rule: 'include by label value: a missing label is "" and does not match', config: { include: { metricNames: [], attributes: { dp_rank: names('0') } } }, kept: [ALL[0], ALL[2], ALL[3]] },
    { rule: 'exclude by label value: dp_rank="all" rows', config: { exclude: { metricNames: [], attributes: { dp_rank: names('all') } } }, kept: ALL.filter((s) => !s.includes('"all"')) },
    { rule: 'label value glob, case-insensitive regex', config: { include: { metricNames: [], attributes: { model_name: names('/qwen.*/i') } } }, kept: ALL.slice(0, 2) },
    { rule: 'name and labels must both match (include)', config: { include: { metricNames: names('sglang:*'), attributes: { dp_rank: names('1') } } }, kept: [ALL[1]] },
    { rule: 'name and labels must both match (exclude)', config: { exclude: { metricNames: names('sglang:num_running_reqs'), attributes: { dp_rank: names('1') } } }, kept: ALL.filter((_, i) => i !== 1) },
    { rule: 'several labels: all must match', config: { include: { metricNames: [], attributes: { dp_rank: names('0'), model_name: names('llama') } } }, kept: [ALL[2]] },
    { rule: 'an empty value pattern matches a missing label', config: { include: { metricNames: [], attributes: { worker_id: names('/^$|w/') } } }, kept: ALL },
    { rule: 'exclude wins over include', config: { include: { metricNames: names('sglang:*'), attributes: {} }, exclude: { metricNames: names('sglang:num_queue_reqs'), attributes: {} } }, kept: ALL.slice(0, 2) },
    { rule: 'a metric left without points is dropped', config: { include: { metricNames: [], attributes: { worker_id: names('w') } } }, kept: ALL.slice(3, 5) },
  ];
  for (const { rule, config, kept } of table) {
    test(rule, () => {
      const r = run(config);
      assert.deepEqual(r.kept, kept);
      assert.equal(r.dropped, ALL.length - kept.length);
    });
  }

  test('metrics are not changed in place; untouched metrics are passed on as the same objects', () => {
    const before = JSON.stringify(INPUT);
    const r = compileFilter({ exclude: { metricNames: [], attributes: { dp_rank: names('1') } } })(INPUT);
    assert.equal(JSON.stringify(INPUT), before);
    assert.notEqual(r.metrics[0], INPUT[0]);
    assert.equal(r.metrics[1], INPUT[1]);
    assert.equal(r.metrics[3], INPUT[3]);
  });
});

describe('the filter processor', () => {
  function create(options: unknown) {
    const { config, issues } = filterFactory.schema.validate(options, 'filter');
    assert.deepEqual(issues, []);
    const telemetry = new SelfTelemetry({ processMetrics: false });
    const got: Batch[] = [];
    const p = filterFactory.create({ id: 'filter/x', logger: silentLogger, telemetry, now: Date.now }, config!, { consume: (b) => void got.push(b) });
    return { p, got, telemetry };
  }

  test('drops what is excluded, passes FPM records unchanged, counts in, out and dropped', () => {
    const { p, got, telemetry } = create({ exclude: { attributes: { dp_rank: ['all'] } }, include: { metric_names: ['sglang*'] } });
    const fpm = [{ workerId: 'w' } as FpmRecord];
    p.consume({ metrics: INPUT, fpm });
    assert.equal(got.length, 1);
    assert.equal(got[0].fpm, fpm);
    assert.deepEqual(got[0].metrics!.map((m) => m.name), ['sglang:num_running_reqs', 'sglang:num_queue_reqs', 'sglang.fpm.window.iterations']);
    const labels = { processor: 'filter/x' };
    assert.equal(telemetry.read('bridge_processor_incoming_items_total', labels), 7);
    assert.equal(telemetry.read('bridge_processor_outgoing_items_total', labels), 5);
    assert.equal(telemetry.read('bridge_processor_dropped_items_total', { ...labels, reason: 'filtered' }), 2);
  });

  test('a batch left empty is not sent on; FPM records alone are', () => {
    const { p, got } = create({ exclude: { metric_names: ['*'] } });
    p.consume({ metrics: INPUT });
    assert.equal(got.length, 0);
    p.consume({ metrics: INPUT, fpm: [{ workerId: 'w' } as FpmRecord] });
    assert.equal(got.length, 1);
    assert.equal(got[0].metrics, undefined);
  });

  test('options: every problem with its path', () => {
    const issues = filterFactory.schema.validate(
      { include: { metric_names: ['/a(/', 3], attributes: { dp_rank: 'x', model: [] }, extra: 1 }, exclude: {}, other: true },
      'processors["filter"]',
    ).issues;
    assert.deepEqual(issues.map((i) => i.path).sort(), [
      'processors["filter"].exclude',
      'processors["filter"].include.attributes.model',
      'processors["filter"].include.extra',
      'processors["filter"].include.metric_names[0]',
      'processors["filter"].include.metric_names[1]',
      'processors["filter"].other',
    ]);
    assert.deepEqual(filterFactory.schema.validate({ include: { metric_names: [] } }, 'f').issues.map((i) => i.path), ['f.include.metric_names']);
    assert.deepEqual(filterFactory.schema.validate({ include: [] }, 'f').issues.map((i) => i.path), ['f.include']);
    assert.deepEqual(filterFactory.schema.validate(undefined, 'f').issues, []);
  });
});
