import type { Consumer, CreateSettings, Processor } from '../../component/contracts.js';
import { batchItemCount, type Batch } from '../../model/batch.js';
import type { Cell } from '../../telemetry/self-telemetry.js';
import type { DpMergeConfig } from './config.js';
import { GaugeRules } from './gauge-rules.js';
import { MergeIdentities, mergeRanks } from './merge.js';

/**
 * One series per worker beside (or instead of) the per-rank ones: see
 * merge.ts for the rules. Merges the ranks present in one batch: each
 * receiver (and welford) sends all ranks of a worker together. FPM records
 * pass unchanged. Refusals (histograms whose bounds differ) are counted in
 * bridge_processor_refused_items_total{reason="bucket_mismatch"} and logged
 * once per metric; gauges without a rule are logged once.
 */
export class DpMergeProcessor implements Processor {
  private readonly rules: GaugeRules;
  private readonly identities: MergeIdentities;
  private readonly incoming: Cell;
  private readonly outgoing: Cell;
  private readonly mismatch: Cell;
  private readonly logged = new Set<string>();

  constructor(
    private readonly settings: CreateSettings,
    private readonly config: DpMergeConfig,
    private readonly next: Consumer,
  ) {
    this.rules = new GaugeRules(config.gaugeRules);
    this.identities = new MergeIdentities(config);
    ({ incoming: this.incoming, outgoing: this.outgoing } = settings.telemetry.processorFlow(settings.id));
    this.mismatch = settings.telemetry.counter('bridge_processor_refused_items_total', 'Points a processor could not process, by reason (dp_merge: bucket_mismatch, histograms of one worker with different bucket bounds).', { processor: settings.id, reason: 'bucket_mismatch' });
  }

  async start(): Promise<void> {}

  async shutdown(): Promise<void> {}

  consume(batch: Batch): void {
    const incoming = batchItemCount(batch);
    this.incoming.value += incoming;
    if (!batch.metrics?.length) {
      this.outgoing.value += incoming;
      return this.next.consume(batch);
    }
    const { metrics, refused, unruled } = mergeRanks(batch.metrics, this.config, this.rules, this.identities);
    for (const r of refused) {
      this.mismatch.value += r.points;
      this.once(`refused:${r.metric}`, 'histograms of one worker have different bucket bounds: not merged (per-rank series kept if keep_per_rank)', { metric: r.metric });
    }
    for (const name of unruled) this.once(`unruled:${name}`, 'no merge rule for this gauge: no merged series; add it to gauge_rules ("sum", "mean", "max", "min" or "weighted_mean:<metric>")', { metric: name });
    const out: Batch = { ...batch, metrics };
    this.outgoing.value += batchItemCount(out);
    this.next.consume(out);
  }

  private once(key: string, message: string, fields: Record<string, unknown>): void {
    if (this.logged.has(key)) return;
    this.logged.add(key);
    this.settings.logger.warn(message, { processor: this.settings.id, ...fields });
  }
}
