import type { Consumer, CreateSettings, Processor } from '../../component/contracts.js';
import { batchItemCount, type Batch } from '../../model/batch.js';
import type { Metric } from '../../model/metrics.js';
import type { Cell } from '../../telemetry/self-telemetry.js';
import { combine } from './combine.js';
import type { RenameConfig } from './config.js';
import { dynamoRules, genAiRules } from './presets.js';
import type { RuleSpec } from './rule.js';
import { applyRules, compileRule, type CompiledRule } from './rules.js';

/** The rules a config stands for: its own, then its preset's. */
export function configuredRules(config: RenameConfig): RuleSpec[] {
  const preset = config.preset === 'gen_ai' ? genAiRules(config.genAi) : config.preset === 'dynamo' ? dynamoRules(config.dynamo) : [];
  return [...config.rules, ...preset];
}

/**
 * Renames metrics and changes their labels by rules (rules.ts), then keeps
 * one writer per series (combine.ts). Metrics no rule matches pass unchanged;
 * FPM records pass through. Points that cannot be combined are counted as
 * bridge_processor_dropped_items_total{reason="duplicate_series"}.
 */
export class RenameProcessor implements Processor {
  private readonly rules: CompiledRule[];
  private readonly incoming: Cell;
  private readonly outgoing: Cell;
  private readonly dropped: Cell;

  constructor(
    settings: CreateSettings,
    private readonly config: RenameConfig,
    private readonly next: Consumer,
  ) {
    this.rules = configuredRules(config).map(compileRule);
    ({ incoming: this.incoming, outgoing: this.outgoing } = settings.telemetry.processorFlow(settings.id));
    this.dropped = settings.telemetry.processorDropped(settings.id, 'duplicate_series');
  }

  async start(): Promise<void> {}

  /** Nothing is held: every batch goes on inside consume. */
  async shutdown(): Promise<void> {}

  consume(batch: Batch): void {
    const fpm = batch.fpm && batch.fpm.length ? batch.fpm : undefined;
    let metrics = batch.metrics && batch.metrics.length ? batch.metrics : undefined;
    this.incoming.value += batchItemCount(batch);
    if (metrics) metrics = this.rename(metrics);
    if (!metrics && !fpm) return;
    const out: Batch = { ...(metrics ? { metrics } : {}), ...(fpm ? { fpm } : {}) };
    this.outgoing.value += batchItemCount(out);
    this.next.consume(out);
  }

  private rename(metrics: readonly Metric[]): readonly Metric[] {
    const out: Metric[] = [];
    const renamed = new Set<number>();
    for (const m of metrics) {
      const r = applyRules(this.rules, m);
      if (!r) {
        out.push(m);
        continue;
      }
      if (this.config.keepOriginal) out.push(m);
      renamed.add(out.length);
      out.push(r);
    }
    if (!renamed.size) return metrics;
    const c = combine(out, renamed);
    this.dropped.value += c.dropped;
    return c.metrics;
  }
}
