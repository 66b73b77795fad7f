import type { Consumer, CreateSettings, Receiver } from '../../component/contracts.js';
import type { FpmRecord } from '../../model/fpm.js';
import type { Cell } from '../../telemetry/self-telemetry.js';
import type { ZmqFpmConfig } from './config.js';
import type { Frames } from './frames.js';
import { healthMetrics } from './health.js';
import type { LibzmqSubscriber } from './libzmq-subscriber.js';
import type { RefusalReason } from './schema.js';
import { FpmStream } from './stream.js';
import { warmUpDecoder } from './warm-up.js';
import { ReadBatcher, ZmtpSubscriber } from './zmtp.js';

/** Records handed downstream at once at most. */
const MAX_BATCH = 4096;

/**
 * Subscribes to every rank's FPM endpoint (one connection each, so a
 * message's rank is known even when its payload is garbage), decodes, and
 * passes records downstream in batches: everything that arrived in one turn
 * of the event loop goes out together. Stream health goes downstream as
 * metrics every report_interval. Connects before the publisher binds and
 * follows publisher restarts.
 *
 * Transport: the built-in ZMTP peer (default; several times cheaper per
 * message) or libzmq through the `zeromq` binding.
 */
export class ZmqFpmReceiver implements Receiver {
  private readonly connections: (ZmtpSubscriber | LibzmqSubscriber)[] = [];
  private readonly streams: FpmStream[] = [];
  private flushScheduled = false;
  private readonly batcher: ReadBatcher;
  /** Busy streams: reads a millisecond apart (see ZmtpOptions.busyBatcher). */
  private readonly busyBatcher = new ReadBatcher(1);
  private turnTimeMs = 0;
  private pending: FpmRecord[] = [];
  private reportTimer: NodeJS.Timeout | undefined;
  private running = false;
  private stopped = false;
  private readonly accepted: Cell;
  private readonly lost: Cell;
  private readonly refusedCells = new Map<RefusalReason, Cell>();

  constructor(
    private readonly settings: CreateSettings,
    private readonly config: ZmqFpmConfig,
    private readonly next: Consumer,
  ) {
    this.batcher = new ReadBatcher(config.pollIntervalMs);
    this.accepted = settings.telemetry.receiverAccepted(settings.id);
    this.lost = settings.telemetry.counter('bridge_receiver_dropped_items_total', 'Items a receiver knows it never got, by reason (sequence_gap: FPM messages missing from the sequence).', { receiver: settings.id, reason: 'sequence_gap' });
  }

  async start(): Promise<void> {
    if (this.running || this.stopped) return;
    this.running = true;
    const { logger, now } = this.settings;
    // The native binding is loaded only when asked for (it costs memory the built-in peer does not).
    const libzmq = this.config.transport === 'libzmq' ? (await import('./libzmq-subscriber.js')).LibzmqSubscriber : undefined;
    warmUpDecoder(); // before connecting: the first messages meet optimised code
    this.config.endpoints.forEach((endpoint, rank) => {
      const stream = new FpmStream(endpoint, rank, this.config.workerId, logger, (reason) => this.refusedCell(reason).value++, (n) => (this.lost.value += n), now(), this.config.keepPayload || (this.settings.keepFpmPayload ?? false));
      let reported = '';
      const handlers = {
        message: (frames: Frames) => this.onMessage(stream, frames),
        disconnected: () => stream.disconnected(),
        connectFailed: (err: NodeJS.ErrnoException) => {
          if (reported === err.code) return; // once per kind of failure, not every 100 ms
          reported = err.code ?? '';
          const fix = err.code === 'EACCES' ? 'the bridge\'s user may not open the socket file: run it in the publisher\'s group, or make the directory group-writable (umask 0002)' : 'check the endpoint';
          logger.warn('cannot connect to an FPM endpoint; retrying', { endpoint, dp_rank: rank, code: err.code, error: err.message, fix });
        },
      };
      const connection =
        libzmq
          ? new libzmq(endpoint, this.config, handlers, logger)
          : new ZmtpSubscriber(endpoint, { maxMessageBytes: this.config.maxMessageBytes, batcher: this.batcher, busyBatcher: this.busyBatcher }, handlers);
      connection.start();
      this.streams.push(stream);
      this.connections.push(connection);
    });
    this.reportTimer = setInterval(() => this.report(), this.config.reportIntervalMs);
    this.reportTimer.unref();
    this.report(); // ranks with a configured worker_id show up (as 0) at once
    logger.info('zmq_fpm receiver connected', { endpoints: this.config.endpoints });
  }

  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.reportTimer) clearInterval(this.reportTimer);
    this.batcher.stop();
    this.busyBatcher.stop();
    await Promise.all(this.connections.map((c) => c.close()));
    this.flush();
    if (this.running) this.report();
  }

  private onMessage(stream: FpmStream, frames: Frames): void {
    // One clock reading per event-loop turn: messages of one read share it.
    if (this.turnTimeMs === 0) this.turnTimeMs = Date.now();
    const record = stream.handle(frames, this.turnTimeMs);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushSoon);
    }
    if (!record) return;
    this.pending.push(record);
    if (this.pending.length >= MAX_BATCH) this.flush();
  }

  private readonly flushSoon = (): void => {
    this.flushScheduled = false;
    this.turnTimeMs = 0;
    this.flush();
  };

  private flush(): void {
    if (!this.pending.length) return;
    const fpm = this.pending;
    this.pending = [];
    this.accepted.value += fpm.length;
    this.next.consume({ fpm });
  }

  /** Sends stream health downstream (after the records received so far). */
  private report(): void {
    this.flush();
    const now = this.settings.now();
    const snapshots = [];
    for (const s of this.streams) {
      const counts = s.current();
      if (counts) snapshots.push({ counts, up: s.up(now, this.config.heartbeatTimeoutMs) });
    }
    if (snapshots.length) this.next.consume({ metrics: healthMetrics(snapshots, now) });
  }

  private refusedCell(reason: RefusalReason): Cell {
    let cell = this.refusedCells.get(reason);
    if (!cell) {
      cell = this.settings.telemetry.counter('bridge_receiver_refused_items_total', 'Items a receiver refused, by reason.', { receiver: this.settings.id, reason });
      this.refusedCells.set(reason, cell);
    }
    return cell;
  }
}
