/**
 * One ForwardPassMetrics message as the pipeline carries it: a flat record,
 * cheap to create hundreds of thousands of times a second.
 * Field meanings and units follow `shared/spec/fpm.md` §3.
 */

/** A sequence number: a number while it is at most 2^53 - 1, a bigint beyond. */
export type SequenceNumber = number | bigint;

export interface FpmRecord {
  /** Schema version from the payload; 0 for the older form that has none. */
  readonly version: number;
  /** worker_id after the receiver's fallback for "" is applied. */
  readonly workerId: string;
  readonly dpRank: number;
  /** counter_id from the payload, or the frame sequence number for the older form. */
  readonly counterId: SequenceNumber;
  /** Seconds this iteration took. */
  readonly wallTime: number;
  /** True for a heartbeat (wall_time 0 and all counts 0): proves liveness, is no iteration. */
  readonly heartbeat: boolean;
  readonly scheduledPrefillRequests: number;
  /** Freshly computed prompt tokens. */
  readonly scheduledPrefillTokens: number;
  /** Population variance of the full prompt lengths of the prefill requests. */
  readonly scheduledPrefillLengthVariance: number;
  /** Prompt tokens served from the prefix cache. */
  readonly scheduledPrefillCachedTokens: number;
  readonly scheduledDecodeRequests: number;
  /** Total KV context length over the decode requests. */
  readonly scheduledDecodeKvTokens: number;
  readonly scheduledDecodeKvTokensVariance: number;
  readonly queuedPrefillRequests: number;
  readonly queuedPrefillTokens: number;
  readonly queuedPrefillLengthVariance: number;
  readonly queuedDecodeRequests: number;
  readonly queuedDecodeKvTokens: number;
  readonly queuedDecodeKvTokensVariance: number;
  /** When the bridge received it (Unix ms). */
  readonly receivedAtMs: number;
  /**
   * The msgpack payload exactly as it arrived, for pass-through exporters;
   * undefined unless the receiver was asked to keep it (keep_payload), since
   * keeping it costs a copy per message.
   */
  readonly payload: Uint8Array | undefined;
}
