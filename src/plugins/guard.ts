import type { Component, Consumer, CreateSettings, Factory, Host } from '../component/contracts.js';
import type { Batch } from '../model/batch.js';
import { batchItemCount } from '../model/batch.js';

/** How long a plugin's start(), shutdown() or asynchronous consume() may take (ms). */
export const PLUGIN_CALL_TIMEOUT_MS = 5000;
/** Most unfinished asynchronous consume() calls a plugin may have before batches are dropped for it. */
export const PLUGIN_MAX_PENDING = 64;

type Reason = 'threw' | 'rejected' | 'hung' | 'backlog';

/**
 * Wraps a plugin's factory so that its components cannot take the bridge down:
 * - consume() that throws: the batch is dropped for this plugin only;
 * - consume() that returns a promise which rejects: the same, when it rejects;
 * - consume() whose promise does not settle within PLUGIN_CALL_TIMEOUT_MS:
 *   the plugin counts as hung and batches are dropped for it until it settles;
 * - more than PLUGIN_MAX_PENDING unsettled consume() promises: dropped.
 * Each case is counted in bridge_plugin_failed_items_total{component, plugin, reason}
 * and logged. start() that does not finish in time fails the start-up with
 * the plugin's name; shutdown() that hangs is abandoned after the timeout.
 * A plugin that blocks the event loop synchronously cannot be guarded in
 * process: don't.
 */
export function guardFactory(factory: Factory, plugin: string, timeoutMs = PLUGIN_CALL_TIMEOUT_MS): Factory {
  const wrap = <T extends Component>(settings: CreateSettings, component: T): T => new GuardedComponent(component, settings, plugin, factory.kind, timeoutMs) as unknown as T;
  switch (factory.kind) {
    case 'receiver':
      return { ...factory, create: (settings, config, next) => wrap(settings, factory.create(settings, config, next)) };
    case 'processor':
      return { ...factory, create: (settings, config, next) => wrap(settings, factory.create(settings, config, next)) };
    case 'exporter':
      return { ...factory, create: (settings: CreateSettings, config: unknown) => wrap(settings, factory.create(settings, config)) };
  }
}

class GuardedComponent implements Component, Consumer {
  private pending = 0;
  private hungSince: number | undefined;

  constructor(
    private readonly inner: Component & Partial<Consumer>,
    private readonly settings: CreateSettings,
    private readonly plugin: string,
    private readonly kind: string,
    private readonly timeoutMs: number,
  ) {}

  async start(host: Host): Promise<void> {
    const done = await withTimeout(this.inner.start(host), this.timeoutMs);
    if (!done) throw new Error(`plugin "${this.plugin}": ${this.kind} "${this.settings.id}" did not start within ${this.timeoutMs} ms`);
  }

  async shutdown(): Promise<void> {
    const done = await withTimeout(this.inner.shutdown(), this.timeoutMs);
    if (!done) this.settings.logger.error('plugin did not shut down in time; abandoned', { plugin: this.plugin, component: this.settings.id, timeout_ms: this.timeoutMs });
  }

  consume(batch: Batch): void {
    if (this.hungSince !== undefined) return this.fail('hung', batch);
    if (this.pending >= PLUGIN_MAX_PENDING) return this.fail('backlog', batch);
    let result: unknown;
    try {
      result = (this.inner.consume as (b: Batch) => unknown)(batch);
    } catch (err) {
      return this.fail('threw', batch, err);
    }
    if (result && typeof (result as PromiseLike<unknown>).then === 'function') this.track(result as PromiseLike<unknown>, batch);
  }

  private track(promise: PromiseLike<unknown>, batch: Batch): void {
    this.pending++;
    const timer = setTimeout(() => {
      if (this.hungSince === undefined) {
        this.hungSince = Date.now();
        this.settings.logger.error('plugin consume() has not finished; batches are dropped for it until it does', { plugin: this.plugin, component: this.settings.id, timeout_ms: this.timeoutMs });
      }
    }, this.timeoutMs);
    timer.unref();
    const settle = () => {
      clearTimeout(timer);
      this.pending--;
      if (this.pending === 0 && this.hungSince !== undefined) {
        this.settings.logger.info('plugin consume() finished again; batches flow to it again', { plugin: this.plugin, component: this.settings.id, hung_ms: Date.now() - this.hungSince });
        this.hungSince = undefined;
      }
    };
    promise.then(settle, (err: unknown) => {
      settle();
      this.fail('rejected', batch, err);
    });
  }

  private fail(reason: Reason, batch: Batch, err?: unknown): void {
    const cell = this.settings.telemetry.counter('bridge_plugin_failed_items_total', 'Items a plugin component failed on (threw, rejected, hung, backlog): dropped for that component only.', { component: this.settings.id, plugin: this.plugin, reason });
    const first = cell.value === 0;
    cell.value += batchItemCount(batch);
    if (err !== undefined || first) this.settings.logger.error(`plugin consume() ${reason}; the batch was dropped for it only`, { plugin: this.plugin, component: this.settings.id, error: err });
  }
}

/** Resolves true when the promise settles in time (rejections propagate), false on timeout. */
async function withTimeout(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
