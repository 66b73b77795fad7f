import { Subscriber } from 'zeromq';
import type { Logger } from '../../telemetry/logger.js';
import { Frames } from './frames.js';
import { guardReconnect } from './reconnect.js';
import type { ZmtpHandlers } from './zmtp.js';

/**
 * The same SUB through libzmq (the `zeromq` binding): for transports or
 * security the built-in ZMTP peer does not speak. Reads in rounds: every
 * `pollIntervalMs` it drains what libzmq queued (receiveTimeout 0: receive()
 * returns at once or rejects with EAGAIN), which saves an event-loop wake-up
 * per message; a busy socket is drained again without pause.
 */
export interface LibzmqOptions {
  readonly maxMessageBytes: number;
  readonly receiveHighWaterMark: number;
  readonly pollIntervalMs: number;
}

/** Messages read from the socket before the event loop gets a turn. */
const MAX_PER_DRAIN = 4096;

export class LibzmqSubscriber {
  private readonly socket: Subscriber;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private readonly pollIntervalMs: number;
  /** Handed to the handler for every message (valid during the call only, as the ZMTP peer's). */
  private readonly frames = new Frames();

  constructor(
    readonly endpoint: string,
    options: LibzmqOptions,
    private readonly handlers: ZmtpHandlers,
    private readonly logger: Logger,
  ) {
    this.pollIntervalMs = options.pollIntervalMs;
    this.socket = new Subscriber({ maxMessageSize: options.maxMessageBytes, receiveHighWaterMark: options.receiveHighWaterMark, linger: 0, receiveTimeout: 0 });
    guardReconnect(this.socket, endpoint, logger, () => handlers.disconnected('connection closed'), () => this.closed);
  }

  start(): void {
    this.socket.connect(this.endpoint);
    this.socket.subscribe();
    this.loop = this.pollLoop();
  }

  /** Stops at once; resolves when the read loop has ended. Idempotent. */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      if (this.timer) clearTimeout(this.timer);
      this.wake?.();
      this.socket.close();
    }
    await this.loop;
  }

  private async pollLoop(): Promise<void> {
    while (!this.closed) {
      let n = 0;
      while (n < MAX_PER_DRAIN && !this.closed) {
        let frames: Buffer[];
        try {
          frames = await this.socket.receive();
        } catch (err) {
          if ((err as { code?: string }).code !== 'EAGAIN' && !this.closed) this.logger.error('receive failed on an FPM endpoint; retrying', { endpoint: this.endpoint, error: err });
          break;
        }
        n++;
        this.handlers.message(this.frames.setWhole(frames));
      }
      if (this.closed) return;
      if (n >= MAX_PER_DRAIN) await new Promise<void>((r) => setImmediate(r));
      else
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          this.timer = setTimeout(resolve, this.pollIntervalMs);
        });
    }
  }
}
