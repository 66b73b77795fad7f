import { FPM_VERSION, QUEUED_FIELDS, SCHEDULED_FIELDS, SLOT, SLOT_COUNT, TOP_KEYS, type DecodedPayload } from './schema.js';

/**
 * A msgpack reader specialised for the ForwardPassMetrics payload: it walks
 * the bytes once, matches keys by bytes (no strings made except a new
 * worker_id), and fills a value vector. It accepts only what it fully
 * understands and returns undefined for everything else (malformed input,
 * integers beyond 2^53, a float where an integer belongs...), so that the
 * general decoder gives the verdict and the reason. It never refuses.
 *
 * Contract: the returned payload's `values` vector is reused by the next
 * call; turn it into a record before decoding again. It reads the bytes of
 * `data` from `start` to `end` only (the rest of a read buffer is other
 * messages): every read is checked against `end`.
 */
const encoder = new TextEncoder();
const TOP = TOP_KEYS.map((k) => encoder.encode(k));
const SCHED = SCHEDULED_FIELDS.map((f) => encoder.encode(f.key));
const QUEUED = QUEUED_FIELDS.map((f) => encoder.encode(f.key));
const SCHED_SLOTS = SCHEDULED_FIELDS.map((f) => f.slot);
const QUEUED_SLOTS = QUEUED_FIELDS.map((f) => f.slot);
const SCHED_INT = SCHEDULED_FIELDS.map((f) => f.type === 'int');
const QUEUED_INT = QUEUED_FIELDS.map((f) => f.type === 'int');
const ALL_SCHED = (1 << SCHED.length) - 1;
const ALL_QUEUED = (1 << QUEUED.length) - 1;
const K_VERSION = 0, K_WORKER = 1, K_DP = 2, K_COUNTER = 3, K_WALL = 4, K_SCHED = 5, K_QUEUED = 6;
const REQUIRED_TOP = (1 << K_WORKER) | (1 << K_DP) | (1 << K_WALL) | (1 << K_SCHED) | (1 << K_QUEUED);
const FAIL = -1;

export class FastFpmDecoder {
  private b: Uint8Array = new Uint8Array(0);
  private view: DataView = new DataView(new ArrayBuffer(0));
  /** byteOffset of `b` in the view's buffer: view reads are at base + p. */
  private base = 0;
  /** Position in `b`, and the end of the payload in `b`. */
  private p = 0;
  private end = 0;
  private readonly values = new Float64Array(SLOT_COUNT);
  private lastWorkerBytes: Uint8Array = new Uint8Array(0);
  private lastWorker = '';
  private readonly result: DecodedPayload = { version: 0, workerId: '', counterId: undefined, values: this.values };

  /** The payload in `data` from `start` to `end` (default: all of `data`). */
  decode(data: Uint8Array, start = 0, end = data.length): DecodedPayload | undefined {
    try {
      return this.read(data, start, end);
    } catch {
      return undefined; // a read past the end of the underlying buffer: let the general decoder judge
    }
  }

  private read(data: Uint8Array, start: number, end: number): DecodedPayload | undefined {
    // One DataView per underlying buffer (a socket read holds many messages), positions made absolute.
    if (this.view.buffer !== data.buffer) this.view = new DataView(data.buffer);
    this.b = data;
    this.base = data.byteOffset;
    this.p = start;
    this.end = end;
    const n = this.mapHeader();
    if (n < 0) return undefined;
    let seen = 0;
    let version = 0;
    let counterId: number | undefined;
    let workerId = '';
    for (let i = 0; i < n; i++) {
      const k = this.key(TOP, i);
      if (k === -2) return undefined;
      switch (k) {
        case K_VERSION:
          version = this.uint();
          if (version !== FPM_VERSION) return undefined;
          break;
        case K_WORKER: {
          const w = this.workerId();
          if (w === undefined) return undefined;
          workerId = w;
          break;
        }
        case K_DP: {
          const v = this.uint();
          if (v < 0) return undefined;
          this.values[SLOT.dpRank] = v;
          break;
        }
        case K_COUNTER: {
          const v = this.uint();
          if (v < 0) return undefined;
          counterId = v;
          break;
        }
        case K_WALL: {
          const v = this.float();
          if (!(v >= 0) || v === Infinity) return undefined;
          this.values[SLOT.wallTime] = v;
          break;
        }
        case K_SCHED:
          if (!this.sub(SCHED, SCHED_SLOTS, SCHED_INT, ALL_SCHED)) return undefined;
          break;
        case K_QUEUED:
          if (!this.sub(QUEUED, QUEUED_SLOTS, QUEUED_INT, ALL_QUEUED)) return undefined;
          break;
        default:
          if (!this.skip()) return undefined;
          continue;
      }
      seen |= 1 << k;
    }
    if ((seen & REQUIRED_TOP) !== REQUIRED_TOP || this.p !== end) return undefined;
    const r = this.result;
    r.version = version;
    r.workerId = workerId;
    r.counterId = counterId;
    return r;
  }

