import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { EVENT_LOOP_LAG_FAMILIES, registerEventLoopLag } from './event-loop-lag.js';

/**
 * The bridge's own metrics (`bridge_` prefix, OpenTelemetry Collector style),
 * served on every `prometheus` exporter's endpoint.
 *
 * Hot paths (hundreds of thousands of items a second) must not hash label
 * sets per item: a component asks once for a `Cell` bound to its labels and
 * adds plain numbers to it; the values are copied into prom-client's metrics
 * only when somebody scrapes.
 */
export interface Cell {
  value: number;
}

interface Family {
  cells: Map<string, { labels: Record<string, string>; cell: Cell }>;
}

/**
 * prom-client's own event-loop lag sampler is left dormant (a timer this many
 * ms apart) and its families replaced by event-loop-lag.ts's (sampled every
 * 100 ms, without the sampling interval in the values).
 */
const DORMANT_MS = 2 ** 31 - 1;

export class SelfTelemetry {
  readonly registry = new Registry();
  private readonly families = new Map<string, Family>();

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics ?? true) {
      collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: DORMANT_MS });
      for (const name of EVENT_LOOP_LAG_FAMILIES) this.registry.removeSingleMetric(name);
      registerEventLoopLag(this.registry);
    }
  }

  /** A monotonic counter cell for these labels (created on first use, then shared). */
  counter(name: string, help: string, labels: Record<string, string>): Cell {
    return this.cell('counter', name, help, labels);
  }

  /** A gauge cell (queue sizes, up/down, memory). */
  gauge(name: string, help: string, labels: Record<string, string>): Cell {
    return this.cell('gauge', name, help, labels);
  }

  /** Items a receiver passed into the pipeline (the same family for every receiver). */
  receiverAccepted(receiver: string): Cell {
    return this.counter('bridge_receiver_accepted_items_total', 'Items a receiver accepted into the pipeline (FPM records, metric points).', { receiver });
  }

  /** Items a processor received and sent on (the same families for every processor). */
  processorFlow(processor: string): { incoming: Cell; outgoing: Cell } {
    return {
      incoming: this.counter('bridge_processor_incoming_items_total', 'Items a processor received (FPM records, metric points).', { processor }),
      outgoing: this.counter('bridge_processor_outgoing_items_total', 'Items a processor sent on.', { processor }),
    };
  }

  /**
   * Items a processor dropped on purpose, by reason: `filtered` (filter),
   * `duplicate_series` (rename: two points of one name and label set that
   * could not be added up). One family for every processor.
   */
  processorDropped(processor: string, reason: 'filtered' | 'duplicate_series'): Cell {
    return this.counter('bridge_processor_dropped_items_total', 'Items a processor dropped, by reason (filtered, duplicate_series).', { processor, reason });
  }

  /** Items an exporter delivered (the same family for every exporter). */
  exporterSent(exporter: string): Cell {
    return this.counter('bridge_exporter_sent_items_total', 'Items an exporter delivered (for prometheus: points stored for scraping).', { exporter });
  }

  /** Current value of a cell, for tests and the `doctor`; 0 when it does not exist. */
  read(name: string, labels: Record<string, string>): number {
    return this.families.get(name)?.cells.get(labelKey(labels))?.cell.value ?? 0;
  }

  private cell(type: 'counter' | 'gauge', name: string, help: string, labels: Record<string, string>): Cell {
    let family = this.families.get(name);
    if (!family) {
      const fam: Family = { cells: new Map() };
      family = fam;
      this.families.set(name, fam);
      const labelNames = Object.keys(labels);
      const collect = function (this: Counter | Gauge) {
        this.reset();
        for (const { labels: l, cell } of fam.cells.values()) {
          if (this instanceof Counter) this.inc(l, cell.value);
          else (this as Gauge).set(l, cell.value);
        }
      };
      const Metric = type === 'counter' ? Counter : Gauge;
      new Metric({ name, help, labelNames, registers: [this.registry], collect });
    }
    const key = labelKey(labels);
    let entry = family.cells.get(key);
    if (!entry) {
      entry = { labels: { ...labels }, cell: { value: 0 } };
      family.cells.set(key, entry);
    }
    return entry.cell;
  }
}

function labelKey(labels: Record<string, string>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',');
}
