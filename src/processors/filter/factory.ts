import type { ProcessorFactory } from '../../component/contracts.js';
import { filterSchema, type FilterConfig } from './config.js';
import { FilterProcessor } from './processor.js';

export const filterFactory: ProcessorFactory<FilterConfig> = {
  kind: 'processor',
  type: 'filter',
  description: 'Keeps or drops metric points by metric name (names, globs, /regex/) and label values; FPM records pass through.',
  schema: filterSchema,
  create: (settings, config, next) => new FilterProcessor(settings, config, next),
};