  /** A map of this sub-structure; every field present and well typed. */
  private sub(keys: Uint8Array[], slots: number[], isInt: boolean[], all: number): boolean {
    const n = this.mapHeader();
    if (n < 0) return false;
    let seen = 0;
    for (let i = 0; i < n; i++) {
      const k = this.key(keys, i);
      if (k === -2) return false;
      if (k === -1) {
        if (!this.skip()) return false;
        continue;
      }
      const v = isInt[k] ? this.uint() : this.float();
      if (!(v >= 0) || v === Infinity) return false;
      this.values[slots[k]] = v;
      seen |= 1 << k;
    }
    return seen === all;
  }

  private mapHeader(): number {
    if (this.p >= this.end) return FAIL;
    const t = this.b[this.p];
    if (t >= 0x80 && t <= 0x8f) {
      this.p += 1;
      return t & 0x0f;
    }
    if (t === 0xde && this.p + 3 <= this.end) {
      const n = this.view.getUint16(this.base + this.p + 1);
      this.p += 3;
      return n;
    }
    return FAIL;
  }

  /** Index of the key among `keys` (trying `hint` first), -1 for an unknown key, -2 when it is no string. */
  private key(keys: Uint8Array[], hint: number): number {
    const b = this.b;
    const len = this.stringHeader();
    if (len < 0) return -2;
    const start = this.p;
    this.p += len;
    if (this.p > this.end) return -2;
    const count = keys.length;
    for (let j = 0; j < count; j++) {
      const idx = (hint + j) % count;
      const k = keys[idx];
      if (k.length !== len) continue;
      let same = true;
      for (let x = 0; x < len; x++) {
        if (b[start + x] !== k[x]) {
          same = false;
          break;
        }
      }
      if (same) return idx;
    }
    return -1;
  }

  /** A non-negative integer no larger than 2^53 - 1; -1 otherwise. */
  private uint(): number {
    const b = this.b;
    const p = this.p;
    const end = this.end;
    if (p >= end) return FAIL;
    const t = b[p];
    if (t <= 0x7f) {
      this.p = p + 1;
      return t;
    }
    switch (t) {
      case 0xcc:
        if (p + 2 > end) return FAIL;
        this.p = p + 2;
        return b[p + 1];
      case 0xcd:
        if (p + 3 > end) return FAIL;
        this.p = p + 3;
        return this.view.getUint16(this.base + p + 1);
      case 0xce:
        if (p + 5 > end) return FAIL;
        this.p = p + 5;
        return this.view.getUint32(this.base + p + 1);
      case 0xcf: {
        if (p + 9 > end) return FAIL;
        const hi = this.view.getUint32(this.base + p + 1);
        if (hi >= 0x200000) return FAIL;
        this.p = p + 9;
        return hi * 0x1_0000_0000 + this.view.getUint32(this.base + p + 5);
      }
      default:
        return FAIL;
    }
  }

