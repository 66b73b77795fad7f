import { statSync } from 'node:fs';
import net from 'node:net';
import { Frames } from './frames.js';

/**
 * A ZeroMQ SUB peer in plain Node.js (ZMTP 3.0, NULL security; RFC 23), for
 * the one thing the receiver needs: connect to a PUB (libzmq, pyzmq, SGLang),
 * subscribe to everything, and read multipart messages. Frames are handed
 * over as byte ranges of the socket's read buffer (`Frames`: no copy, no
 * object per frame, no native call per message), which makes a message
 * several times cheaper than through a libzmq binding. tcp:// and ipc:// (a
 * Unix stream socket, as libzmq's) are both supported.
 *
 * Behaves like libzmq's SUB where it matters: connects before the publisher
 * binds and retries every `reconnectMs`; reconnects after the publisher goes
 * away; a message over `maxMessageBytes` closes the connection (as libzmq
 * does with ZMQ_MAXMSGSIZE) and it reconnects.
 */
export interface ZmtpHandlers {
  /** One whole multipart message: ranges of a reused read buffer and a reused `Frames`, valid during the call only (copy to keep). */
  message(frames: Frames): void;
  /** An established connection was closed (publisher gone, or a message over the limit). */
  disconnected(reason: string): void;
  /** The handshake with a publisher completed. */
  connected?(): void;
  /**
   * A connection attempt failed for a reason other than "nobody there yet"
   * (ECONNREFUSED, ENOENT: the publisher has not bound; retried quietly), for
   * example EACCES on an ipc socket file the bridge may not open. Retried too.
   */
  connectFailed?(error: NodeJS.ErrnoException): void;
}

/** Connection errors that only mean the publisher is not (yet) there. */
const NOT_THERE_YET = new Set(['ECONNREFUSED', 'ENOENT', 'ECONNRESET', 'EPIPE']);

export interface ZmtpOptions {
  readonly maxMessageBytes: number;
  /**
   * While the stream trickles (under TRICKLE_BYTES_PER_S, measured each
   * second), reading pauses after each read until the batcher's next tick,
   * so that the next read takes everything that arrived meanwhile: one
   * wake-up per tick for all sockets instead of one per message. What
   * arrives during a pause (at most rate x interval) stays well inside the
   * kernel's socket buffer. A busier stream is read as data comes. Without
   * a batcher every read is taken at once.
   */
  readonly batcher?: ReadBatcher;
  /**
   * A busy stream whose read brought less than BATCHED_READ pauses until this
   * batcher's next tick (about a millisecond), so that each read takes the
   * messages of a millisecond instead of the one or two that arrived since
   * the last read: far fewer reads (each a wake-up, a system call and a
   * callback). A larger read goes on reading at once.
   */
  readonly busyBatcher?: ReadBatcher;
  /** Delay before each connection attempt after the first (ms); libzmq's default is 100. */
  readonly reconnectMs?: number;
}

const GREETING_SIZE = 64;
/**
 * Below this rate a stream is read in batches (a few hundred FPM messages a
 * second: one SGLang rank). 512 KiB/s x a 100 ms pause is 51 KiB waiting in
 * the kernel, far below a socket buffer.
 */
const TRICKLE_BYTES_PER_S = 512 * 1024;
/**
 * A full read (libuv reads 64 KiB at most) shows a busy stream at once: after
 * a 100 ms pause a trickling stream brings at most ~51 KiB.
 */
const BUSY_READ = 64 * 1024;
const READ_BUFFER_SIZE = 64 * 1024;
/**
 * A busy stream's read smaller than this pauses for the busy batcher's tick:
 * reads of a few messages are what costs (a wake-up, a system call and a
 * callback each). A stream that already brings this much per read is read at
 * once, so that the pauses never limit how fast a stream can be read.
 */
const BATCHED_READ = 16 * 1024;
const FLAG_MORE = 0x01;
const FLAG_LONG = 0x02;
const FLAG_COMMAND = 0x04;

/**
 * Resumes paused sockets together, every `intervalMs`: one timer for all the
 * receiver's connections. The timer runs only while a socket is paused.
 */
export class ReadBatcher {
  private readonly paused_ = new Set<net.Socket>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly intervalMs: number) {}

  /** A socket that just paused its reading (its onread callback returned false). */
  paused(socket: net.Socket): void {
    this.paused_.add(socket);
    this.timer ??= setTimeout(this.tick, this.intervalMs);
  }

  /** Stops the timer; sockets stay as they are (the caller closes them). */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.paused_.clear();
  }

  private readonly tick = (): void => {
    this.timer = undefined;
    const sockets = [...this.paused_];
    this.paused_.clear();
    for (const s of sockets) if (!s.destroyed) s.resume();
  };
}

