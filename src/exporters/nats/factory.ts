import type { ExporterFactory } from '../../component/contracts.js';
import { natsSchema, type NatsExporterConfig } from './config.js';
import { NatsExporter } from './exporter.js';

export const natsFactory: ExporterFactory<NatsExporterConfig> = {
  kind: 'exporter',
  type: 'nats',
  description: 'NATS: metric snapshots per worker and rank (JSON or msgpack), or FPM records passed through byte for byte for Dynamo-style planners; buffered across reconnects.',
  schema: natsSchema,
  create: (settings, config) => new NatsExporter(settings, config),
  needsFpmPayload: (config) => config.mode === 'fpm',
};
