import { encode as msgpackEncode } from '@msgpack/msgpack';
import type { CreateSettings, Exporter } from '../../component/contracts.js';
import type { Batch } from '../../model/batch.js';
import { countPoints } from '../../model/metrics.js';
import type { FpmRecord } from '../../model/fpm.js';
import { DeliveryTelemetry } from '../delivery/telemetry.js';
import { bridgeResourceAttributes } from '../common/resource.js';
import { MetricStore } from '../prometheus/store.js';
import type { NatsExporterConfig } from './config.js';
import { NatsPublisher } from './connection.js';
import { snapshotMessages } from './snapshot-message.js';
import { compileSubject } from './subject.js';

/**
 * Publishes to NATS, in one of two modes:
 * - `metrics`: every `interval`, the latest point of every live series,
 *   one message per subject (by default per worker and dp rank), JSON or
 *   msgpack (schema: docs/nats.md). Items counted: points.
 * - `fpm`: every FPM record (heartbeats too) re-published as it came, the
 *   msgpack payload byte for byte, on the subject of its worker. Items
 *   counted: records. The receiver keeps the bytes because this exporter asks.
 */
export class NatsExporter implements Exporter {
  private readonly telemetry: DeliveryTelemetry;
  private readonly publisher: NatsPublisher;
  private readonly subject: ReturnType<typeof compileSubject>;
  private readonly store: MetricStore;
  private readonly resource = bridgeResourceAttributes({});
  private readonly fpmSubjects = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private started = false;
  private warned = false;

  constructor(
    private readonly settings: CreateSettings,
    private readonly config: NatsExporterConfig,
  ) {
    this.telemetry = new DeliveryTelemetry(settings.telemetry, settings.id);
    this.publisher = new NatsPublisher(config, this.telemetry, settings.logger, settings.id);
    this.subject = compileSubject(config.subject);
    this.store = new MetricStore(config.metricExpirationMs);
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.publisher.start();
    if (this.config.mode === 'metrics') this.timer = setInterval(() => this.publishSnapshot(), this.config.intervalMs);
  }

  consume(batch: Batch): void {
    if (this.config.mode === 'fpm') {
      if (batch.fpm) for (const record of batch.fpm) this.publishRecord(record);
      if (batch.metrics?.length) this.unsupported(countPoints(batch.metrics), 'metric points reached a nats exporter in fpm mode: use a second nats exporter with mode "metrics" for them');
      return;
    }
    if (batch.metrics?.length) this.store.put(batch.metrics, this.settings.now());
    if (batch.fpm?.length) this.unsupported(batch.fpm.length, 'FPM records reached a nats exporter in metrics mode: add the welford processor, or set mode "fpm" to pass them through');
  }

  /** Publishes one snapshot of every live series (public for tests). */
  publishSnapshot(): void {
    const nowMs = this.settings.now();
    const metrics = this.store.snapshot(nowMs);
    const messages = snapshotMessages(metrics, (metric, attributes) => this.subject((name) => (name === 'metric' ? metric.name : attributes[name])), this.resource, nowMs);
    for (const [subject, message] of messages) {
      const { points, ...body } = message;
      const data = this.config.encoding === 'msgpack' ? msgpackEncode(body) : Buffer.from(JSON.stringify(body));
      this.publisher.publish(subject, data, points);
    }
  }

  async shutdown(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    clearInterval(this.timer);
    if (this.config.mode === 'metrics') this.publishSnapshot();
    await this.publisher.close(Date.now() + 5000);
  }

  private publishRecord(record: FpmRecord): void {
    if (!record.payload) return this.unsupported(1, 'an FPM record without its original bytes reached a nats exporter in fpm mode (its receiver does not keep payloads)');
    const key = `${record.workerId}\u0000${record.dpRank}`;
    let subject = this.fpmSubjects.get(key);
    if (subject === undefined) {
      subject = this.subject((name) => (name === 'worker_id' ? record.workerId : name === 'dp_rank' ? String(record.dpRank) : name === 'metric' ? 'fpm' : undefined));
      this.fpmSubjects.set(key, subject);
    }
    this.publisher.publish(subject, record.payload, 1);
  }

  private unsupported(items: number, message: string): void {
    this.telemetry.drop('unsupported', items);
    if (!this.warned) this.settings.logger.warn(message, { exporter: this.settings.id });
    this.warned = true;
  }
}
