import type { Consumer, CreateSettings, Processor } from '../../component/contracts.js';
import { batchItemCount, type Batch } from '../../model/batch.js';
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
    ({ incoming: this.incoming, outgoing: this.outgoing } = settings.telemetry.processorFlow(settings.id));
    this.dropped = settings.telemetry.processorDropped(settings.id, 'filtered');
  }

  async start(): Promise<void> {}

  /** Nothing is held: every batch goes on (or is dropped) inside consume. */
  async shutdown(): Promise<void> {}

  consume(batch: Batch): void {
    const fpm = batch.fpm && batch.fpm.length ? batch.fpm : undefined;
    const inMetrics = batch.metrics && batch.metrics.length ? batch.metrics : undefined;
    this.incoming.value += batchItemCount(batch);
    let metrics = inMetrics;
    if (inMetrics) {
      const r = this.filter(inMetrics);
      this.dropped.value += r.dropped;
      metrics = r.metrics.length ? r.metrics : undefined;
    }
    if (!metrics && !fpm) return;
    const out: Batch = { ...(metrics ? { metrics } : {}), ...(fpm ? { fpm } : {}) };
    this.outgoing.value += batchItemCount(out);
    this.next.consume(out);
  }
}
