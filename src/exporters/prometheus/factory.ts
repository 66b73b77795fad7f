import type { ExporterFactory } from '../../component/contracts.js';
import { prometheusSchema, type PrometheusExporterConfig } from './config.js';
import { PrometheusExporter } from './exporter.js';

export const prometheusFactory: ExporterFactory<PrometheusExporterConfig> = {
  kind: 'exporter',
  type: 'prometheus',
  description: 'A /metrics endpoint for Prometheus (text 0.0.4, or OpenMetrics when asked), with the bridge\'s own metrics, /healthz and /readyz.',
  schema: prometheusSchema,
  create: (settings, config) => new PrometheusExporter(settings, config),
};
