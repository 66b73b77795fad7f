import type { FpmRecord, SequenceNumber } from '../../model/fpm.js';

/**
 * The ForwardPassMetrics payload schema (shared/spec/fpm.md §3), as tables
 * both decoders use: the general one (decode.ts) and the fast one (fast-decode.ts).
 */
export const FPM_VERSION = 1;

/** Why a message was refused; the `reason` label of `sglang_fpm_messages_refused_total`. */
export type RefusalReason = 'frame_count' | 'seq_frame' | 'msgpack' | 'not_map' | 'schema' | 'version';
export const REFUSAL_REASONS: readonly RefusalReason[] = ['frame_count', 'seq_frame', 'msgpack', 'not_map', 'schema', 'version'];

/** int: a non-negative integer; float: a finite number >= 0 (integers accepted, as msgspec does). */
export type FieldType = 'int' | 'float';

/** Sub-structure fields: payload key, type, and slot in the value vector. */
export interface SubField {
  readonly key: string;
  readonly type: FieldType;
  readonly slot: number;
}

export const SLOT = {
  wallTime: 0,
  dpRank: 1,
  sPrefillRequests: 2,
  sPrefillTokens: 3,
  sPrefillLengthVar: 4,
  sPrefillCached: 5,
  sDecodeRequests: 6,
  sDecodeKv: 7,
  sDecodeKvVar: 8,
  qPrefillRequests: 9,
  qPrefillTokens: 10,
  qPrefillLengthVar: 11,
  qDecodeRequests: 12,
  qDecodeKv: 13,
  qDecodeKvVar: 14,
} as const;
export const SLOT_COUNT = 15;

export const SCHEDULED_FIELDS: readonly SubField[] = [
  { key: 'num_prefill_requests', type: 'int', slot: SLOT.sPrefillRequests },
  { key: 'sum_prefill_tokens', type: 'int', slot: SLOT.sPrefillTokens },
  { key: 'var_prefill_length', type: 'float', slot: SLOT.sPrefillLengthVar },
  { key: 'sum_prefill_kv_tokens', type: 'int', slot: SLOT.sPrefillCached },
  { key: 'num_decode_requests', type: 'int', slot: SLOT.sDecodeRequests },
  { key: 'sum_decode_kv_tokens', type: 'int', slot: SLOT.sDecodeKv },
  { key: 'var_decode_kv_tokens', type: 'float', slot: SLOT.sDecodeKvVar },
];

export const QUEUED_FIELDS: readonly SubField[] = [
  { key: 'num_prefill_requests', type: 'int', slot: SLOT.qPrefillRequests },
  { key: 'sum_prefill_tokens', type: 'int', slot: SLOT.qPrefillTokens },
  { key: 'var_prefill_length', type: 'float', slot: SLOT.qPrefillLengthVar },
  { key: 'num_decode_requests', type: 'int', slot: SLOT.qDecodeRequests },
  { key: 'sum_decode_kv_tokens', type: 'int', slot: SLOT.qDecodeKv },
  { key: 'var_decode_kv_tokens', type: 'float', slot: SLOT.qDecodeKvVar },
];

/** Top-level keys. `version` and `counter_id` are absent in the older form. */
export const TOP_KEYS = ['version', 'worker_id', 'dp_rank', 'counter_id', 'wall_time', 'scheduled_requests', 'queued_requests'] as const;

/** The parts of a decoded payload, before the receiver adds its context. */
export interface DecodedPayload {
  version: number;
  workerId: string;
  counterId: SequenceNumber | undefined;
  values: Float64Array;
}

/** A heartbeat: wall_time 0 and every count 0 (spec §4). Variances are not looked at. */
export function isHeartbeat(v: Float64Array): boolean {
  return (
    v[SLOT.wallTime] === 0 &&
    v[SLOT.sPrefillRequests] === 0 &&
    v[SLOT.sPrefillTokens] === 0 &&
    v[SLOT.sPrefillCached] === 0 &&
    v[SLOT.sDecodeRequests] === 0 &&
    v[SLOT.sDecodeKv] === 0 &&
    v[SLOT.qPrefillRequests] === 0 &&
    v[SLOT.qPrefillTokens] === 0 &&
    v[SLOT.qDecodeRequests] === 0 &&
    v[SLOT.qDecodeKv] === 0
  );
}

/** Builds the pipeline record; one object shape for every record (keeps V8 fast). */
export function toRecord(p: DecodedPayload, seq: SequenceNumber, workerId: string, payload: Uint8Array | undefined, receivedAtMs: number): FpmRecord {
  const v = p.values;
  return {
    version: p.version,
    workerId,
    dpRank: v[SLOT.dpRank],
    counterId: p.counterId ?? seq,
    wallTime: v[SLOT.wallTime],
    heartbeat: isHeartbeat(v),
    scheduledPrefillRequests: v[SLOT.sPrefillRequests],
    scheduledPrefillTokens: v[SLOT.sPrefillTokens],
    scheduledPrefillLengthVariance: v[SLOT.sPrefillLengthVar],
    scheduledPrefillCachedTokens: v[SLOT.sPrefillCached],
    scheduledDecodeRequests: v[SLOT.sDecodeRequests],
    scheduledDecodeKvTokens: v[SLOT.sDecodeKv],
    scheduledDecodeKvTokensVariance: v[SLOT.sDecodeKvVar],
    queuedPrefillRequests: v[SLOT.qPrefillRequests],
    queuedPrefillTokens: v[SLOT.qPrefillTokens],
    queuedPrefillLengthVariance: v[SLOT.qPrefillLengthVar],
    queuedDecodeRequests: v[SLOT.qDecodeRequests],
    queuedDecodeKvTokens: v[SLOT.qDecodeKv],
    queuedDecodeKvTokensVariance: v[SLOT.qDecodeKvVar],
    receivedAtMs,
    payload,
  };
}

/** The record in the payload's own shape (snake_case, nested), as `fpm tail` prints it. */
export function toWireShape(r: FpmRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (r.version) out.version = r.version;
  out.worker_id = r.workerId;
  out.dp_rank = r.dpRank;
  if (r.version) out.counter_id = typeof r.counterId === 'bigint' ? r.counterId.toString() : r.counterId;
  out.wall_time = r.wallTime;
  out.scheduled_requests = {
    num_prefill_requests: r.scheduledPrefillRequests,
    sum_prefill_tokens: r.scheduledPrefillTokens,
    var_prefill_length: r.scheduledPrefillLengthVariance,
    sum_prefill_kv_tokens: r.scheduledPrefillCachedTokens,
    num_decode_requests: r.scheduledDecodeRequests,
    sum_decode_kv_tokens: r.scheduledDecodeKvTokens,
    var_decode_kv_tokens: r.scheduledDecodeKvTokensVariance,
  };
  out.queued_requests = {
    num_prefill_requests: r.queuedPrefillRequests,
    sum_prefill_tokens: r.queuedPrefillTokens,
    var_prefill_length: r.queuedPrefillLengthVariance,
    num_decode_requests: r.queuedDecodeRequests,
    sum_decode_kv_tokens: r.queuedDecodeKvTokens,
    var_decode_kv_tokens: r.queuedDecodeKvTokensVariance,
  };
  return out;
}
