import type { Consumer, CreateSettings, Processor } from '../../component/contracts.js';
import type { Batch } from '../../model/batch.js';
import type { FpmRecord } from '../../model/fpm.js';
import { countPoints, type Attributes, type Metric } from '../../model/metrics.js';
import type { Cell } from '../../telemetry/self-telemetry.js';
import type { WelfordConfig } from './config.js';
import { cumulativeMetrics, mergeRows, windowMetrics, type WindowRow } from './output.js';
import { SeriesState } from './series.js';

/**
 * Turns FPM records into metrics: per (worker_id, dp_rank) cumulative
 * counters and a wall-time histogram, and statistics over each window
 * (see output.ts). Heartbeats are not iterations and are left out.
 * Metric data in incoming batches passes through unchanged; records stop here.
 */
export class WelfordProcessor implements Processor {
  /** worker_id -> its states by dp_rank, and the attributes of its merged rows ({ worker_id, dp_rank: "all" }, made once). */
  private readonly series = new Map<string, { ranks: SeriesState[]; merged: Attributes }>();
  private readonly order: SeriesState[] = [];
  private timer: NodeJS.Timeout | undefined;
  private windowStartMs: number;
  private stopped = false;
  private readonly incoming: Cell;
  private readonly outgoing: Cell;

  constructor(
    private readonly settings: CreateSettings,
    private readonly config: WelfordConfig,
    private readonly next: Consumer,
  ) {
    this.windowStartMs = settings.now();
    ({ incoming: this.incoming, outgoing: this.outgoing } = settings.telemetry.processorFlow(settings.id));
  }

  async start(): Promise<void> {
    if (this.timer || this.stopped) return;
    this.windowStartMs = this.settings.now();
    this.timer = setInterval(() => this.closeWindow(), this.config.windowMs);
    this.timer.unref();
  }

  /** Emits the last, partial window and the final totals. */
  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.closeWindow();
  }

  consume(batch: Batch): void {
    if (batch.fpm) {
      this.incoming.value += batch.fpm.length;
      for (const r of batch.fpm) if (!r.heartbeat) this.state(r).add(r);
    }
    if (batch.metrics && batch.metrics.length) this.forward(batch.metrics);
  }

  /** Ends the current window now: window statistics and cumulative totals go downstream. */
  closeWindow(): void {
    const now = this.settings.now();
    const rows: WindowRow[] = [];
    for (const { ranks, merged } of this.series.values()) {
      const present = ranks.filter(Boolean);
      const states = present.map((s) => s.takeWindow());
      present.forEach((s, i) => rows.push({ attributes: s.attributes, states: states[i], ranks: 1 }));
      if (this.config.mergeRanks && present.length) rows.push({ attributes: merged, states: mergeRows(states), ranks: present.length });
    }
    const start = this.windowStartMs;
    this.windowStartMs = now;
    if (!this.order.length) return;
    this.forward([...cumulativeMetrics(this.order, now, this.config.wallTimeBuckets), ...windowMetrics(rows, start, now)]);
  }

  private forward(metrics: readonly Metric[]): void {
    this.outgoing.value += countPoints(metrics);
    this.next.consume({ metrics });
  }

  private state(r: FpmRecord): SeriesState {
    let worker = this.series.get(r.workerId);
    if (!worker) {
      worker = { ranks: [], merged: { worker_id: r.workerId, dp_rank: 'all' } };
      this.series.set(r.workerId, worker);
    }
    const ranks = worker.ranks;
    let s = ranks[r.dpRank];
    if (!s) {
      s = new SeriesState(r.workerId, r.dpRank, r.receivedAtMs, this.config.wallTimeBuckets);
      ranks[r.dpRank] = s;
      this.order.push(s);
    }
    return s;
  }
}
