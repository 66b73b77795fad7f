import type { ExporterFactory } from '../../component/contracts.js';
import { debugSchema, type DebugExporterConfig } from './config.js';
import { DebugExporter } from './exporter.js';

export const debugFactory: ExporterFactory<DebugExporterConfig> = {
  kind: 'exporter',
  type: 'debug',
  description: 'JSON lines of what reaches it, to standard output or a file (basic, normal or detailed).',
  schema: debugSchema,
  create: (settings, config) => new DebugExporter(settings, config),
};
