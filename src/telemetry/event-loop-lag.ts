import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Gauge, type Registry } from 'prom-client';

/**
 * The event-loop lag families prom-client's default metrics have
 * (`nodejs_eventloop_lag_seconds`, `_min_`, `_max_`, `_mean_`, `_stddev_`,
 * `_p50_`, `_p90_`, `_p99_seconds`), sampled every SAMPLE_MS instead of
 * prom-client's 10 ms, and reported as how late the sampling timer fired.
 *
 * Why: prom-client's sampling timer wakes the process 100 times a second,
 * about 1 % of a core on a small VM: a third of what the whole FPM path
 * costs at 3,200 msg/s. Node's histogram records the whole interval between
 * two firings, so prom-client's values include its 10 ms resolution; these
 * subtract it (an idle loop reads about 0, not 0.01 s). A stall of SAMPLE_MS
 * or more is always seen; a shorter one in proportion to its length.
 * `nodejs_eventloop_lag_seconds` is measured at each scrape (the time to
 * the next turn of the loop), as prom-client does.
 */
export const SAMPLE_MS = 100;

export const EVENT_LOOP_LAG_FAMILIES = ['', '_min', '_max', '_mean', '_stddev', '_p50', '_p90', '_p99'].map((s) => `nodejs_eventloop_lag${s}_seconds`);

export function registerEventLoopLag(registry: Registry): void {
  const histogram = monitorEventLoopDelay({ resolution: SAMPLE_MS });
  histogram.enable();
  const intervalNs = SAMPLE_MS * 1e6;
  /** Seconds a firing came later than its interval (a recorded value is interval + lateness, in ns). */
  const late = (ns: number): number => (Number.isFinite(ns) && histogram.count > 0 ? Math.max(0, ns - intervalNs) / 1e9 : 0);
  // Registered first: its collect() sets the others (declared below; it runs at scrapes only), which the registry serialises after it.
  new Gauge({
    name: 'nodejs_eventloop_lag_seconds',
    help: 'Lag of event loop in seconds (time to the next turn of the loop, measured at the scrape).',
    registers: [registry],
    collect() {
      const start = process.hrtime.bigint();
      setImmediate(() => this.set(Number(process.hrtime.bigint() - start) / 1e9));
      min.set(late(histogram.min));
      max.set(late(histogram.max));
      mean.set(late(histogram.mean));
      stddev.set(histogram.count > 0 && Number.isFinite(histogram.stddev) ? histogram.stddev / 1e9 : 0);
      p50.set(late(histogram.percentile(50)));
      p90.set(late(histogram.percentile(90)));
      p99.set(late(histogram.percentile(99)));
      histogram.reset();
    },
  });
  const gauge = (suffix: string, help: string) => new Gauge({ name: `nodejs_eventloop_lag${suffix}_seconds`, help, registers: [registry] });
  const min = gauge('_min', `The minimum event loop delay since the last scrape (timer sampled every ${SAMPLE_MS} ms).`);
  const max = gauge('_max', `The maximum event loop delay since the last scrape (timer sampled every ${SAMPLE_MS} ms).`);
  const mean = gauge('_mean', 'The mean of the event loop delays since the last scrape.');
  const stddev = gauge('_stddev', 'The standard deviation of the event loop delays since the last scrape.');
  const p50 = gauge('_p50', 'The 50th percentile of the event loop delays since the last scrape.');
  const p90 = gauge('_p90', 'The 90th percentile of the event loop delays since the last scrape.');
  const p99 = gauge('_p99', 'The 99th percentile of the event loop delays since the last scrape.');
}
