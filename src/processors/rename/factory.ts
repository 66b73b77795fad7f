import type { ProcessorFactory } from '../../component/contracts.js';
import { renameSchema, type RenameConfig } from './config.js';
import { RenameProcessor } from './processor.js';

export const renameFactory: ProcessorFactory<RenameConfig> = {
  kind: 'processor',
  type: 'rename',
  description: 'Renames metrics and changes their labels by rules, or by a preset: gen_ai (OpenTelemetry GenAI names) or dynamo (the names Dynamo\'s SLA planner queries).',
  schema: renameSchema,
  create: (settings, config, next) => new RenameProcessor(settings, config, next),
};
