import type { CreateSettings } from '../component/contracts.js';
import type { DeliveryConfig } from '../exporters/delivery/config.js';
import { DeliveryQueue, type SendFunction } from '../exporters/delivery/queue.js';
import { DeliveryTelemetry } from '../exporters/delivery/telemetry.js';

/** The bounded, retrying, never-overlapping queue the built-in exporters use, for plugin exporters. */
export interface PluginDeliveryQueue<T> {
  /** Queues a payload carrying `items` items; false (dropped, counted as queue_full) when it does not fit. */
  offer(payload: T, items: number): boolean;
  /** Items waiting, the one being sent included. */
  readonly size: number;
  /** Sends what is queued until deadlineMs (Unix ms); the rest is dropped and counted as shutdown. */
  drain(deadlineMs: number): Promise<void>;
}

/**
 * A delivery queue wired to the exporter's self-telemetry
 * (bridge_exporter_sent_items_total, _dropped_items_total{reason},
 * _queue_size, _send_attempts_total{outcome}) and logger.
 */
export function createDeliveryQueue<T>(settings: CreateSettings, config: DeliveryConfig, send: SendFunction<T>): PluginDeliveryQueue<T> {
  return new DeliveryQueue<T>({
    id: settings.id,
    capacity: config.queueSize,
    retry: config.retry,
    send,
    telemetry: new DeliveryTelemetry(settings.telemetry, settings.id),
    logger: settings.logger,
    now: settings.now,
  });
}
