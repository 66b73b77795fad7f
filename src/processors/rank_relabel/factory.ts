import type { ProcessorFactory } from '../../component/contracts.js';
import { rankRelabelSchema, type RankRelabelConfig } from './config.js';
import { RankRelabelProcessor } from './processor.js';

export const rankRelabelFactory: ProcessorFactory<RankRelabelConfig> = {
  kind: 'processor',
  type: 'rank_relabel',
  description: 'Gives every series its identity labels (worker_id, dp_rank, tp_rank, pp_rank, model_name, role, dynamo_*), the same for FPM and Prometheus series of one rank; maps pid to rank.',
  schema: rankRelabelSchema,
  create: (settings, config, next) => new RankRelabelProcessor(settings, config, next),
};
