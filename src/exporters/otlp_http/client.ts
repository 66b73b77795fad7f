import { OTLPMetricExporter as JsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import type { PushMetricExporter, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { SendOutcome } from '../delivery/outcome.js';
import { classifyExportResult } from './classify.js';
import type { OtlpHttpExporterConfig } from './config.js';

/**
 * One OTLP/HTTP destination, through the OpenTelemetry JS exporters
 * (`-otlp-proto` for http/protobuf, `-otlp-http` for http/json), which do the
 * serialisation, compression and HTTP.
 *
 * Retries, accounted for: inside one `send` the library itself retries
 * 429/502/503/504 and connection errors up to 5 times (1 s to 5 s apart,
 * honouring a Retry-After that fits) as long as `timeout` allows. The
 * bridge's queue counts that whole call as one attempt and starts its own
 * backoff only when the call has failed, so the requests per item are at
 * most 6 x (bridge attempts), all bounded by retry_max_elapsed + timeout.
 */
export class OtlpHttpClient {
  private readonly exporter: PushMetricExporter;

  constructor(config: OtlpHttpExporterConfig) {
    const options = {
      url: config.endpoint,
      headers: { ...config.headers },
      compression: config.compression === 'gzip' ? CompressionAlgorithm.GZIP : CompressionAlgorithm.NONE,
      timeoutMillis: config.timeoutMs,
    };
    this.exporter = config.protocol === 'http/json' ? new JsonMetricExporter(options) : new ProtoMetricExporter(options);
  }

  /** One export call; never rejects. A request that cannot even be encoded is permanent. */
  send(metrics: ResourceMetrics): Promise<SendOutcome> {
    return new Promise((resolve) => {
      try {
        this.exporter.export(metrics, (result) => resolve(classifyExportResult(result)));
      } catch (err) {
        resolve({ kind: 'permanent', reason: `could not encode the request: ${(err as Error).message}` });
      }
    });
  }

  shutdown(): Promise<void> {
    return this.exporter.shutdown();
  }
}
