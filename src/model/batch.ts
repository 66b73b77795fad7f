import type { FpmRecord } from './fpm.js';
import { countPoints, type Metric } from './metrics.js';

/**
 * What flows between stages: metric data, FPM records, or both.
 * Read-only and possibly shared by several consumers: copy before changing.
 */
export interface Batch {
  readonly metrics?: readonly Metric[];
  readonly fpm?: readonly FpmRecord[];
}

/** Items in a batch as the self-telemetry counts them: data points plus records. */
export function batchItemCount(batch: Batch): number {
  return (batch.fpm ? batch.fpm.length : 0) + (batch.metrics ? countPoints(batch.metrics) : 0);
}
