import type { ExporterFactory } from '../../component/contracts.js';
import { otlpHttpSchema, type OtlpHttpExporterConfig } from './config.js';
import { OtlpHttpExporter } from './exporter.js';

export const otlpHttpFactory: ExporterFactory<OtlpHttpExporterConfig> = {
  kind: 'exporter',
  type: 'otlp_http',
  description: 'OTLP/HTTP (protobuf or JSON) to any OpenTelemetry backend, every interval, through a bounded queue with retries; losses counted.',
  schema: otlpHttpSchema,
  create: (settings, config) => new OtlpHttpExporter(settings, config),
};
