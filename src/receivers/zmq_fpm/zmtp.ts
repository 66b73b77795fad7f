import net from 'node:net';

/**
 * A ZeroMQ SUB peer in plain Node.js (ZMTP 3.0, NULL security; RFC 23), for
 * the one thing the receiver needs: connect to a PUB (libzmq, pyzmq, SGLang),
 * subscribe to everything, and read multipart messages. Frames are handed
 * over as views into the socket's read buffers (no copy, no native call per
 * message), which makes a message several times cheaper than through a
 * libzmq binding. tcp:// and ipc:// (a Unix stream socket, as libzmq's) are
 * both supported.
 *
 * Behaves like libzmq's SUB where it matters: connects before the publisher
 * binds and retries every `reconnectMs`; reconnects after the publisher goes
 * away; a message over `maxMessageBytes` closes the connection (as libzmq
 * does with ZMQ_MAXMSGSIZE) and it reconnects.
 */
export interface ZmtpHandlers {
  /** One whole multipart message; frames are views into the read buffer (Node never reuses it). */
  message(frames: Uint8Array[]): void;
  /** An established connection was closed (publisher gone, or a message over the limit). */
  disconnected(reason: string): void;
  /** The handshake with a publisher completed. */
  connected?(): void;
}

export interface ZmtpOptions {
  readonly maxMessageBytes: number;
  /**
   * When a read brought only a few messages (under 4 KiB: the stream
   * trickles), reading pauses until the batcher's next tick, so that the
   * next read takes several at once: one wake-up per tick for all sockets
   * instead of one per message. Without a batcher every read is taken as
   * soon as data arrives. The kernel's socket buffer holds what arrives
   * meanwhile; a busy stream (larger reads) is never paused.
   */
  readonly batcher?: ReadBatcher;
  /** Delay before each connection attempt after the first (ms); libzmq's default is 100. */
  readonly reconnectMs?: number;
}

const GREETING_SIZE = 64;
/** A read smaller than this means the stream trickles (a few messages): worth pausing to batch. */
const TRICKLE_READ = 4096;
const FLAG_MORE = 0x01;
const FLAG_LONG = 0x02;
const FLAG_COMMAND = 0x04;

/**
 * Resumes paused sockets together, every `intervalMs`: one timer for all the
 * receiver's connections. The timer runs only while a socket is paused.
 */
export class ReadBatcher {
  private readonly paused = new Set<net.Socket>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly intervalMs: number) {}

  pause(socket: net.Socket): void {
    socket.pause();
    this.paused.add(socket);
    this.timer ??= setTimeout(this.tick, this.intervalMs);
  }

  /** Stops the timer; sockets stay as they are (the caller closes them). */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.paused.clear();
  }

  private readonly tick = (): void => {
    this.timer = undefined;
    const sockets = [...this.paused];
    this.paused.clear();
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
  /** Bytes received but not yet parsed (a frame cut by a read boundary). */
  private rest: Buffer | undefined;
  private phase: 'greeting' | 'ready' | 'traffic' = 'greeting';
  private frames: Uint8Array[] = [];
  private messageBytes = 0;
  private established = false;

  constructor(
    readonly endpoint: string,
    private readonly options: ZmtpOptions,
    private readonly handlers: ZmtpHandlers,
  ) {}

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
    this.rest = undefined;
    this.phase = 'greeting';
    this.frames = [];
    this.messageBytes = 0;
    this.established = false;
    // A 1-byte high-water mark: a paused socket stops reading from the kernel after one chunk,
    // instead of waking up for every message while paused.
    // (net.Socket passes stream options to Duplex; @types/node does not list this one.)
    const socket = new net.Socket({ readableHighWaterMark: 1 } as net.SocketConstructorOpts);
    socket.connect(socketAddress(this.endpoint) as net.SocketConnectOpts);
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('connect', () => socket.write(greeting()));
    const batcher = this.options.batcher;
    socket.on('data', (chunk: Buffer) => {
      if (this.socket !== socket) return;
      this.receive(chunk);
      // Pause only with nothing left in the stream's buffer: the next read then takes all the kernel holds.
      if (batcher && this.socket === socket && this.phase === 'traffic' && chunk.length < TRICKLE_READ && socket.readableLength === 0) batcher.pause(socket);
    });
    socket.on('error', () => {
      /* 'close' follows: reconnect there */
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
    const buf = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    this.rest = undefined;
    let pos = 0;
    if (this.phase === 'greeting') {
      if (buf.length < GREETING_SIZE) {
        this.rest = buf;
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
      const body = buf.subarray(pos + head, pos + head + size);
      pos += head + size;
      if (flags & FLAG_COMMAND) {
        if (!this.command(body)) return;
        continue;
      }
      if (this.phase !== 'traffic') return this.drop('a message before the handshake completed');
      this.frames.push(body);
      this.messageBytes += size;
      if (!(flags & FLAG_MORE)) {
        const frames = this.frames;
        this.frames = [];
        this.messageBytes = 0;
        this.handlers.message(frames);
        if (this.socket === undefined) return; // dropped or closed by the handler
      }
    }
    if (pos < end) this.rest = pos === 0 ? buf : buf.subarray(pos);
    // A cut frame keeps its bytes only: do not let a view pin a large read buffer for long.
    if (this.rest && this.rest.length < 4096 && this.rest.buffer.byteLength > 65536) this.rest = Buffer.from(this.rest);
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
