import { defineSchema } from '../../config/component-schema.js';

export interface WelfordConfig {
  readonly windowMs: number;
  readonly mergeRanks: boolean;
  /** Upper bounds (seconds) of the wall-time histogram, ascending. */
  readonly wallTimeBuckets: readonly number[];
}

export const DEFAULT_WALL_TIME_BUCKETS = [0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5];

export const welfordSchema = defineSchema<WelfordConfig>(
  {
    window: { doc: 'Length of each statistics window; cumulative metrics go downstream at the same pace.', format: 'duration', default: '10s', unit: 'ms' },
    merge_ranks: { doc: 'Also emit each worker\'s window statistics merged over its dp ranks (dp_rank="all"), by parallel Welford merge.', format: 'boolean', default: false },
    wall_time_buckets: { doc: 'Upper bounds of the sglang_fpm_wall_time_seconds histogram buckets.', format: 'number-list', default: DEFAULT_WALL_TIME_BUCKETS, unit: 's' },
  },
  (v, issue) => {
    if ((v.window as number) < 100) issue('window', 'must be at least 100ms');
    if (!(v.wall_time_buckets as number[]).length) issue('wall_time_buckets', 'give at least one bucket bound');
    return { windowMs: v.window as number, mergeRanks: v.merge_ranks as boolean, wallTimeBuckets: v.wall_time_buckets as number[] };
  },
);
