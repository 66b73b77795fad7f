/**
 * The format in which the read thread hands received messages to the main
 * thread: many records back to back in one ArrayBuffer (transferred, not
 * copied, and handed back for reuse), so that the cost of crossing threads
 * is per batch, not per message.
 *
 * Record layouts (integers little-endian):
 *   message:      u8 KIND_MESSAGE, u16 rank, u16 frame count, then per frame u32 length + bytes
 *   connected:    u8 KIND_CONNECTED, u16 rank
 *   disconnected: u8 KIND_DISCONNECTED, u16 rank, u16 reason length + reason (UTF-8)
 */
export const KIND_MESSAGE = 1;
export const KIND_CONNECTED = 2;
export const KIND_DISCONNECTED = 3;

const MESSAGE_HEAD = 5;
const FRAME_HEAD = 4;

/** Bytes a message takes in a batch. */
export function messageRecordBytes(frames: readonly Uint8Array[]): number {
  let n = MESSAGE_HEAD + FRAME_HEAD * frames.length;
  for (let i = 0; i < frames.length; i++) n += frames[i].length;
  return n;
}

/** Fills one batch buffer; `room` says whether the next record fits. */
export class BatchWriter {
  private bytes: Uint8Array;
  private view: DataView;
  /** Bytes written so far. */
  length = 0;
  /** Message records written so far (events not counted). */
  messages = 0;

  constructor(readonly buffer: ArrayBuffer) {
    this.bytes = new Uint8Array(buffer);
    this.view = new DataView(buffer);
  }

  get capacity(): number {
    return this.bytes.length;
  }

  fits(recordBytes: number): boolean {
    return this.length + recordBytes <= this.bytes.length;
  }

  /** Appends a message; the caller checked `fits(messageRecordBytes(frames))`. */
  message(rank: number, frames: readonly Uint8Array[]): void {
    const b = this.bytes;
    const v = this.view;
    let p = this.length;
    b[p] = KIND_MESSAGE;
    v.setUint16(p + 1, rank, true);
    v.setUint16(p + 3, frames.length, true);
    p += MESSAGE_HEAD;
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i];
      const n = f.length;
      v.setUint32(p, n, true);
      p += FRAME_HEAD;
      if (n > 16) b.set(f, p);
      else for (let j = 0; j < n; j++) b[p + j] = f[j]; // short frames (topic, sequence): cheaper than set()
      p += n;
    }
    this.length = p;
    this.messages++;
  }

  /** Bytes an event record takes. */
  static eventBytes(reason?: string): number {
    return reason === undefined ? 3 : 5 + Buffer.byteLength(reason);
  }

  /** Appends a connected (no reason) or disconnected (with reason) event; the caller checked `fits`. */
  event(rank: number, reason?: string): void {
    const p = this.length;
    this.bytes[p] = reason === undefined ? KIND_CONNECTED : KIND_DISCONNECTED;
    this.view.setUint16(p + 1, rank, true);
    if (reason === undefined) {
      this.length = p + 3;
      return;
    }
    const written = Buffer.from(this.bytes.buffer, p + 5).write(reason);
    this.view.setUint16(p + 3, written, true);
    this.length = p + 5 + written;
  }
}

export interface BatchHandlers {
  /** One message of `rank`; the frames are views into the batch, valid during the call only (copy to keep). */
  message(rank: number, frames: readonly Uint8Array[]): void;
  connected(rank: number): void;
  disconnected(rank: number, reason: string): void;
}

/**
 * Calls the handlers for every record of a batch of `length` bytes, in order.
 * The frames array passed to `message` is reused from one message to the
 * next.
 */
export function readBatch(buffer: ArrayBuffer, length: number, handlers: BatchHandlers): void {
  const b = new Uint8Array(buffer, 0, length);
  const v = new DataView(buffer, 0, length);
  const frames: Uint8Array[] = [];
  let p = 0;
  while (p < length) {
    const kind = b[p];
    const rank = v.getUint16(p + 1, true);
    if (kind === KIND_MESSAGE) {
      const count = v.getUint16(p + 3, true);
      p += MESSAGE_HEAD;
      frames.length = count;
      for (let i = 0; i < count; i++) {
        const n = v.getUint32(p, true);
        p += FRAME_HEAD;
        frames[i] = b.subarray(p, p + n);
        p += n;
      }
      handlers.message(rank, frames);
    } else if (kind === KIND_CONNECTED) {
      p += 3;
      handlers.connected(rank);
    } else if (kind === KIND_DISCONNECTED) {
      const n = v.getUint16(p + 3, true);
      const reason = Buffer.from(buffer, p + 5, n).toString();
      p += 5 + n;
      handlers.disconnected(rank, reason);
    } else {
      throw new Error(`corrupt FPM batch: record kind ${kind} at byte ${p}`);
    }
  }
}
