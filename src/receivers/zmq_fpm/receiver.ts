import { Subscriber } from 'zeromq';
import type { Consumer, CreateSettings, Receiver } from '../../component/contracts.js';
import type { FpmRecord } from '../../model/fpm.js';
import type { Cell } from '../../telemetry/self-telemetry.js';
import type { ZmqFpmConfig } from './config.js';
import { healthMetrics } from './health.js';
import { guardReconnect } from './reconnect.js';
import type { RefusalReason } from './schema.js';
import { FpmStream } from './stream.js';

/** Records handed downstream at once at most. */
const MAX_BATCH = 4096;
/** Messages read from one socket before the next socket gets its turn. */
const MAX_PER_DRAIN = 4096;

/**
 * Subscribes to every rank's FPM endpoint (one SUB socket each, so a
 * message's rank is known even when its payload is garbage), decodes, and
 * passes records downstream in batches. Stream health goes downstream as
 * metrics every report_interval. Connects before the publisher binds and
 * follows publisher restarts: libzmq reconnects on its own.
 */
export class ZmqFpmReceiver implements Receiver {
  private readonly sockets: Subscriber[] = [];
  private readonly streams: FpmStream[] = [];
  private pending: FpmRecord[] = [];
  private reportTimer: NodeJS.Timeout | undefined;
  private running = false;
  private stopped = false;
  private readonly accepted: Cell;
  private readonly lost: Cell;
  private readonly refusedCells = new Map<RefusalReason, Cell>();
  private loop: Promise<void> | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly settings: CreateSettings,
    private readonly config: ZmqFpmConfig,
    private readonly next: Consumer,
  ) {
    this.accepted = settings.telemetry.counter('bridge_receiver_accepted_items_total', 'Items a receiver accepted into the pipeline (FPM records, metric points).', { receiver: settings.id });
    this.lost = settings.telemetry.counter('bridge_receiver_dropped_items_total', 'Items a receiver knows it never got, by reason (sequence_gap: FPM messages missing from the sequence).', { receiver: settings.id, reason: 'sequence_gap' });
  }

  async start(): Promise<void> {
    if (this.running || this.stopped) return;
    this.running = true;
    const { logger, now } = this.settings;
    this.config.endpoints.forEach((endpoint, rank) => {
      const stream = new FpmStream(endpoint, rank, this.config.workerId, logger, (reason) => this.refusedCell(reason).value++, (n) => (this.lost.value += n), now());
      // receiveTimeout 0: receive() reads what is there or rejects with EAGAIN at once (see pollLoop).
      const socket = new Subscriber({ maxMessageSize: this.config.maxMessageBytes, receiveHighWaterMark: this.config.receiveHighWaterMark, linger: 0, receiveTimeout: 0 });
      guardReconnect(socket, endpoint, logger, () => stream.disconnected(), () => this.stopped);
      socket.connect(endpoint);
      socket.subscribe();
      this.streams.push(stream);
      this.sockets.push(socket);
    });
    this.loop = this.pollLoop();
    this.reportTimer = setInterval(() => this.report(), this.config.reportIntervalMs);
    this.reportTimer.unref();
    this.report(); // ranks with a configured worker_id show up (as 0) at once
    logger.info('zmq_fpm receiver connected', { endpoints: this.config.endpoints });
  }

  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.reportTimer) clearInterval(this.reportTimer);
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.wake?.(); // end the poll loop's sleep now
    for (const s of this.sockets) s.close();
    await this.loop;
    this.flush();
    if (this.running) this.report();
  }

  /**
   * Drains every socket, hands the records downstream, then sleeps
   * poll_interval; keeps draining without sleeping while messages keep
   * coming. Reading in rounds instead of awaiting each message saves an
   * event-loop wake-up per message (the main cost at a few thousand
   * messages a second); the price is at most poll_interval of latency.
   */
  private async pollLoop(): Promise<void> {
    while (!this.stopped) {
      let more = false;
      for (let i = 0; i < this.sockets.length && !this.stopped; i++) {
        if ((await this.drain(this.sockets[i], this.streams[i])) >= MAX_PER_DRAIN) more = true;
      }
      this.flush();
      if (this.stopped) return;
      if (more) await new Promise<void>((r) => setImmediate(r));
      else
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          this.pollTimer = setTimeout(resolve, this.config.pollIntervalMs);
        });
    }
  }

  /** Reads what one socket has now (at most MAX_PER_DRAIN messages); returns how many. */
  private async drain(socket: Subscriber, stream: FpmStream): Promise<number> {
    const now = Date.now();
    let n = 0;
    while (n < MAX_PER_DRAIN) {
      let frames: Buffer[];
      try {
        frames = await socket.receive();
      } catch (err) {
        if ((err as { code?: string }).code !== 'EAGAIN' && !this.stopped && !socket.closed) this.settings.logger.error('receive failed on an FPM endpoint; retrying', { endpoint: stream.endpoint, error: err });
        break;
      }
      n++;
      const record = stream.handle(frames, now);
      if (record) {
        this.pending.push(record);
        if (this.pending.length >= MAX_BATCH) this.flush();
      }
    }
    return n;
  }

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
