import type { Logger } from '../../telemetry/logger.js';
import type { SendOutcome } from './outcome.js';
import { mayRetry, retryDelayMs, type RetryPolicy } from './retry-policy.js';
import type { DeliveryTelemetry } from './telemetry.js';

/** Sends one item once; never throws (a thrown error counts as retryable). */
export type SendFunction<T> = (payload: T) => Promise<SendOutcome>;

export interface DeliveryQueueOptions<T> {
  /** The exporter's id, for logs. */
  readonly id: string;
  /** Most items (data points) held at once, the one being sent included. */
  readonly capacity: number;
  readonly retry: RetryPolicy;
  readonly send: SendFunction<T>;
  readonly telemetry: DeliveryTelemetry;
  readonly logger: Logger;
  readonly now: () => number;
}

interface Entry<T> {
  readonly payload: T;
  readonly items: number;
  /** Unix ms of the first attempt; undefined until it is made. */
  firstAttemptMs?: number;
  retries: number;
}

/**
 * A bounded FIFO in front of one destination, sent one item at a time (sends
 * never overlap: the next starts after the previous has an answer), with
 * retries by the policy. Every item ends delivered or counted as dropped
 * with a reason; nothing is lost silently.
 */
export class DeliveryQueue<T> {
  private readonly entries: Entry<T>[] = [];
  private queuedItems = 0;
  private sending = false;
  private backoff: NodeJS.Timeout | undefined;
  private deadlineMs: number | undefined;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly options: DeliveryQueueOptions<T>) {
    options.telemetry.queueCapacity.value = options.capacity;
  }

  /** Items waiting, the one in flight included. */
  get size(): number {
    return this.queuedItems;
  }

  /** Queues a payload of `items` items; false (and counted as queue_full) when it does not fit. */
  offer(payload: T, items: number): boolean {
    const { capacity, telemetry, logger, id } = this.options;
    if (this.deadlineMs !== undefined || this.queuedItems + items > capacity) {
      telemetry.drop(this.deadlineMs !== undefined ? 'shutdown' : 'queue_full', items);
      if (this.deadlineMs === undefined)
        logger.warn('export queue full: dropped', { exporter: id, items, queued: this.queuedItems, capacity, fix: 'the destination is slower than the data or down; raise queue_size or fix the destination' });
      return false;
    }
    this.entries.push({ payload, items, retries: 0 });
    this.queuedItems += items;
    telemetry.queueSize.value = this.queuedItems;
    this.pump();
    return true;
  }

  /**
   * Tries to deliver everything queued before `deadlineMs` (Unix ms): waiting
   * retries are made at once, backoffs are cut to the deadline. What is left
   * at the deadline is dropped and counted as `shutdown`. Later offers are refused.
   */
  async drain(deadlineMs: number): Promise<void> {
    this.deadlineMs = deadlineMs;
    if (this.backoff) {
      clearTimeout(this.backoff);
      this.backoff = undefined;
      this.pump();
    }
    if (!this.queuedItems) return;
    const waitMs = Math.max(0, deadlineMs - this.options.now());
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, waitMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    if (this.backoff) clearTimeout(this.backoff);
    this.backoff = undefined;
    for (const entry of this.entries.splice(0)) this.options.telemetry.drop('shutdown', entry.items);
    if (this.queuedItems) this.options.logger.warn('export queue not empty at shutdown: dropped', { exporter: this.options.id, items: this.queuedItems });
    this.queuedItems = 0;
    this.options.telemetry.queueSize.value = 0;
  }

  private pump(): void {
    if (this.sending || this.backoff || !this.entries.length) {
      if (!this.entries.length && !this.sending) this.notifyIdle();
      return;
    }
    const entry = this.entries[0]!;
    this.sending = true;
    const { send, telemetry, now } = this.options;
    entry.firstAttemptMs ??= now();
    telemetry.inFlight.value = 1;
    send(entry.payload)
      .catch((err: unknown): SendOutcome => ({ kind: 'retryable', reason: err instanceof Error ? err.message : String(err) }))
      .then((outcome) => {
        telemetry.inFlight.value = 0;
        this.sending = false;
        telemetry.attempt(outcome.kind);
        if (this.entries[0] !== entry) return this.pump(); // dropped by drain() meanwhile
        this.settle(entry, outcome);
        this.pump();
      });
  }

  private settle(entry: Entry<T>, outcome: SendOutcome): void {
    const { telemetry, logger, id, retry, now } = this.options;
    if (outcome.kind === 'delivered') {
      telemetry.sent.value += entry.items;
      return this.remove();
    }
    if (outcome.kind === 'permanent') {
      telemetry.drop('permanent_error', entry.items);
      logger.error('export refused by the destination: dropped (retrying cannot help)', { exporter: id, items: entry.items, reason: outcome.reason });
      return this.remove();
    }
    entry.retries++;
    let delay = retryDelayMs(retry, entry.retries, outcome.retryAfterMs);
    const nowMs = now();
    if (this.deadlineMs !== undefined) delay = Math.min(delay, Math.max(0, this.deadlineMs - nowMs));
    if (!mayRetry(retry, entry.firstAttemptMs!, nowMs, delay) || (this.deadlineMs !== undefined && nowMs >= this.deadlineMs)) {
      telemetry.drop(this.deadlineMs !== undefined ? 'shutdown' : 'retries_exhausted', entry.items);
      logger.error('export failed, no retries left: dropped', { exporter: id, items: entry.items, retries: entry.retries - 1, reason: outcome.reason });
      return this.remove();
    }
    logger.warn('export failed, will retry', { exporter: id, items: entry.items, retry: entry.retries, in_ms: Math.round(delay), reason: outcome.reason });
    this.backoff = setTimeout(() => {
      this.backoff = undefined;
      this.pump();
    }, delay);
  }

  private remove(): void {
    const entry = this.entries.shift()!;
    this.queuedItems -= entry.items;
    this.options.telemetry.queueSize.value = this.queuedItems;
  }

  private notifyIdle(): void {
    for (const wake of this.idleWaiters.splice(0)) wake();
  }
}
