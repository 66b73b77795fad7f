import type { FpmRecord, SequenceNumber } from '../../model/fpm.js';
import type { Logger } from '../../telemetry/logger.js';
import { FastFpmDecoder } from './fast-decode.js';
import type { Frames } from './frames.js';
import { decodeMessage } from './message.js';
import { REFUSAL_REASONS, toRecord, type RefusalReason } from './schema.js';
import { SequenceTracker } from './sequence.js';

/** Counts of one endpoint under one identity (worker_id, dp_rank), since `startTimeMs`. */
export interface StreamCounts {
  workerId: string;
  readonly dpRank: number;
  readonly startTimeMs: number;
  iterations: number;
  heartbeats: number;
  lost: number;
  restarts: number;
  disconnects: number;
  refused: Record<RefusalReason, number>;
}

function freshCounts(workerId: string, dpRank: number, startTimeMs: number): StreamCounts {
  const refused = {} as Record<RefusalReason, number>;
  for (const r of REFUSAL_REASONS) refused[r] = 0;
  return { workerId, dpRank, startTimeMs, iterations: 0, heartbeats: 0, lost: 0, restarts: 0, disconnects: 0, refused };
}

/**
 * What the bridge knows about one publisher endpoint (one dp rank): its
 * sequence, liveness, and counts. No sockets here: `handle` takes frames and
 * a time, so it is tested without the network.
 *
 * Identity: the worker_id of the last valid message (or the configured
 * fallback). Counts start afresh when the identity changes, so each series
 * has one writer and one start time. Without a configured worker_id, nothing
 * is reported before the first valid message says who this is; refusals
 * seen before then are carried over.
 */
export class FpmStream {
  private readonly tracker = new SequenceTracker();
  private readonly decoder = new FastFpmDecoder();
  private counts: StreamCounts | undefined;
  private readonly early: StreamCounts;
  private lastSeenMs = -Infinity;
  private readonly warned = new Set<RefusalReason>();

  constructor(
    readonly endpoint: string,
    readonly dpRank: number,
    private readonly fallbackWorkerId: string,
    private readonly logger: Logger,
    private readonly onRefused: (reason: RefusalReason) => void,
    private readonly onLost: (count: number) => void,
    startTimeMs: number,
    private readonly keepPayload = false,
  ) {
    this.early = freshCounts(fallbackWorkerId, dpRank, startTimeMs);
    if (fallbackWorkerId) this.counts = this.early;
  }

  /** Decodes one message; returns its record (data or heartbeat) or undefined when refused. */
  handle(frames: Frames, nowMs: number): FpmRecord | undefined {
    const result = decodeMessage(frames, this.decoder);
    if (!result.ok) {
      const counts = this.counts ?? this.early;
      if (result.seq !== undefined) this.track(counts, result.seq);
      counts.refused[result.reason]++;
      this.onRefused(result.reason);
      this.logRefusal(result.reason, result.detail, counts.refused[result.reason]);
      return undefined;
    }
    const workerId = result.payload.workerId || this.fallbackWorkerId || 'unknown';
    let counts = this.counts;
    if (!counts || counts.workerId !== workerId) counts = this.rekey(workerId, nowMs);
    this.track(counts, result.seq);
    this.lastSeenMs = nowMs;
    // A kept payload is copied: the frames are ranges of a read buffer that the next read reuses.
    const record = toRecord(result.payload, result.seq, workerId, this.keepPayload ? frames.copy(2) : undefined, nowMs);
    if (record.heartbeat) counts.heartbeats++;
    else counts.iterations++;
    return record;
  }

  /** Loss and restarts from the sequence number of any message whose sequence frame was readable. */
  private track(counts: StreamCounts, seq: SequenceNumber): void {
    const step = this.tracker.observe(seq);
    if (step.lost) {
      counts.lost += step.lost;
      this.onLost(step.lost);
    }
    if (step.restarted) counts.restarts++;
  }

  /** libzmq closed the connection (publisher gone, or a message over max_message_bytes). */
  disconnected(): void {
    (this.counts ?? this.early).disconnects++;
  }

  /** 1 while data or a heartbeat arrived within `timeoutMs`; undefined while nothing is known. */
  up(nowMs: number, timeoutMs: number): number {
    return nowMs - this.lastSeenMs < timeoutMs ? 1 : 0;
  }

  /** The counts to report, or undefined before this endpoint's identity is known. */
  current(): StreamCounts | undefined {
    return this.counts;
  }

  private rekey(workerId: string, nowMs: number): StreamCounts {
    const previous = this.counts;
    const next = previous ? freshCounts(workerId, this.dpRank, nowMs) : this.early;
    if (!previous) next.workerId = workerId;
    else this.logger.warn('worker_id changed on an endpoint: its stream-health series start afresh under the new worker_id', { endpoint: this.endpoint, from: previous.workerId, to: workerId });
    this.counts = next;
    return next;
  }

  private logRefusal(reason: RefusalReason, detail: string, count: number): void {
    if (!this.warned.has(reason)) {
      this.warned.add(reason);
      this.logger.warn('refused an FPM message (counted in sglang_fpm_messages_refused_total; further ones of this reason are logged at debug)', { endpoint: this.endpoint, dp_rank: this.dpRank, reason, detail });
    } else {
      this.logger.debug('refused an FPM message', { endpoint: this.endpoint, reason, detail, count });
    }
  }
}
