import type { Consumer, CreateSettings, Receiver } from '../../component/contracts.js';
import { PermanentError } from '../../component/errors.js';
import { countPoints, type GaugeMetric, type Metric } from '../../model/metrics.js';
import type { Cell } from '../../telemetry/self-telemetry.js';
import { CumulativeClock, familiesToMetrics } from '../prometheus_multiproc/to-metrics.js';
import type { ScrapeConfig } from './config.js';
import { LabelIntern, parseExposition } from './parse.js';

/** What a scrape accepts: OpenMetrics first, then text 0.0.4 (as Prometheus asks). */
export const ACCEPT = 'application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.1';

/**
 * Scrapes /metrics endpoints (SGLang's launch_server) like Prometheus:
 * every interval per target, with a timeout, never overlapping; every
 * series labelled `job` and `instance`; an `up` series per target (1 on a
 * successful scrape, 0 otherwise) and `scrape_duration_seconds`. A down or
 * slow target is counted and retried next interval; the others go on.
 */
export class ScrapeReceiver implements Receiver {
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly clocks = new Map<string, CumulativeClock>();
  private readonly interns = new Map<string, LabelIntern>();
  private readonly busy = new Set<string>();
  private token: string | undefined;
  private stopped = false;
  private readonly accepted: Cell;

  constructor(
    private readonly settings: CreateSettings,
    private readonly config: ScrapeConfig,
    private readonly next: Consumer,
  ) {
    this.accepted = settings.telemetry.receiverAccepted(settings.id);
  }

  async start(): Promise<void> {
    if (this.timers.length || this.stopped) return;
    if (this.config.bearerTokenEnv) {
      this.token = process.env[this.config.bearerTokenEnv];
      if (!this.token) throw new PermanentError(`receiver ${this.settings.id}: environment variable ${this.config.bearerTokenEnv} (bearer_token_env) is empty or not set`);
    }
    for (const target of this.config.targets) {
      const run = () => this.track(this.scrape(target));
      const timer = setInterval(run, this.config.intervalMs);
      timer.unref();
      this.timers.push(timer);
      setImmediate(run);
    }
  }

  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    await Promise.allSettled([...this.inFlight]);
  }

  private track(p: Promise<void>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  /** One scrape of one target; never throws. */
  async scrape(target: string): Promise<void> {
    if (this.stopped || this.busy.has(target)) return;
    this.busy.add(target);
    const url = new URL(target);
    const labels = { job: this.config.job, instance: url.host };
    const started = performance.now();
    const nowMs = this.settings.now();
    let metrics: Metric[] = [];
    let up = 0;
    try {
      const headers: Record<string, string> = { accept: ACCEPT, ...this.config.headers };
      if (this.token) headers.authorization = `Bearer ${this.token}`;
      const res = await fetch(target, { headers, signal: AbortSignal.timeout(this.config.timeoutMs) });
      if (!res.ok) throw new ScrapeFailure('http_status', `HTTP ${res.status}`);
      const body = await res.text();
      const parsed = parseExposition(body, (res.headers.get('content-type') ?? '').includes('openmetrics'), this.intern(target));
      if (parsed.errors.length) {
        this.failureCell(target, 'parse').value += parsed.errors.length;
        this.settings.logger.debug('unparsable lines skipped in a scrape', { target, first: parsed.errors[0], count: parsed.errors.length });
      }
      metrics = familiesToMetrics(parsed.families, labels, nowMs, this.clock(target), false);
      up = 1;
    } catch (err) {
      const reason = err instanceof ScrapeFailure ? err.reason : (err as Error).name === 'TimeoutError' ? 'timeout' : 'connection';
      this.failureCell(target, reason).value++;
      this.settings.logger.warn('scrape failed; retrying next interval', { target, reason, error: (err as Error).message });
    } finally {
      this.busy.delete(target);
    }
    if (this.stopped) return;
    const seconds = (performance.now() - started) / 1000;
    const point = (value: number) => [{ attributes: labels, startTimeMs: nowMs, timeMs: nowMs, value }];
    const upMetric: GaugeMetric = { kind: 'gauge', name: 'up', description: '1 if the last scrape of the target succeeded, else 0.', unit: '', points: point(up) };
    const duration: GaugeMetric = { kind: 'gauge', name: 'scrape_duration_seconds', description: 'Seconds the last scrape of the target took.', unit: '', points: point(seconds) };
    metrics.push(upMetric, duration);
    this.accepted.value += countPoints(metrics);
    this.next.consume({ metrics });
  }

  /** One label intern per target (see LabelIntern). */
  private intern(target: string): LabelIntern {
    let i = this.interns.get(target);
    if (!i) this.interns.set(target, (i = new LabelIntern()));
    return i;
  }

  private clock(target: string): CumulativeClock {
    let c = this.clocks.get(target);
    if (!c) this.clocks.set(target, (c = new CumulativeClock()));
    return c;
  }

  private failureCell(target: string, reason: string): Cell {
    return this.settings.telemetry.counter('bridge_scrape_failures_total', 'Failed scrapes (and unparsable lines: reason="parse") by target and reason.', { receiver: this.settings.id, target, reason });
  }
}

class ScrapeFailure extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}
