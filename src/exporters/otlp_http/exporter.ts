import type { Resource } from '@opentelemetry/resources';
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { CreateSettings, Exporter } from '../../component/contracts.js';
import type { Batch } from '../../model/batch.js';
import { countPoints } from '../../model/metrics.js';
import { BRIDGE_NAME, BRIDGE_VERSION } from '../../version.js';
import { DeliveryQueue } from '../delivery/queue.js';
import { DeliveryTelemetry } from '../delivery/telemetry.js';
import { MetricStore } from '../prometheus/store.js';
import type { OtlpHttpClient } from './client.js';
import type { OtlpHttpExporterConfig } from './config.js';
import { DeltaConverter } from './delta.js';
import type { toResourceMetrics } from './to-resource-metrics.js';

/**
 * Sends the latest point of every live series to an OTLP/HTTP endpoint every
 * `interval`, through a bounded queue (by data points) with retries; exports
 * never overlap. FPM records are not metrics: put `welford` before this
 * exporter to turn them into metrics (records reaching it are counted as
 * dropped, reason unsupported, and logged once).
 */
export class OtlpHttpExporter implements Exporter {
  private readonly store: MetricStore;
  private readonly delta: DeltaConverter | undefined;
  private readonly deliveryTelemetry: DeliveryTelemetry;
  private readonly queue: DeliveryQueue<ResourceMetrics>;
  private resource: Resource | undefined;
  private client: OtlpHttpClient | undefined;
  /**
   * The OpenTelemetry SDK's encoders and HTTP clients are loaded by start():
   * configurations without an otlp_http exporter never load them (about 15 MiB
   * of memory).
   */
  private encode: typeof toResourceMetrics | undefined;
  private timer: NodeJS.Timeout | undefined;
  private warnedFpm = false;

  constructor(
    private readonly settings: CreateSettings,
    private readonly config: OtlpHttpExporterConfig,
  ) {
    this.store = new MetricStore(config.metricExpirationMs);
    this.delta = config.temporality === 'delta' ? new DeltaConverter() : undefined;
    this.deliveryTelemetry = new DeliveryTelemetry(settings.telemetry, settings.id);
    this.queue = new DeliveryQueue({
      id: settings.id,
      capacity: config.delivery.queueSize,
      retry: config.delivery.retry,
      send: (metrics) => this.client!.send(metrics),
      telemetry: this.deliveryTelemetry,
      logger: settings.logger,
      now: settings.now,
    });
  }

  async start(): Promise<void> {
    if (this.client) return;
    const [{ OtlpHttpClient }, { toResourceMetrics, bridgeResource }] = await Promise.all([import('./client.js'), import('./to-resource-metrics.js')]);
    this.encode = toResourceMetrics;
    this.resource = bridgeResource(this.config.resourceAttributes);
    this.client = new OtlpHttpClient(this.config);
    this.timer = setInterval(() => this.exportSnapshot(), this.config.intervalMs);
    this.settings.logger.info('exporting OTLP', { endpoint: this.config.endpoint, protocol: this.config.protocol, interval_ms: this.config.intervalMs, temporality: this.config.temporality });
  }

  consume(batch: Batch): void {
    if (batch.metrics?.length) this.store.put(batch.metrics, this.settings.now());
    if (batch.fpm?.length) {
      this.deliveryTelemetry.drop('unsupported', batch.fpm.length);
      if (!this.warnedFpm) this.settings.logger.warn('FPM records reached an otlp_http exporter and were dropped: add the welford processor to this pipeline to export them as metrics', { exporter: this.settings.id });
      this.warnedFpm = true;
    }
  }

  /** Queues one snapshot of every live series (public for tests and shutdown); nothing before start(). */
  exportSnapshot(): void {
    if (!this.encode || !this.resource) return;
    const nowMs = this.settings.now();
    let metrics = this.store.snapshot(nowMs);
    if (this.delta) {
      metrics = this.delta.convert(metrics);
      this.delta.forgetBefore(nowMs - this.config.metricExpirationMs);
    }
    const points = countPoints(metrics);
    if (!points) return;
    this.queue.offer(this.encode(metrics, this.resource, { name: BRIDGE_NAME, version: BRIDGE_VERSION }, this.config.temporality), points);
  }

  /** Exports what is held one last time and waits for the queue to empty, at most `timeout`. */
  async shutdown(): Promise<void> {
    if (!this.client) return;
    clearInterval(this.timer);
    this.exportSnapshot();
    await this.queue.drain(this.settings.now() + this.config.timeoutMs);
    const client = this.client;
    this.client = undefined;
    await client.shutdown();
  }
}
