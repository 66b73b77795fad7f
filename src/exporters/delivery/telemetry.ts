import type { Cell, SelfTelemetry } from '../../telemetry/self-telemetry.js';
import type { DropReason } from './outcome.js';

/**
 * The self-telemetry of one queued exporter, in the OpenTelemetry Collector's
 * terms (`otelcol_exporter_*`), prefixed `bridge_`. Items are data points
 * (or FPM records, or messages for exporters that say so in their docs).
 */
export class DeliveryTelemetry {
  readonly sent: Cell;
  readonly queueSize: Cell;
  readonly queueCapacity: Cell;
  readonly inFlight: Cell;
  private readonly dropped = new Map<DropReason, Cell>();
  private readonly attempts = new Map<string, Cell>();

  constructor(
    private readonly telemetry: SelfTelemetry,
    private readonly exporter: string,
  ) {
    this.sent = telemetry.exporterSent(exporter);
    this.queueSize = telemetry.gauge('bridge_exporter_queue_size', 'Items waiting in an exporter\'s queue (including the one being sent).', { exporter });
    this.queueCapacity = telemetry.gauge('bridge_exporter_queue_capacity', 'Items an exporter\'s queue can hold.', { exporter });
    this.inFlight = telemetry.gauge('bridge_exporter_in_flight_requests', 'Requests an exporter has sent and not yet had answered (at most 1: exports never overlap).', { exporter });
  }

  /** Counts items that will never be delivered. */
  drop(reason: DropReason, items: number): void {
    let cell = this.dropped.get(reason);
    if (!cell) {
      cell = this.telemetry.counter('bridge_exporter_dropped_items_total', 'Items an exporter gave up on, by reason (queue_full, permanent_error, retries_exhausted, shutdown, encode_error, unsupported).', { exporter: this.exporter, reason });
      this.dropped.set(reason, cell);
    }
    cell.value += items;
  }

  /** Counts one attempt to send (one HTTP request, one publish round), by outcome. */
  attempt(outcome: string): void {
    let cell = this.attempts.get(outcome);
    if (!cell) {
      cell = this.telemetry.counter('bridge_exporter_send_attempts_total', 'Attempts to deliver a queued item, by outcome (delivered, retryable, permanent).', { exporter: this.exporter, outcome });
      this.attempts.set(outcome, cell);
    }
    cell.value++;
  }
}
