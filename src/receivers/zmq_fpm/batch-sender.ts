import type net from 'node:net';
import { BatchWriter, messageRecordBytes } from './frame-batch.js';
import type { ReadGate } from './zmtp.js';

/** Batch buffers kept for reuse at most (more exist only while the main thread lags). */
const POOL_KEEP = 8;

/**
 * The read thread's side of the hand-over: appends records to a batch and
 * sends it when the main thread is idle (nothing in flight: low latency at
 * low rates), when it is full, or when the main thread returns a batch
 * (while the main thread is busy, batches grow: fewer, larger hand-overs at
 * high rates). Buffers come back and are reused.
 *
 * It is also the sockets' read gate: reading stops while `maxQueuedMessages`
 * are handed over and not consumed.
 */
export class BatchSender implements ReadGate {
  private readonly pool: ArrayBuffer[] = [];
  private current: BatchWriter | undefined;
  private inFlight = 0;
  private queuedMessages = 0;
  private flushScheduled = false;
  private readonly held = new Set<net.Socket>();

  constructor(
    private readonly batchBytes: number,
    private readonly maxQueuedMessages: number,
    private readonly post: (batch: ArrayBuffer, length: number, messages: number) => void,
  ) {}

  message(rank: number, frames: readonly Uint8Array[]): void {
    this.room(messageRecordBytes(frames)).message(rank, frames);
    this.flushSoon();
  }

  /** A connected (no reason) or disconnected (reason) event. */
  event(rank: number, reason?: string): void {
    this.room(BatchWriter.eventBytes(reason)).event(rank, reason);
    this.flushSoon();
  }

  /** The main thread consumed a batch. */
  returned(buffer: ArrayBuffer, messages: number): void {
    this.inFlight--;
    this.queuedMessages -= messages;
    if (buffer.byteLength === this.batchBytes && this.pool.length < POOL_KEEP) this.pool.push(buffer);
    if (this.current?.length) this.send();
    if (this.open()) {
      for (const s of this.held) if (!s.destroyed) s.resume();
      this.held.clear();
    }
  }

  /** Sends what is written, whatever the main thread is doing (at close). */
  flush(): void {
    if (this.current?.length) this.send();
  }

  open(): boolean {
    return this.queuedMessages + (this.current?.messages ?? 0) < this.maxQueuedMessages;
  }

  hold(socket: net.Socket): void {
    this.held.add(socket);
  }

  private room(bytes: number): BatchWriter {
    const w = this.current;
    if (w && w.fits(bytes)) return w;
    if (w?.length) this.send();
    const buffer = bytes <= this.batchBytes ? (this.pool.pop() ?? new ArrayBuffer(this.batchBytes)) : new ArrayBuffer(bytes);
    this.current = new BatchWriter(buffer);
    return this.current;
  }

  private flushSoon(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(this.flushIfIdle);
  }

  /** End of a turn of this thread's loop: send now if the main thread has nothing to do. */
  private readonly flushIfIdle = (): void => {
    this.flushScheduled = false;
    if (this.inFlight === 0 && this.current?.length) this.send();
  };

  private send(): void {
    const w = this.current!;
    this.current = undefined;
    this.inFlight++;
    this.queuedMessages += w.messages;
    this.post(w.buffer, w.length, w.messages);
  }
}
