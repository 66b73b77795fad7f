import type { OptionSpec } from '../../config/component-schema.js';
import { DEFAULT_RETRY, type RetryPolicy } from './retry-policy.js';

/**
 * The options every queued exporter shares (queue and retry), Collector-style
 * names: `queue_size`, `retry_on_failure.*` flattened to `retry_*`.
 */
export function deliveryOptions(defaultQueueSize: number, itemName: string): Record<string, OptionSpec> {
  return {
    queue_size: { doc: `Most ${itemName} waiting to be sent; more is dropped and counted (bridge_exporter_dropped_items_total{reason="queue_full"}).`, format: 'positive-int', default: defaultQueueSize, unit: itemName },
    retry_enabled: { doc: 'Retry failed sends (connection errors, timeouts, 429, 502, 503, 504) with exponential backoff and jitter.', format: 'boolean', default: DEFAULT_RETRY.enabled },
    retry_initial_interval: { doc: 'Wait before the first retry (a Retry-After from the server wins).', format: 'duration', default: `${DEFAULT_RETRY.initialIntervalMs}ms`, unit: 'ms' },
    retry_max_interval: { doc: 'Longest wait between two retries (multiplier 1.5, jitter +-20%).', format: 'duration', default: `${DEFAULT_RETRY.maxIntervalMs}ms`, unit: 'ms' },
    retry_max_elapsed: { doc: 'Give up on an item (dropped, counted as retries_exhausted) this long after its first attempt; 0 retries forever.', format: 'duration', default: `${DEFAULT_RETRY.maxElapsedMs}ms`, unit: 'ms' },
  };
}

export interface DeliveryConfig {
  readonly queueSize: number;
  readonly retry: RetryPolicy;
}

/** Typed delivery config from values validated against deliveryOptions(). */
export function deliveryConfig(v: Record<string, unknown>, issue: (option: string, message: string) => void): DeliveryConfig {
  const initial = v.retry_initial_interval as number;
  const max = v.retry_max_interval as number;
  if (max < initial) issue('retry_max_interval', 'must be at least retry_initial_interval');
  return {
    queueSize: v.queue_size as number,
    retry: { ...DEFAULT_RETRY, enabled: v.retry_enabled as boolean, initialIntervalMs: initial, maxIntervalMs: Math.max(max, initial), maxElapsedMs: v.retry_max_elapsed as number },
  };
}