  /** A float64/float32, or an integer read as a float; NaN when it is neither. */
  private float(): number {
    if (this.p >= this.end) return NaN;
    const t = this.b[this.p];
    if (t === 0xcb) {
      if (this.p + 9 > this.end) return NaN;
      const v = this.view.getFloat64(this.base + this.p + 1);
      this.p += 9;
      return v;
    }
    if (t === 0xca) {
      if (this.p + 5 > this.end) return NaN;
      const v = this.view.getFloat32(this.base + this.p + 1);
      this.p += 5;
      return v;
    }
    const v = this.uint();
    return v < 0 ? NaN : v;
  }

  /** Length of the string (fixstr or str8) that starts here, moving past its header; -1 when it is none. */
  private stringHeader(): number {
    if (this.p >= this.end) return -1;
    const t = this.b[this.p];
    if (t >= 0xa0 && t <= 0xbf) {
      this.p += 1;
      return t & 0x1f;
    }
    if (t === 0xd9 && this.p + 1 < this.end) {
      this.p += 2;
      return this.b[this.p - 1];
    }
    return -1;
  }

  private workerId(): string | undefined {
    const b = this.b;
    const len = this.stringHeader();
    if (len < 0) return undefined;
    const start = this.p;
    this.p += len;
    if (this.p > this.end) return undefined;
    const last = this.lastWorkerBytes;
    if (last.length === len) {
      let same = true;
      for (let x = 0; x < len; x++) {
        if (b[start + x] !== last[x]) {
          same = false;
          break;
        }
      }
      if (same) return this.lastWorker;
    }
    this.lastWorkerBytes = b.slice(start, start + len);
    this.lastWorker = Buffer.from(b.buffer, b.byteOffset + start, len).toString('utf8');
    return this.lastWorker;
  }

  /** Skips one msgpack value of any type; false when the bytes end early or are invalid. */
  private skip(): boolean {
    const b = this.b;
    const end = this.end;
    if (this.p >= end) return false;
    const t = b[this.p];
    let items = 0;
    let len = 0;
    let head = 1;
    if (t <= 0x7f || t >= 0xe0 || t === 0xc0 || t === 0xc2 || t === 0xc3) len = 0;
    else if (t >= 0xa0 && t <= 0xbf) len = t & 0x1f;
    else if (t >= 0x90 && t <= 0x9f) items = t & 0x0f;
    else if (t >= 0x80 && t <= 0x8f) items = (t & 0x0f) * 2;
    else {
      if (this.p + 5 > end && t !== 0xcc && t !== 0xd0 && t !== 0xd9 && t !== 0xc4 && t !== 0xd4) return false;
      switch (t) {
        case 0xcc: case 0xd0: len = 1; break;
        case 0xcd: case 0xd1: len = 2; break;
        case 0xce: case 0xd2: case 0xca: len = 4; break;
        case 0xcf: case 0xd3: case 0xcb: len = 8; break;
        case 0xd9: case 0xc4: head = 2; len = b[this.p + 1]; break;
        case 0xda: case 0xc5: head = 3; len = this.view.getUint16(this.base + this.p + 1); break;
        case 0xdb: case 0xc6: head = 5; len = this.view.getUint32(this.base + this.p + 1); break;
        case 0xdc: head = 3; items = this.view.getUint16(this.base + this.p + 1); break;
        case 0xdd: head = 5; items = this.view.getUint32(this.base + this.p + 1); break;
        case 0xde: head = 3; items = this.view.getUint16(this.base + this.p + 1) * 2; break;
        case 0xdf: head = 5; items = this.view.getUint32(this.base + this.p + 1) * 2; break;
        case 0xd4: len = 2; break;
        case 0xd5: len = 3; break;
        case 0xd6: len = 5; break;
        case 0xd7: len = 9; break;
        case 0xd8: len = 17; break;
        case 0xc7: head = 3; len = b[this.p + 1] + 1; break;
        case 0xc8: head = 4; len = this.view.getUint16(this.base + this.p + 1) + 1; break;
        case 0xc9: head = 6; len = this.view.getUint32(this.base + this.p + 1) + 1; break;
        default: return false;
      }
    }
    this.p += head + len;
    if (this.p > end) return false;
    for (let i = 0; i < items; i++) if (!this.skip()) return false;
    return true;
  }
}