/** Our greeting: signature, version 3.0, mechanism NULL, as-server 0, filler. */
function greeting(): Buffer {
  const g = Buffer.alloc(GREETING_SIZE);
  g[0] = 0xff;
  g[9] = 0x7f;
  g[10] = 3;
  g[11] = 0;
  g.write('NULL', 12, 'ascii');
  return g;
}

/** A command frame: name and body. */
function commandFrame(name: string, body: Buffer): Buffer {
  const content = Buffer.concat([Buffer.from([name.length]), Buffer.from(name, 'ascii'), body]);
  if (content.length < 256) return Buffer.concat([Buffer.from([FLAG_COMMAND, content.length]), content]);
  const head = Buffer.alloc(9);
  head[0] = FLAG_COMMAND | FLAG_LONG;
  head.writeBigUInt64BE(BigInt(content.length), 1);
  return Buffer.concat([head, content]);
}

/** NULL mechanism READY with Socket-Type=SUB. */
function readyCommand(): Buffer {
  const name = Buffer.from('Socket-Type', 'ascii');
  const value = Buffer.from('SUB', 'ascii');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(value.length);
  return commandFrame('READY', Buffer.concat([Buffer.from([name.length]), name, len, value]));
}

/** ZMTP 3.0 subscription: a message whose body is 0x01 followed by the topic ("" = everything). */
const SUBSCRIBE_ALL = Buffer.from([0x00, 0x01, 0x01]);

/**
 * True when an ipc socket file does not exist (ENOENT only: a path the bridge
 * may not look into, EACCES or ENOTDIR, is tried, so that the failure is reported).
 */
function socketFileMissing(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false }) === undefined;
  } catch {
    return false;
  }
}

/** Where to connect: tcp://host:port or ipc:///path. */
export function socketAddress(endpoint: string): net.NetConnectOpts {
  if (endpoint.startsWith('ipc://')) return { path: endpoint.slice('ipc://'.length) };
  const m = /^tcp:\/\/(.+):(\d+)$/.exec(endpoint);
  if (!m) throw new Error(`unsupported endpoint ${endpoint}`);
  return { host: m[1].replace(/^\[(.*)\]$/, '$1'), port: Number(m[2]) };
}

export class ZmtpSubscriber {
  private socket: net.Socket | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /**
   * Bytes carried to the next read: the frames of a message not complete yet
   * and a frame cut by the read boundary. Parsing goes on at `restPos`; the
   * pending frames' ranges are relative to `rest`.
   */
  private rest: Buffer | undefined;
  private restPos = 0;
  private phase: 'greeting' | 'ready' | 'traffic' = 'greeting';
  private readonly frames = new Frames();
  private messageBytes = 0;
  private established = false;
  /** Where every read lands (reused: frames handed to `message` are valid during the call only). */
  private readonly readBuffer = Buffer.allocUnsafe(READ_BUFFER_SIZE);
  /** The endpoint as a connect address (throws here for an endpoint it cannot be). */
  private readonly address: net.NetConnectOpts;

  constructor(
    readonly endpoint: string,
    private readonly options: ZmtpOptions,
    private readonly handlers: ZmtpHandlers,
  ) {
    this.address = socketAddress(endpoint);
  }

  start(): void {
    this.connect();
  }

  /** Stops at once (no further handler calls). Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.socket?.destroy();
    this.socket = undefined;
  }

  private connect(): void {
    if (this.closed) return;
    // An ipc endpoint whose socket file is not there yet (the publisher has not bound): wait without a
    // connection attempt (a socket, an error and its stack each time: ~0.5% of a core per endpoint while SGLang is down).
    const address = this.address;
    if ('path' in address && socketFileMissing(address.path)) return this.retry();
    this.rest = undefined;
    this.phase = 'greeting';
    this.frames.clear();
    this.messageBytes = 0;
    this.established = false;
    // `onread`: every read lands in this subscriber's one buffer (no allocation per read),
    // and returning false pauses at once (libuv stops reading; the kernel keeps the rest).
    const batcher = this.options.batcher;
    const busyBatcher = this.options.busyBatcher;
    let windowStart = Date.now();
    let windowBytes = 0;
    let trickling = false;
    const socket = net.connect({
      ...(address as net.NetConnectOpts),
      onread: {
        buffer: this.readBuffer,
        callback: (n: number, buf: Uint8Array): boolean => {
          if (this.socket !== socket) return false;
          this.receive(Buffer.from(buf.buffer, buf.byteOffset, n));
          if (!batcher || this.socket !== socket || this.phase !== 'traffic') return true;
          windowBytes += n;
          const now = Date.now();
          if (n >= BUSY_READ) {
            // A full read: the stream is busy now. Read as data comes, and measure afresh.
            trickling = false;
            windowStart = now;
            windowBytes = 0;
          } else if (now - windowStart >= 1000) {
            // A silent stream wakes nobody; only a slow one is worth batching.
            const rate = (windowBytes * 1000) / (now - windowStart);
            trickling = rate > 0 && rate < TRICKLE_BYTES_PER_S;
            windowStart = now;
            windowBytes = 0;
          }
          if (!trickling) {
            if (!busyBatcher || n >= BATCHED_READ) return true;
            busyBatcher.paused(socket);
            return false;
          }
          batcher.paused(socket);
          return false;
        },
      },
    } as net.NetConnectOpts);
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('connect', () => socket.write(greeting()));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // 'close' follows: reconnect there.
      if (!this.established && err.code && !NOT_THERE_YET.has(err.code)) this.handlers.connectFailed?.(err);
    });
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      if (this.established) this.handlers.disconnected('connection closed');
      this.retry();
    });
  }

  private retry(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => this.connect(), this.options.reconnectMs ?? 100);
    this.timer.unref();
  }

  /** Drops the connection (a protocol error or an oversized message) and reconnects. */
  private drop(reason: string): void {
    const socket = this.socket;
    this.socket = undefined;
    socket?.destroy();
    if (this.established) this.handlers.disconnected(reason);
    this.retry();
  }

