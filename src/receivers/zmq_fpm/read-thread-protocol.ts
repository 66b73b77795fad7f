/**
 * What the main thread and the read thread (read-thread.ts) say to each
 * other. Batches travel as transferred ArrayBuffers (frame-batch.ts format)
 * and come back for reuse once consumed.
 */
export interface ReadThreadSettings {
  /** One endpoint per rank, in rank order (a record's rank is its index here). */
  readonly endpoints: readonly string[];
  /** A message over this size closes its connection (counted as a disconnect), as libzmq's ZMQ_MAXMSGSIZE. */
  readonly maxMessageBytes: number;
  /** poll_interval: a trickling stream is read this often (ms). */
  readonly pollIntervalMs: number;
  /**
   * Messages handed over and not yet consumed, over all endpoints, at which
   * reading stops until the main thread catches up (the publisher then drops
   * at its SNDHWM, as with libzmq's RCVHWM).
   */
  readonly maxQueuedMessages: number;
  /** Size of one batch buffer (bytes); a bigger message gets a buffer of its own. */
  readonly batchBytes: number;
  /** Delay between connection attempts (ms); default 100 as libzmq's. */
  readonly reconnectMs?: number;
}

/** Read thread -> main thread. */
export type FromReadThread =
  /** `length` bytes of records, `messages` of them messages. */
  | { readonly batch: ArrayBuffer; readonly length: number; readonly messages: number }
  /** After `close`: every batch has been sent. */
  | { readonly closed: true };

/** Main thread -> read thread. */
export type ToReadThread =
  /** A consumed batch, back for reuse. */
  | { readonly returned: ArrayBuffer; readonly messages: number }
  /** Close every connection, send what is left, then say `closed` and exit. */
  | { readonly close: true };
