import type { ProcessorFactory } from '../../component/contracts.js';
import { dpMergeSchema, type DpMergeConfig } from './config.js';
import { DpMergeProcessor } from './processor.js';

export const dpMergeFactory: ProcessorFactory<DpMergeConfig> = {
  kind: 'processor',
  type: 'dp_merge',
  description: 'Merges series across dp_rank (optionally tp_rank) into one per worker (dp_rank="all"): counters and histograms summed, gauges by rule, welford windows as Welford states.',
  schema: dpMergeSchema,
  create: (settings, config, next) => new DpMergeProcessor(settings, config, next),
};
