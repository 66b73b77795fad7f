/**
 * The frames of one multipart message as byte ranges: frame i is
 * `data[i]` from `start[i]` (inclusive) to `end[i]` (exclusive). The ZMTP
 * peer hands over ranges of its read buffer this way, so that a message
 * costs no view object per frame.
 *
 * Contract: the producer reuses one instance from message to message, and
 * the bytes may be overwritten by the next read: valid during the handler
 * call only; `copy` what must be kept.
 */
export class Frames {
  count = 0;
  readonly data: Uint8Array[] = [];
  readonly start: number[] = [];
  readonly end: number[] = [];

  /** Frames that are whole arrays each (libzmq's, tests'). */
  static of(frames: readonly Uint8Array[]): Frames {
    return new Frames().setWhole(frames);
  }

  /** These frames from now on: each a whole array (reuses this instance). */
  setWhole(frames: readonly Uint8Array[]): this {
    this.count = 0;
    for (const frame of frames) this.push(frame, 0, frame.length);
    return this;
  }

  push(data: Uint8Array, start: number, end: number): void {
    const i = this.count++;
    this.data[i] = data;
    this.start[i] = start;
    this.end[i] = end;
  }

  clear(): void {
    this.count = 0;
  }

  /** Bytes in frame i. */
  size(i: number): number {
    return this.end[i] - this.start[i];
  }

  /** A view of frame i (an object per call: for the slow paths). */
  view(i: number): Uint8Array {
    return this.data[i].subarray(this.start[i], this.end[i]);
  }

  /** A copy of frame i, to keep after the handler returns. */
  copy(i: number): Uint8Array {
    return Uint8Array.prototype.slice.call(this.data[i], this.start[i], this.end[i]);
  }
}
