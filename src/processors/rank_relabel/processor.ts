import type { Consumer, CreateSettings, Processor } from '../../component/contracts.js';
import { batchItemCount, type Batch } from '../../model/batch.js';
import type { Attributes, Metric } from '../../model/metrics.js';
import type { Cell } from '../../telemetry/self-telemetry.js';
import { PROCESS_RANKS_METRIC } from '../../receivers/prometheus_multiproc/process-ranks.js';
import type { RankRelabelConfig } from './config.js';
import { RANK_LABELS, relabel, type Learned } from './rules.js';

/**
 * Gives every series the identity labels consumers join on (worker_id,
 * dp_rank, tp_rank, pp_rank, model_name, role, dynamo_*), the same for the
 * FPM view and the Prometheus view of one rank (rules.ts). FPM records pass
 * unchanged.
 *
 * Relabelled attributes are cached per input attributes object, so that
 * receivers that reuse their label objects pass after pass get the same
 * output objects too (downstream caches keyed on them keep working).
 */
export class RankRelabelProcessor implements Processor {
  private readonly pidRanks = new Map<string, Attributes>();
  private readonly learned: Learned = { pidRanks: this.pidRanks };
  private cache = new WeakMap<Attributes, Attributes>();
  private readonly keepPidConfig: RankRelabelConfig;
  private readonly incoming: Cell;
  private readonly outgoing: Cell;

  constructor(
    settings: CreateSettings,
    private readonly config: RankRelabelConfig,
    private readonly next: Consumer,
  ) {
    this.keepPidConfig = { ...config, pidToRank: false };
    ({ incoming: this.incoming, outgoing: this.outgoing } = settings.telemetry.processorFlow(settings.id));
  }

  async start(): Promise<void> {}

  async shutdown(): Promise<void> {}

  consume(batch: Batch): void {
    const items = batchItemCount(batch);
    this.incoming.value += items;
    if (!batch.metrics?.length) {
      this.outgoing.value += items;
      return this.next.consume(batch);
    }
    this.learn(batch.metrics);
    const metrics = batch.metrics.map((m) => {
      // The info metric keeps its pid: it is what maps pids to ranks.
      const identity = m.name === PROCESS_RANKS_METRIC ? (a: Attributes) => relabel(a, this.keepPidConfig, this.learned) : (a: Attributes) => this.identity(a);
      return { ...m, points: m.points.map((p) => ({ ...p, attributes: identity(p.attributes) })) } as Metric;
    });
    this.outgoing.value += items;
    this.next.consume({ ...batch, metrics });
  }

  private identity(attributes: Attributes): Attributes {
    let out = this.cache.get(attributes);
    if (!out) this.cache.set(attributes, (out = relabel(attributes, this.config, this.learned)));
    return out;
  }

  /** Learns pid -> ranks from the receiver's info metric (in the same batch as the series it explains); a change starts a fresh cache. */
  private learn(metrics: readonly Metric[]): void {
    let changed = false;
    for (const m of metrics) {
      if (m.name !== PROCESS_RANKS_METRIC) continue;
      for (const p of m.points) {
        const pid = p.attributes.pid;
        if (pid === undefined || this.pidRanks.has(pid)) continue;
        const ranks: Record<string, string> = {};
        for (const k of RANK_LABELS) if (p.attributes[k] !== undefined) ranks[k] = p.attributes[k]!;
        this.pidRanks.set(pid, ranks);
        changed = true;
      }
    }
    if (changed) this.cache = new WeakMap();
  }
}
