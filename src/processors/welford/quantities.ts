import type { FpmRecord } from '../../model/fpm.js';

/**
 * The per-iteration quantities the welford processor keeps window statistics
 * of, with their units (UCUM; `{...}` annotations are dropped in Prometheus names).
 */
export interface Quantity {
  /** Name part: `sglang.fpm.window.<key>.<stat>`. */
  readonly key: string;
  readonly unit: string;
  readonly description: string;
  readonly value: (r: FpmRecord) => number;
}

export const QUANTITIES: readonly Quantity[] = [
  { key: 'wall_time', unit: 's', description: 'Seconds one iteration took', value: (r) => r.wallTime },
  { key: 'scheduled_prefill_requests', unit: '{request}', description: 'Prefill requests scheduled in one iteration', value: (r) => r.scheduledPrefillRequests },
  { key: 'scheduled_prefill_tokens', unit: '{token}', description: 'Prompt tokens computed in one iteration', value: (r) => r.scheduledPrefillTokens },
  { key: 'scheduled_prefill_cached_tokens', unit: '{token}', description: 'Prompt tokens served from the prefix cache in one iteration', value: (r) => r.scheduledPrefillCachedTokens },
  { key: 'scheduled_decode_requests', unit: '{request}', description: 'Decode requests scheduled in one iteration', value: (r) => r.scheduledDecodeRequests },
  { key: 'scheduled_decode_kv_tokens', unit: '{token}', description: 'KV context tokens over the decode requests of one iteration', value: (r) => r.scheduledDecodeKvTokens },
  { key: 'queued_prefill_requests', unit: '{request}', description: 'Prefill requests waiting, seen at one iteration', value: (r) => r.queuedPrefillRequests },
  { key: 'queued_prefill_tokens', unit: '{token}', description: 'Prompt tokens of the waiting prefill requests, seen at one iteration', value: (r) => r.queuedPrefillTokens },
  { key: 'queued_decode_requests', unit: '{request}', description: 'Retracted decode requests waiting to resume, seen at one iteration', value: (r) => r.queuedDecodeRequests },
  { key: 'queued_decode_kv_tokens', unit: '{token}', description: 'KV tokens of the waiting decode requests, seen at one iteration', value: (r) => r.queuedDecodeKvTokens },
];

/** Cumulative sums over iterations: `sglang.fpm.<key>` (Prometheus: `sglang_fpm_<key>_total`). */
export interface Total {
  readonly key: string;
  readonly unit: string;
  readonly description: string;
  readonly value: (r: FpmRecord) => number;
}

export const TOTALS: readonly Total[] = [
  { key: 'scheduled_prefill_requests', unit: '{request}', description: 'Prefill requests scheduled, summed over iterations.', value: (r) => r.scheduledPrefillRequests },
  { key: 'scheduled_prefill_tokens', unit: '{token}', description: 'Prompt tokens computed (not from cache), summed over iterations.', value: (r) => r.scheduledPrefillTokens },
  { key: 'scheduled_prefill_cached_tokens', unit: '{token}', description: 'Prompt tokens served from the prefix cache, summed over iterations.', value: (r) => r.scheduledPrefillCachedTokens },
  { key: 'scheduled_decode_requests', unit: '{request}', description: 'Decode requests scheduled, summed over iterations (about one output token each).', value: (r) => r.scheduledDecodeRequests },
  { key: 'scheduled_decode_kv_tokens', unit: '{token}', description: 'KV context tokens of the decode requests, summed over iterations.', value: (r) => r.scheduledDecodeKvTokens },
];
