import { readFileSync } from 'node:fs';
import type { ConnectionOptions, NatsConnection } from 'nats';
import type { Logger } from '../../telemetry/logger.js';
import type { DeliveryTelemetry } from '../delivery/telemetry.js';
import type { NatsExporterConfig } from './config.js';

/** The nats.js client, loaded on first use: configurations without a nats exporter never load it (about 10 MiB of memory). */
export type NatsClient = typeof import('nats');
let client: Promise<NatsClient> | undefined;
export function loadNatsClient(): Promise<NatsClient> {
  return (client ??= import('nats'));
}

interface Held {
  readonly subject: string;
  readonly data: Uint8Array;
  /** Items (points or FPM records) the message carries, for the sent/dropped counters. */
  readonly items: number;
}

/**
 * A NATS connection that does not lose messages silently across outages.
 *
 * The nats.js client discards what it has buffered when it reconnects, and
 * what was written into a socket just before a server died is gone too. So
 * every published message is held until a PING/PONG round trip (flush)
 * confirms the server has processed it; held messages are re-published after
 * a reconnect, in order (at-least-once: a message the server took just before
 * the connection broke may arrive twice). While the server is unreachable
 * new messages wait in the same bounded buffer; what does not fit is dropped
 * and counted (reason queue_full).
 */
