import type { BridgeConfig } from '../config/model.js';
import type { Logger } from '../telemetry/logger.js';
import type { SelfTelemetry } from '../telemetry/self-telemetry.js';
import { buildGraph, type Graph } from './graph.js';

/**
 * Runs a configuration: starts exporters first and receivers last, so no
 * data arrives before somebody can take it; stops receivers first and lets
 * every processor flush downstream before exporters stop.
 */
export class Service {
  private readonly graph: Graph;
  private ready = false;
  private started: { id: string; component: { shutdown(): Promise<void> } }[] = [];
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly config: BridgeConfig,
    private readonly logger: Logger,
    readonly telemetry: SelfTelemetry,
    now: () => number = Date.now,
  ) {
    this.graph = buildGraph(config, { logger, telemetry, now });
  }

  /** Starts every component; on a failure, stops what had started and rethrows. */
  async start(): Promise<void> {
    const host = { isReady: () => this.ready };
    for (const entry of this.graph.startOrder) {
      try {
        await entry.component.start(host);
      } catch (err) {
        this.logger.error('a component failed to start; stopping the others', { component: entry.id, error: err });
        await this.shutdown();
        throw err;
      }
      this.started.push(entry);
    }
    for (const path of this.config.unused) this.logger.warn('component is configured but no pipeline uses it', { component: path });
    this.ready = true;
    this.logger.info('all pipelines started', { pipelines: this.config.pipelines.map((p) => p.name) });
  }

  /** A receiver or exporter instance by its config id (for tests and the CLI). */
  component(id: string): unknown {
    return this.graph.byId.get(id);
  }

  isReady(): boolean {
    return this.ready;
  }

  /** Idempotent. Waits at most service.shutdown_timeout, then gives up on what is left. */
  shutdown(): Promise<void> {
    this.stopping ??= this.stopAll();
    return this.stopping;
  }

  private async stopAll(): Promise<void> {
    this.ready = false;
    const started = new Set(this.started.map((s) => s.component));
    const order = this.graph.shutdownOrder.filter((e) => started.has(e.component));
    const deadline = Date.now() + this.config.service.shutdownTimeoutMs;
    for (const entry of order) {
      const left = deadline - Date.now();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), Math.max(0, left))));
      try {
        const outcome = await Promise.race([entry.component.shutdown().then(() => 'done' as const), timeout]);
        if (outcome === 'timeout') this.logger.error('component did not stop within service.shutdown_timeout; data it held may be lost', { component: entry.id });
      } catch (err) {
        this.logger.error('component failed while stopping', { component: entry.id, error: err });
      } finally {
        clearTimeout(timer);
      }
    }
    this.logger.info('stopped');
  }
}