  private receive(chunk: Buffer): void {
    let buf = chunk;
    let pos = 0;
    const frames = this.frames;
    if (this.rest) {
      buf = Buffer.concat([this.rest, chunk]);
      pos = this.restPos;
      this.rest = undefined;
      for (let i = 0; i < frames.count; i++) frames.data[i] = buf;
    }
    if (this.phase === 'greeting') {
      if (buf.length < GREETING_SIZE) {
        this.carry(buf, 0);
        return;
      }
      if (buf[0] !== 0xff || buf[9] !== 0x7f || buf[10] < 3) return this.drop(`not a ZMTP 3 peer at ${this.endpoint}`);
      if (buf.toString('ascii', 12, 16) !== 'NULL') return this.drop('the publisher asks for a security mechanism other than NULL');
      pos = GREETING_SIZE;
      this.phase = 'ready';
      this.socket!.write(readyCommand());
    }
    const end = buf.length;
    while (pos < end) {
      const flags = buf[pos];
      let size: number;
      let head: number;
      if (flags & FLAG_LONG) {
        if (pos + 9 > end) break;
        const hi = buf.readUInt32BE(pos + 1);
        size = hi * 0x1_0000_0000 + buf.readUInt32BE(pos + 5);
        head = 9;
      } else {
        if (pos + 2 > end) break;
        size = buf[pos + 1];
        head = 2;
      }
      if (!(flags & FLAG_COMMAND) && this.messageBytes + size > this.options.maxMessageBytes) return this.drop('message over max_message_bytes');
      if (pos + head + size > end) break;
      const bodyStart = pos + head;
      pos = bodyStart + size;
      if (flags & FLAG_COMMAND) {
        if (!this.command(buf.subarray(bodyStart, pos))) return;
        continue;
      }
      if (this.phase !== 'traffic') return this.drop('a message before the handshake completed');
      frames.push(buf, bodyStart, pos);
      this.messageBytes += size;
      if (!(flags & FLAG_MORE)) {
        this.messageBytes = 0;
        this.handlers.message(frames);
        frames.clear();
        if (this.socket === undefined) return; // dropped or closed by the handler
      }
    }
    if (pos < end || frames.count) this.carry(buf, pos);
  }

  /**
   * Keeps a copy of what the next read continues (the read buffer is reused):
   * from the first frame of the message not complete yet, or from `pos`.
   */
  private carry(buf: Buffer, pos: number): void {
    const frames = this.frames;
    const from = frames.count ? frames.start[0] : pos;
    this.rest = Buffer.from(buf.subarray(from));
    this.restPos = pos - from;
    for (let i = 0; i < frames.count; i++) {
      frames.data[i] = this.rest;
      frames.start[i] -= from;
      frames.end[i] -= from;
    }
  }

  /** Handles a command; false when the connection was dropped. */
  private command(body: Buffer): boolean {
    const nameLength = body[0];
    const name = body.toString('ascii', 1, 1 + nameLength);
    if (name === 'READY' && this.phase === 'ready') {
      this.phase = 'traffic';
      this.established = true;
      this.socket!.write(SUBSCRIBE_ALL);
      this.handlers.connected?.();
      return true;
    }
    if (name === 'ERROR') {
      this.drop(`the publisher refused the connection: ${body.toString('ascii', 2 + nameLength, 2 + nameLength + body[1 + nameLength])}`);
      return false;
    }
    if (name === 'PING') {
      // PONG carries the PING's context (after its 2-byte TTL).
      this.socket!.write(commandFrame('PONG', body.subarray(1 + nameLength + 2)));
    }
    return true;
  }
}
