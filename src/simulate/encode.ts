import type { SequenceNumber } from '../model/fpm.js';

/**
 * Encodes a ForwardPassMetrics payload exactly as SGLang's msgspec does
 * (shared/spec/fpm.md §3): a map keyed by field name in schema order, every
 * field present, integers in their smallest msgpack form, floats always
 * float64 (so 0.0 stays a float). Used by the simulator.
 */
export interface FpmPayload {
  /** Omit (undefined) for the older form: then counter_id is omitted too. */
  version?: number;
  worker_id: string;
  dp_rank: number;
  counter_id?: SequenceNumber;
  wall_time: number;
  scheduled_requests: {
    num_prefill_requests: number;
    sum_prefill_tokens: number;
    var_prefill_length: number;
    sum_prefill_kv_tokens: number;
    num_decode_requests: number;
    sum_decode_kv_tokens: number;
    var_decode_kv_tokens: number;
  };
  queued_requests: {
    num_prefill_requests: number;
    sum_prefill_tokens: number;
    var_prefill_length: number;
    num_decode_requests: number;
    sum_decode_kv_tokens: number;
    var_decode_kv_tokens: number;
  };
}

class Writer {
  private buf = Buffer.allocUnsafe(512);
  private p = 0;

  private ensure(n: number): void {
    if (this.p + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.p + n));
    this.buf.copy(next, 0, 0, this.p);
    this.buf = next;
  }

  mapHeader(n: number): void {
    this.ensure(3);
    if (n < 16) this.buf[this.p++] = 0x80 | n;
    else {
      this.buf[this.p++] = 0xde;
      this.buf.writeUInt16BE(n, this.p);
      this.p += 2;
    }
  }

  str(s: string): void {
    const bytes = Buffer.from(s, 'utf8');
    this.ensure(bytes.length + 5);
    if (bytes.length < 32) this.buf[this.p++] = 0xa0 | bytes.length;
    else if (bytes.length < 256) {
      this.buf[this.p++] = 0xd9;
      this.buf[this.p++] = bytes.length;
    } else {
      this.buf[this.p++] = 0xda;
      this.buf.writeUInt16BE(bytes.length, this.p);
      this.p += 2;
    }
    bytes.copy(this.buf, this.p);
    this.p += bytes.length;
  }

  uint(v: SequenceNumber): void {
    this.ensure(9);
    if (typeof v === 'bigint' || v > 0xffffffff) {
      this.buf[this.p++] = 0xcf;
      this.buf.writeBigUInt64BE(BigInt(v), this.p);
      this.p += 8;
    } else if (v < 128) this.buf[this.p++] = v;
    else if (v < 256) {
      this.buf[this.p++] = 0xcc;
      this.buf[this.p++] = v;
    } else if (v < 65536) {
      this.buf[this.p++] = 0xcd;
      this.buf.writeUInt16BE(v, this.p);
      this.p += 2;
    } else {
      this.buf[this.p++] = 0xce;
      this.buf.writeUInt32BE(v, this.p);
      this.p += 4;
    }
  }

  float(v: number): void {
    this.ensure(9);
    this.buf[this.p++] = 0xcb;
    this.buf.writeDoubleBE(v, this.p);
    this.p += 8;
  }

  bytes(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.p));
  }
}

export function encodeFpmPayload(m: FpmPayload): Buffer {
  const w = new Writer();
  const v1 = m.version !== undefined;
  w.mapHeader(v1 ? 7 : 5);
  if (v1) {
    w.str('version');
    w.uint(m.version!);
  }
  w.str('worker_id');
  w.str(m.worker_id);
  w.str('dp_rank');
  w.uint(m.dp_rank);
  if (v1) {
    w.str('counter_id');
    w.uint(m.counter_id ?? 0);
  }
  w.str('wall_time');
  w.float(m.wall_time);
  const s = m.scheduled_requests;
  w.str('scheduled_requests');
  w.mapHeader(7);
  for (const [k, v, isFloat] of [
    ['num_prefill_requests', s.num_prefill_requests, false],
    ['sum_prefill_tokens', s.sum_prefill_tokens, false],
    ['var_prefill_length', s.var_prefill_length, true],
    ['sum_prefill_kv_tokens', s.sum_prefill_kv_tokens, false],
    ['num_decode_requests', s.num_decode_requests, false],
    ['sum_decode_kv_tokens', s.sum_decode_kv_tokens, false],
    ['var_decode_kv_tokens', s.var_decode_kv_tokens, true],
  ] as const) {
    w.str(k);
    if (isFloat) w.float(v);
    else w.uint(v);
  }
  const q = m.queued_requests;
  w.str('queued_requests');
  w.mapHeader(6);
  for (const [k, v, isFloat] of [
    ['num_prefill_requests', q.num_prefill_requests, false],
    ['sum_prefill_tokens', q.sum_prefill_tokens, false],
    ['var_prefill_length', q.var_prefill_length, true],
    ['num_decode_requests', q.num_decode_requests, false],
    ['sum_decode_kv_tokens', q.sum_decode_kv_tokens, false],
    ['var_decode_kv_tokens', q.var_decode_kv_tokens, true],
  ] as const) {
    w.str(k);
    if (isFloat) w.float(v);
    else w.uint(v);
  }
  return w.bytes();
}

/** The 8-byte big-endian sequence frame. */
export function sequenceFrame(seq: SequenceNumber): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeBigUInt64BE(BigInt(seq));
  return b;
}