export class NatsPublisher {
  private nc: NatsConnection | undefined;
  private connected = false;
  private closing = false;
  /** Published, not yet confirmed (in order). */
  private unconfirmed: Held[] = [];
  /** Waiting for a connection (in order). */
  private waiting: Held[] = [];
  private confirmTimer: NodeJS.Timeout | undefined;
  private confirming = false;
  /** Grows at every disconnect, so that a confirmation begun before it is not trusted. */
  private generation = 0;
  private connectFailures = 0;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: NatsExporterConfig,
    private readonly telemetry: DeliveryTelemetry,
    private readonly logger: Logger,
    private readonly id: string,
  ) {
    telemetry.queueCapacity.value = config.bufferMessages;
  }

  /** Connects in the background (start() of the exporter does not wait for the server). */
  start(): void {
    this.confirmTimer = setInterval(() => void this.confirm(), this.config.confirmIntervalMs);
    void this.connectLoop();
  }

  publish(subject: string, data: Uint8Array, items: number): void {
    if (this.closing) {
      this.telemetry.drop('shutdown', items);
      return;
    }
    if (this.unconfirmed.length + this.waiting.length >= this.config.bufferMessages) {
      // One bound for everything held, connected or not: what does not fit is dropped and counted.
      this.telemetry.drop('queue_full', items);
      return;
    }
    const held = { subject, data, items };
    if (!(this.connected && this.send(held))) this.waiting.push(held);
    this.updateGauge();
  }

  /** Confirms what was published, then closes; waits at most until deadlineMs (Unix ms). */
  async close(deadlineMs: number): Promise<void> {
    this.closing = true;
    clearInterval(this.confirmTimer);
    clearTimeout(this.retryTimer);
    const timeLeft = () => Math.max(0, deadlineMs - Date.now());
    while ((this.unconfirmed.length || this.waiting.length) && timeLeft() > 0) {
      if (this.connected) await Promise.race([this.confirm(), sleep(timeLeft())]);
      else await sleep(Math.min(50, timeLeft()));
    }
    const left = [...this.unconfirmed, ...this.waiting];
    if (left.length) {
      this.telemetry.drop('shutdown', left.reduce((n, h) => n + h.items, 0));
      this.logger.warn('NATS messages not confirmed by shutdown: dropped', { exporter: this.id, messages: left.length });
    }
    this.unconfirmed = [];
    this.waiting = [];
    this.updateGauge();
    const nc = this.nc;
    this.nc = undefined;
    if (nc) await nc.close().catch(() => undefined);
  }

  /** First connection: retried every second until it works (later ones are the client's own reconnects). */
  private async connectLoop(): Promise<void> {
    let nc: NatsConnection;
    let nats: NatsClient;
    try {
      nats = await loadNatsClient();
      nc = await nats.connect(natsConnectOptions(nats, this.config, this.id));
    } catch (err) {
      if (!this.connectFailures++)
        this.logger.error('cannot connect to NATS; retrying every second, messages are held meanwhile (dropped and counted when the buffer is full)', { exporter: this.id, servers: this.config.servers, error: err });
      if (!this.closing) this.retryTimer = setTimeout(() => void this.connectLoop(), 1000);
      return;
    }
    if (this.closing) return void nc.close();
    this.nc = nc;
    this.logger.info('connected to NATS', { exporter: this.id, server: nc.getServer() });
    this.onConnected();
    void this.watch(nc, nats.Events);
  }

  private async watch(nc: NatsConnection, events: NatsClient['Events']): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type === events.Disconnect) {
        this.connected = false;
        this.generation++;
        // Whatever was not confirmed goes back in front of what waits.
        this.waiting = [...this.unconfirmed, ...this.waiting];
        this.unconfirmed = [];
        this.logger.warn('NATS disconnected: buffering', { exporter: this.id, server: status.data, held: this.waiting.length });
      } else if (status.type === events.Reconnect) {
        this.logger.info('NATS reconnected: re-publishing held messages', { exporter: this.id, server: status.data, held: this.waiting.length });
        this.onConnected();
      }
    }
  }

  private onConnected(): void {
    this.connected = true;
    const waiting = this.waiting;
    this.waiting = [];
    for (let i = 0; i < waiting.length; i++)
      if (!this.send(waiting[i]!)) {
        this.waiting = waiting.slice(i);
        break;
      }
    void this.confirm();
  }

  private async confirm(): Promise<void> {
    if (this.confirming || !this.connected || !this.nc || !this.unconfirmed.length) return;
    this.confirming = true;
    const batch = this.unconfirmed.length;
    const generation = this.generation;
    try {
      await this.nc.flush();
      // Only if no disconnect moved the unconfirmed messages back to `waiting` meanwhile.
      if (this.generation === generation) {
        const done = this.unconfirmed.splice(0, batch);
        for (const h of done) this.telemetry.sent.value += h.items;
      }
    } catch {
      // Disconnected during the round trip: the status watcher re-queues.
    } finally {
      this.confirming = false;
      this.updateGauge();
    }
  }

  /** Publishes one held message; false when the client refuses (closed or closing). */
  private send(held: Held): boolean {
    try {
      this.nc!.publish(held.subject, held.data);
    } catch {
      return false;
    }
    this.unconfirmed.push(held);
    return true;
  }

  private updateGauge(): void {
    this.telemetry.queueSize.value = this.unconfirmed.length + this.waiting.length;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Client options from the exporter's config: servers, auth (token, user and
 * password from the environment, creds file) and TLS; reconnects forever
 * every 250 ms. Reads the creds file (throws when it cannot).
 */
export function natsConnectOptions(nats: NatsClient, c: NatsExporterConfig, id: string): ConnectionOptions {
  const options: ConnectionOptions = {
    servers: [...c.servers],
    name: `sglang-otel-bridge ${id}`,
    reconnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: c.reconnectWaitMs,
  };
  if (c.tokenEnv) options.token = process.env[c.tokenEnv] ?? '';
  if (c.user) {
    options.user = c.user;
    options.pass = process.env[c.passwordEnv] ?? '';
  }
  if (c.credsFile) options.authenticator = nats.credsAuthenticator(readFileSync(c.credsFile));
  if (c.tlsCaFile || c.tlsCertFile) options.tls = { caFile: c.tlsCaFile || undefined, certFile: c.tlsCertFile || undefined, keyFile: c.tlsKeyFile || undefined };
  return options;
}
