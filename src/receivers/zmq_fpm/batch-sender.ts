import type net from 'node:net';
import { BatchWriter, messageRecordBytes } from './frame-batch.js';
import type { ReadGate } from './zmtp.js';

/** Batch buffers kept for reuse at most (more exist only while the main thread lags). */
const POOL_KEEP = 8;
/**
 * How long a batch collects records before it is handed over (ms): one
 * wake-up of the main thread per interval instead of one per socket read.
 */
const HANDOVER_MS = 2;

/**
 * The read thread's side of the hand-over: appends records to a batch and
 * sends it when it is full, or HANDOVER_MS after its first record if the
 * main thread is idle (nothing in flight), or else as soon as the main
 * thread returns a batch (while the main thread is busy, batches grow:
 * fewer, larger hand-overs). Buffers come back and are reused.
 *
 * It is also the sockets' read gate: reading stops while `maxQueuedMessages`
 * are handed over and not consumed.
 */
export class BatchSender implements ReadGate {
  private readonly pool: ArrayBuffer[] = [];
  private current: BatchWriter | undefined;
  private inFlight = 0;
  private queuedMessages = 0;
  private timer: NodeJS.Timeout | undefined;
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
    this.timer ??= setTimeout(this.flushIfIdle, HANDOVER_MS);
  }

  /** The current batch is due: send it now if the main thread has nothing to do (else on its return). */
  private readonly flushIfIdle = (): void => {
    this.timer = undefined;
    if (this.inFlight === 0 && this.current?.length) this.send();
  };

  /** Stops the hand-over timer (at close, after `flush`). */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private send(): void {
    const w = this.current!;
    this.current = undefined;
    this.inFlight++;
    this.queuedMessages += w.messages;
    this.post(w.buffer, w.length, w.messages);
  }
}
