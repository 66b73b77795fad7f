import { decode } from '@msgpack/msgpack';
import type { SequenceNumber } from '../../model/fpm.js';
import { FPM_VERSION, QUEUED_FIELDS, SCHEDULED_FIELDS, SLOT, SLOT_COUNT, type DecodedPayload, type RefusalReason, type SubField } from './schema.js';

/**
 * The general ForwardPassMetrics decoder: any valid msgpack through
 * @msgpack/msgpack, then checked field by field against the schema.
 * It is the reference: the fast decoder hands every message it does not
 * fully understand to this one, so refusal reasons always come from here.
 */
export type PayloadResult = { ok: true; payload: DecodedPayload } | { ok: false; reason: RefusalReason; detail: string };

/** The big-endian sequence number in the 8 bytes of `b` from `at`: a number below 2^53, else a bigint. */
export function readSequenceAt(b: Uint8Array, at: number): SequenceNumber {
  const hi = ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
  const lo = ((b[at + 4] << 24) | (b[at + 5] << 16) | (b[at + 6] << 8) | b[at + 7]) >>> 0;
  if (hi < 0x200000) return hi * 0x1_0000_0000 + lo;
  return (BigInt(hi) << 32n) | BigInt(lo);
}

function refuse(reason: RefusalReason, detail: string): PayloadResult {
  return { ok: false, reason, detail };
}

/** A non-negative integer as a number (bigints beyond 2^53 only where `allowBig`). */
function asCount(v: unknown, allowBig = false): SequenceNumber | undefined {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 ? v : undefined;
  if (typeof v === 'bigint') {
    if (v < 0n) return undefined;
    if (v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
    return allowBig ? v : undefined;
  }
  return undefined;
}

function asNonNegativeFloat(v: unknown): number | undefined {
  const n = typeof v === 'bigint' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : undefined;
}

function readSub(obj: unknown, name: string, fields: readonly SubField[], values: Float64Array): string | undefined {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return `${name} is not a map`;
  const map = obj as Record<string, unknown>;
  for (const f of fields) {
    if (!(f.key in map)) return `${name}.${f.key} is missing`;
    const v = f.type === 'int' ? asCount(map[f.key]) : asNonNegativeFloat(map[f.key]);
    if (v === undefined) return `${name}.${f.key} must be a non-negative ${f.type === 'int' ? 'integer' : 'finite number'}`;
    values[f.slot] = v as number;
  }
  return undefined;
}

export function decodePayload(bytes: Uint8Array): PayloadResult {
  let obj: unknown;
  try {
    obj = decode(bytes, { useBigInt64: true });
  } catch (err) {
    return refuse('msgpack', (err as Error).message);
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj) || obj instanceof Uint8Array) return refuse('not_map', `payload is ${Array.isArray(obj) ? 'an array' : typeof obj}, not a map`);
  const map = obj as Record<string, unknown>;
  let version = 0;
  if ('version' in map) {
    const v = asCount(map.version);
    if (v === undefined) return refuse('schema', 'version must be an integer');
    if (v !== FPM_VERSION) return refuse('version', `version ${v} is not supported (this bridge reads version ${FPM_VERSION} and the older form without version)`);
    version = v as number;
  }
  if (typeof map.worker_id !== 'string') return refuse('schema', 'worker_id must be a string');
  const values = new Float64Array(SLOT_COUNT);
  const dpRank = asCount(map.dp_rank);
  if (dpRank === undefined) return refuse('schema', 'dp_rank must be a non-negative integer');
  values[SLOT.dpRank] = dpRank as number;
  let counterId: SequenceNumber | undefined;
  if ('counter_id' in map) {
    counterId = asCount(map.counter_id, true);
    if (counterId === undefined) return refuse('schema', 'counter_id must be a non-negative integer');
  }
  const wall = asNonNegativeFloat(map.wall_time);
  if (wall === undefined) return refuse('schema', 'wall_time must be a non-negative finite number');
  values[SLOT.wallTime] = wall;
  const problem = readSub(map.scheduled_requests, 'scheduled_requests', SCHEDULED_FIELDS, values) ?? readSub(map.queued_requests, 'queued_requests', QUEUED_FIELDS, values);
  if (problem) return refuse('schema', problem);
  return { ok: true, payload: { version, workerId: map.worker_id, counterId, values } };
}
