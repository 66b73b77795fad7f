import type { PatternSpec } from '../common/pattern.js';
import { NO_ACTIONS, type RuleSpec } from './rule.js';

/**
 * The built-in rule lists. Both leave SGLang's bucket boundaries, counts and
 * sums exactly as they are (re-bucketing would lose information; spec
 * sglang-metrics.md §4): they rename and re-label only. Every other SGLang
 * label (engine_type, is_streaming, ...) is kept, so no two series merge.
 */

const exact = (name: string): PatternSpec => ({ kind: 'glob', source: name, flags: '' });

/** SGLang's tokenizer families the presets map (metric names as the Prometheus inputs carry them). */
export const SGLANG = {
  ttft: 'sglang:time_to_first_token_seconds',
  itl: 'sglang:inter_token_latency_seconds',
  e2e: 'sglang:e2e_request_latency_seconds',
  isl: 'sglang:prompt_tokens_histogram',
  osl: 'sglang:generation_tokens_histogram',
  requests: 'sglang:num_requests_total',
} as const;

export interface GenAiOptions {
  /** gen_ai.provider.name (required attribute); default "sglang". */
  readonly providerName: string;
  /** gen_ai.operation.name (required attribute); default "chat". */
  readonly operationName: string;
  /** server.address; '' leaves it out. */
  readonly serverAddress: string;
  /** server.port as a decimal string; '' leaves it out. */
  readonly serverPort: string;
}

/**
 * OpenTelemetry GenAI server metrics (semantic conventions, spec §4).
 * `model_name` becomes `gen_ai.request.model`.
 */
export function genAiRules(o: GenAiOptions): RuleSpec[] {
  const set: Record<string, string> = { 'gen_ai.operation.name': o.operationName, 'gen_ai.provider.name': o.providerName };
  if (o.serverAddress) set['server.address'] = o.serverAddress;
  if (o.serverPort) set['server.port'] = o.serverPort;
  const attributes = { ...NO_ACTIONS, rename: { model_name: 'gen_ai.request.model' }, set };
  const tokens = (type: 'input' | 'output') => ({ ...attributes, set: { ...set, 'gen_ai.token.type': type } });
  return [
    { from: exact(SGLANG.ttft), to: 'gen_ai.server.time_to_first_token', unit: 's', description: 'Time to generate the first token for successful responses.', attributes },
    { from: exact(SGLANG.itl), to: 'gen_ai.server.time_per_output_token', unit: 's', description: 'Time per output token generated after the first token (SGLang: inter-token latency).', attributes },
    { from: exact(SGLANG.e2e), to: 'gen_ai.server.request.duration', unit: 's', description: 'Generative AI server request duration (SGLang: end-to-end request latency).', attributes },
    { from: exact(SGLANG.isl), to: 'gen_ai.client.token.usage', unit: '{token}', description: 'Number of input and output tokens used per request.', attributes: tokens('input') },
    { from: exact(SGLANG.osl), to: 'gen_ai.client.token.usage', unit: '{token}', description: 'Number of input and output tokens used per request.', attributes: tokens('output') },
  ];
}

export interface DynamoOptions {
  /** Which planner source the names imitate: the frontend (`dynamo_frontend_`) or the router (`dynamo_component_router_`). */
  readonly source: 'frontend' | 'router';
  /** dynamo_namespace / dynamo_component / dynamo_endpoint added where a series lacks them; '' adds none. */
  readonly namespace: string;
  readonly component: string;
  readonly endpoint: string;
}

export const DYNAMO_PREFIX = { frontend: 'dynamo_frontend_', router: 'dynamo_component_router_' } as const;

/**
 * The quantities Dynamo's SLA planner reads (spec §3), in Dynamo's names:
 * the names are Prometheus names already, and the units keep the prometheus
 * exporter from adding anything (`_seconds` is there; `{token}` and
 * `{request}` add no suffix; the counter's `_total` is kept).
 *
 * Requests: SGLang counts num_requests_total when a request finishes, which
 * is what Dynamo's `requests_total` counts (requests processed); the planner
 * prefers `requests_started_total` (requests admitted) and falls back to
 * `requests_total` when that is absent, so the finished count goes under
 * `requests_total` and no started count is made up.
 *
 * Labels: `model` is a copy of `model_name` (both kept, as Dynamo does);
 * the hierarchy labels come from the options unless a series has them already.
 */
export function dynamoRules(o: DynamoOptions): RuleSpec[] {
  const p = DYNAMO_PREFIX[o.source];
  const insert: Record<string, string> = {};
  if (o.namespace) insert.dynamo_namespace = o.namespace;
  if (o.component) insert.dynamo_component = o.component;
  if (o.endpoint) insert.dynamo_endpoint = o.endpoint;
  const attributes = { ...NO_ACTIONS, copy: { model_name: 'model' }, insert };
  return [
    { from: exact(SGLANG.ttft), to: `${p}time_to_first_token_seconds`, unit: 's', description: 'Time to first token in seconds (SGLang time_to_first_token_seconds).', attributes },
    { from: exact(SGLANG.itl), to: `${p}inter_token_latency_seconds`, unit: 's', description: 'Inter-token latency in seconds (SGLang inter_token_latency_seconds).', attributes },
    { from: exact(SGLANG.e2e), to: `${p}request_duration_seconds`, unit: 's', description: 'Duration of LLM requests in seconds (SGLang e2e_request_latency_seconds).', attributes },
    { from: exact(SGLANG.isl), to: `${p}input_sequence_tokens`, unit: '{token}', description: 'Input sequence length in tokens (SGLang prompt_tokens_histogram).', attributes },
    { from: exact(SGLANG.osl), to: `${p}output_sequence_tokens`, unit: '{token}', description: 'Output sequence length in tokens (SGLang generation_tokens_histogram).', attributes },
    { from: exact(SGLANG.requests), to: `${p}requests_total`, unit: '{request}', description: 'Requests processed (finished; SGLang num_requests_total).', attributes },
  ];
}
