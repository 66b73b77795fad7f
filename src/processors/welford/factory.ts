import type { ProcessorFactory } from '../../component/contracts.js';
import { welfordSchema, type WelfordConfig } from './config.js';
import { WelfordProcessor } from './processor.js';

export const welfordFactory: ProcessorFactory<WelfordConfig> = {
  kind: 'processor',
  type: 'welford',
  description: 'FPM records to metrics: cumulative counters, a wall-time histogram, and windowed mean/variance/min/max per rank (mergeable across ranks).',
  schema: welfordSchema,
  create: (settings, config, next) => new WelfordProcessor(settings, config, next),
};
