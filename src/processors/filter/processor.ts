import type { Consumer, CreateSettings, Processor } from '../../component/contracts.js';
import type { Batch } from '../../model/batch.js';
import { countPoints } from '../../model/metrics.js';
import type { Cell } from '../../telemetry/self-telemetry.js';
import type { FilterConfig } from './config.js';
import { compileFilter, type MetricFilter } from './filter.js';

/**
 * Keeps or drops metric points by metric name and label values (filter.ts).
 * FPM records pass through unchanged. Dropped points are counted as
 * bridge_processor_dropped_items_total{reason="filtered"}.
 */
export class FilterProcessor implements Processor {
  private readonly filter: MetricFilter;
  private readonly incoming: Cell;
  private readonly outgoing: Cell;
  private readonly dropped: Cell;

  constructor(
    settings: CreateSettings,
    config: FilterConfig,
    private readonly next: Consumer,
  ) {
    this.filter = compileFilter(config);
    const labels = { processor: settings.id };
    this.incoming = settings.telemetry.counter('bridge_processor_incoming_items_total', 'Items a processor received (FPM records, metric points).', labels);
    this.outgoing = settings.telemetry.counter('bridge_processor_outgoing_items_total', 'Items a processor sent on.', labels);
    this.dropped = settings.telemetry.counter('bridge_processor_dropped_items_total', 'Items a processor dropped, by reason (filtered: left out by a filter processor).', { ...labels, reason: 'filtered' });
  }

  async start(): Promise<void> {}

  /** Nothing is held: every batch goes on (or is dropped) inside consume. */
  async shutdown(): Promise<void> {}

  consume(batch: Batch): void {
    const fpm = batch.fpm && batch.fpm.length ? batch.fpm : undefined;
    const inMetrics = batch.metrics && batch.metrics.length ? batch.metrics : undefined;
    const incoming = (fpm ? fpm.length : 0) + (inMetrics ? countPoints(inMetrics) : 0);
    this.incoming.value += incoming;
    let metrics = inMetrics;
    if (inMetrics) {
      const r = this.filter(inMetrics);
      this.dropped.value += r.dropped;
      metrics = r.metrics.length ? r.metrics : undefined;
    }
    if (!metrics && !fpm) return;
    const out: Batch = { ...(metrics ? { metrics } : {}), ...(fpm ? { fpm } : {}) };
    this.outgoing.value += (fpm ? fpm.length : 0) + (metrics ? countPoints(metrics) : 0);
    this.next.consume(out);
  }
}
