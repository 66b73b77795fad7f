import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { CreateSettings, Exporter, Host } from '../../component/contracts.js';
import { PermanentError } from '../../component/errors.js';
import type { Batch } from '../../model/batch.js';
import { countPoints } from '../../model/metrics.js';
import { registryAsMetrics } from '../../telemetry/as-metrics.js';
import type { Cell } from '../../telemetry/self-telemetry.js';
import type { PrometheusExporterConfig } from './config.js';
import { CONTENT_TYPE, negotiate, renderChunks } from './render.js';
import { MetricStore } from './store.js';

/**
 * Serves the pipeline's metrics (latest value of every series) for
 * Prometheus to scrape, plus the bridge's own metrics, /healthz (alive)
 * and /readyz (every pipeline started).
 */
export class PrometheusExporter implements Exporter {
  private readonly store: MetricStore;
  private server: http.Server | undefined;
  private host: Host | undefined;
  private token: string | undefined;
  private readonly startTimeMs: number;
  private readonly received: Cell;
  private readonly scrapes: Cell;
  private readonly series: Cell;

  constructor(
    private readonly settings: CreateSettings,
    private readonly config: PrometheusExporterConfig,
  ) {
    this.store = new MetricStore(config.metricExpirationMs);
    this.startTimeMs = settings.now();
    const labels = { exporter: settings.id };
    this.received = settings.telemetry.exporterSent(settings.id);
    this.scrapes = settings.telemetry.counter('bridge_exporter_scrapes_total', 'Scrapes a prometheus exporter served.', labels);
    this.series = settings.telemetry.gauge('bridge_exporter_series', 'Series a prometheus exporter currently serves.', labels);
  }

  consume(batch: Batch): void {
    if (!batch.metrics) return;
    this.store.put(batch.metrics, this.settings.now());
    this.received.value += countPoints(batch.metrics);
  }

  async start(host: Host): Promise<void> {
    if (this.server) return;
    this.host = host;
    if (this.config.bearerTokenEnv) {
      this.token = process.env[this.config.bearerTokenEnv];
      if (!this.token) throw new PermanentError(`exporter ${this.settings.id}: environment variable ${this.config.bearerTokenEnv} (bearer_token_env) is empty or not set`);
    }
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => void this.handle(req, res);
    this.server = this.config.tlsCertFile ? https.createServer({ cert: readFileSync(this.config.tlsCertFile), key: readFileSync(this.config.tlsKeyFile) }, handler) : http.createServer(handler);
    const server = this.server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => reject(new PermanentError(`exporter ${this.settings.id}: cannot listen on ${this.config.host}:${this.config.port} (${err.code ?? err.message}); choose another port`, { cause: err })));
      server.listen(this.config.port, this.config.host, () => resolve());
    });
    this.settings.logger.info('prometheus exporter listening', { url: this.url() });
  }

  /** The metrics URL (after start; with the actual port when 0 was configured). */
  url(): string {
    const address = this.server?.address() as AddressInfo | null;
    const scheme = this.config.tlsCertFile ? 'https' : 'http';
    const host = address?.family === 'IPv6' ? `[${address.address}]` : address?.address;
    return `${scheme}://${host}:${address?.port}${this.config.path}`;
  }

  async shutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The exposition as a scrape would see it. */
  async exposition(format: 'text' | 'openmetrics' = 'text'): Promise<string> {
    return (await this.expositionChunks(format)).join('');
  }

  /** The exposition in consecutive pieces (see renderChunks), as the server writes it. */
  async expositionChunks(format: 'text' | 'openmetrics' = 'text'): Promise<string[]> {
    const now = this.settings.now();
    const metrics = this.store.snapshot(now);
    this.series.value = this.store.seriesCount;
    if (this.config.selfTelemetry) metrics.push(...(await registryAsMetrics(this.settings.telemetry.registry, now, this.startTimeMs)));
    return renderChunks(metrics, format);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    if (path === '/readyz') {
      const ready = this.host?.isReady() ?? false;
      return void res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(ready ? 'ready\n' : 'starting\n');
    }
    if (path !== this.config.path) return void res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found; metrics are at ${this.config.path}\n`);
    if (this.token && req.headers.authorization !== `Bearer ${this.token}`) {
      return void res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' }).end('a bearer token is required\n');
    }
    try {
      const format = negotiate(req.headers.accept);
      const chunks = await this.expositionChunks(format);
      this.scrapes.value++;
      // Written piece by piece: no single join or encoding of a large exposition.
      res.writeHead(200, { 'content-type': CONTENT_TYPE[format] });
      for (const chunk of chunks) res.write(chunk);
      res.end();
    } catch (err) {
      this.settings.logger.error('rendering the exposition failed', { error: err });
      res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error\n');
    }
  }
}
