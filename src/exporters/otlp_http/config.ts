import { defineSchema, stringMap } from '../../config/component-schema.js';
import { deliveryConfig, deliveryOptions, type DeliveryConfig } from '../delivery/config.js';

export type OtlpProtocol = 'http/protobuf' | 'http/json';
export type Temporality = 'cumulative' | 'delta';

export interface OtlpHttpExporterConfig {
  /** Full URL of the metrics endpoint, e.g. http://127.0.0.1:4318/v1/metrics. */
  readonly endpoint: string;
  readonly protocol: OtlpProtocol;
  /** Sent with every request; values may come from ${env:VAR}; never logged. */
  readonly headers: Readonly<Record<string, string>>;
  readonly compression: 'gzip' | 'none';
  /** One export call, the OTLP library's own retries within it included (ms). */
  readonly timeoutMs: number;
  /** Time between two snapshots of every series (ms). */
  readonly intervalMs: number;
  readonly temporality: Temporality;
  /** Added to service.name, service.instance.id, host.name (and win over them). */
  readonly resourceAttributes: Readonly<Record<string, string>>;
  /** A series not updated for this long is no longer exported (ms). */
  readonly metricExpirationMs: number;
  readonly delivery: DeliveryConfig;
}

export const otlpHttpSchema = defineSchema<OtlpHttpExporterConfig>(
  {
    endpoint: { doc: 'OTLP/HTTP metrics URL (the Collector\'s default port is 4318, path /v1/metrics).', format: String, default: 'http://127.0.0.1:4318/v1/metrics' },
    protocol: { doc: 'http/protobuf (what most backends expect) or http/json.', format: ['http/protobuf', 'http/json'], default: 'http/protobuf' },
    headers: { doc: 'HTTP headers sent with every export, e.g. {"authorization": "Bearer ${env:OTLP_TOKEN}"}; redacted in logs and validate output.', format: '*', default: {}, sensitive: true },
    compression: { doc: 'Request body compression.', format: ['gzip', 'none'], default: 'gzip' },
    timeout: { doc: 'Deadline of one export call, including the OTLP library\'s own quick retries inside it.', format: 'duration', default: '10s', unit: 'ms' },
    interval: { doc: 'Export period: every interval the latest point of every live series is sent.', format: 'duration', default: '10s', unit: 'ms' },
    temporality: { doc: 'cumulative (totals since start; a lost export heals with the next) or delta (the change since the previous export).', format: ['cumulative', 'delta'], default: 'cumulative' },
    resource_attributes: { doc: 'Resource attributes added to service.name=sglang-otel-bridge, service.instance.id, host.name (configured values win).', format: '*', default: {} },
    metric_expiration: { doc: 'A series not updated for this long is no longer exported.', format: 'duration', default: '5m', unit: 'ms' },
    ...deliveryOptions(100_000, 'points'),
  },
  (v, issue) => {
    const endpoint = v.endpoint as string;
    try {
      const url = new URL(endpoint);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') issue('endpoint', 'must be an http:// or https:// URL');
    } catch {
      issue('endpoint', `"${endpoint}" is not a URL (e.g. "http://127.0.0.1:4318/v1/metrics")`);
    }
    if ((v.timeout as number) < 1) issue('timeout', 'must be more than 0');
    if ((v.interval as number) < 100) issue('interval', 'must be at least 100ms');
    return {
      endpoint,
      protocol: v.protocol as OtlpProtocol,
      headers: stringMap(v.headers, 'headers', issue),
      compression: v.compression as 'gzip' | 'none',
      timeoutMs: v.timeout as number,
      intervalMs: v.interval as number,
      temporality: v.temporality as Temporality,
      resourceAttributes: stringMap(v.resource_attributes, 'resource_attributes', issue),
      metricExpirationMs: v.metric_expiration as number,
      delivery: deliveryConfig(v, issue),
    };
  },
);
