import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rankRelabelSchema } from '../../src/processors/rank_relabel/config.js';
import { relabel, type Learned } from '../../src/processors/rank_relabel/rules.js';

const config = (options: Record<string, unknown> = {}) => {
  const { config: c, issues } = rankRelabelSchema.validate(options, 'processors["rank_relabel"]');
  assert.deepEqual(issues, []);
  return c!;
};
const nothing: Learned = { pidRanks: new Map() };
const learned: Learned = { pidRanks: new Map([['4102', { dp_rank: '0', tp_rank: '0', pp_rank: '0' }]]) };
const node = { worker_id: 'w-7', model_name: 'Qwen/Qwen3-0.6B' };

const cases: { name: string; options?: Record<string, unknown>; learned?: Learned; input: Record<string, string>; output: Record<string, string> }[] = [
  {
    name: 'FPM series: model_name as configured, role unified',
    options: node,
    learned,
    input: { worker_id: 'w-7', dp_rank: '1' },
    output: { worker_id: 'w-7', dp_rank: '1', model_name: 'Qwen/Qwen3-0.6B', role: 'unified' },
  },
  {
    name: 'scheduler series without DP: worker_id as configured, dp_rank 0, role from engine_type',
    options: node,
    learned,
    input: { model_name: 'Qwen/Qwen3-0.6B', engine_type: 'prefill', tp_rank: '0', pp_rank: '0' },
    output: { model_name: 'Qwen/Qwen3-0.6B', engine_type: 'prefill', tp_rank: '0', pp_rank: '0', worker_id: 'w-7', dp_rank: '0', role: 'prefill' },
  },
  {
    name: 'scheduler series with DP keep their dp_rank',
    options: node,
    learned,
    input: { engine_type: 'unified', tp_rank: '1', dp_rank: '1' },
    output: { engine_type: 'unified', tp_rank: '1', dp_rank: '1', worker_id: 'w-7', model_name: 'Qwen/Qwen3-0.6B', role: 'unified' },
  },
  {
    name: 'tokenizer series (no rank labels) stay worker-level',
    options: node,
    learned,
    input: { model_name: 'm', engine_type: 'unified' },
    output: { model_name: 'm', engine_type: 'unified', worker_id: 'w-7', role: 'unified' },
  },
  {
    name: 'pid mapped to the ranks of that process, pid dropped',
    options: node,
    learned,
    input: { pid: '4102', model_name: 'm' },
    output: { dp_rank: '0', tp_rank: '0', pp_rank: '0', model_name: 'm', worker_id: 'w-7', role: 'unified' },
  },
  { name: 'keep_pid', options: { ...node, keep_pid: true }, learned, input: { pid: '4102' }, output: { pid: '4102', dp_rank: '0', tp_rank: '0', pp_rank: '0', worker_id: 'w-7', model_name: 'Qwen/Qwen3-0.6B', role: 'unified' } },
  { name: 'an unknown pid stays', options: node, learned, input: { pid: '999' }, output: { pid: '999', worker_id: 'w-7', model_name: 'Qwen/Qwen3-0.6B', role: 'unified' } },
  { name: 'pid_to_rank off', options: { ...node, pid_to_rank: false }, learned, input: { pid: '4102' }, output: { pid: '4102', worker_id: 'w-7', model_name: 'Qwen/Qwen3-0.6B', role: 'unified' } },
  {
    name: 'a stream\'s own worker_id is kept; Dynamo labels',
    options: { worker_id: 'decode-3', model_name: 'llama', role: 'decode', dynamo_namespace: 'prod', dynamo_component: 'decode', dynamo_endpoint: 'generate' },
    learned,
    input: { dp_rank: '2', worker_id: 'from-stream' },
    output: { dp_rank: '2', worker_id: 'from-stream', model_name: 'llama', role: 'decode', dynamo_namespace: 'prod', dynamo_component: 'decode', dynamo_endpoint: 'generate' },
  },
  {
    name: 'rename, then copy, then set (set wins)',
    options: { rename: { engine_type: 'sglang_engine' }, copy: { model_name: 'model' }, set: { cluster: 'a', role: 'prefill' } },
    input: { engine_type: 'decode', model_name: 'm' },
    output: { sglang_engine: 'decode', model_name: 'm', model: 'm', role: 'prefill', cluster: 'a' },
  },
  { name: 'nothing learned, nothing configured', input: { tp_rank: '0' }, output: { tp_rank: '0', dp_rank: '0', role: 'unified' } },
];

for (const c of cases)
  test(`rank_relabel: ${c.name}`, () => {
    assert.deepEqual(relabel(c.input, config(c.options), c.learned ?? nothing), c.output);
  });

test('rank_relabel: bad options are reported with their paths', () => {
  const { issues } = rankRelabelSchema.validate({ role: 'both', rename: { 'bad-name': 'x' }, copy: { a: 1 } }, 'processors["rank_relabel"]');
  assert.deepEqual(issues.map((i) => i.path).sort(), ['processors["rank_relabel"].copy.a', 'processors["rank_relabel"].rename.bad-name', 'processors["rank_relabel"].role']);
});
