import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePorts } from './ports.js';

/** Debian's Prometheus server (package `prometheus`, installed by test/setup.sh). */
export const PROMETHEUS_BIN = '/usr/bin/prometheus';

/** One series of an instant-query result, with its value as a number. */
export interface PromSample {
  metric: Record<string, string>;
  value: number;
  /** Evaluation (or, for `timestamp()`, sample) time in Unix seconds. */
  time: number;
}

export interface PrometheusServer {
  /** Base URL of the HTTP API, e.g. http://127.0.0.1:PORT */
  readonly url: string;
  /** An instant query (GET /api/v1/query); rejects on an API error or a non-vector result. */
  query(promql: string): Promise<PromSample[]>;
  /** What Prometheus printed so far (for failure messages). */
  logs(): string;
  /** SIGTERM, then SIGKILL after a grace period; removes the temporary directory. */
  stop(): Promise<void>;
}

export interface PrometheusOptions {
  /** Metrics URLs to scrape, each as its own job (job names must differ). */
  targets: { job: string; url: string }[];
  scrapeIntervalSeconds?: number;
  /** How long to wait for /-/ready. */
  readyTimeoutMs?: number;
}

function scrapeConfig(options: PrometheusOptions): string {
  const interval = `${options.scrapeIntervalSeconds ?? 1}s`;
  const jobs = options.targets.map(({ job, url }) => {
    const u = new URL(url);
    return [
      `  - job_name: ${JSON.stringify(job)}`,
      `    scheme: ${u.protocol.replace(':', '')}`,
      `    metrics_path: ${JSON.stringify(u.pathname)}`,
      `    static_configs:`,
      `      - targets: [${JSON.stringify(u.host)}]`,
    ].join('\n');
  });
  return [`global:`, `  scrape_interval: ${interval}`, `  scrape_timeout: ${interval}`, `  evaluation_interval: ${interval}`, `scrape_configs:`, ...jobs, ''].join('\n');
}

/**
 * Starts a real Prometheus scraping `targets`, on a free port, with its TSDB
 * in a temporary directory, and waits until it is ready. A missing binary is
 * an error (never a skip): the tests that use this must fail without it.
 */
export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  try {
    accessSync(PROMETHEUS_BIN, constants.X_OK);
  } catch {
    throw new Error(`${PROMETHEUS_BIN} is missing or not executable: install Debian's "prometheus" package (test/setup.sh does)`);
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'bridge-prometheus-'));
  const configFile = path.join(dir, 'prometheus.yml');
  writeFileSync(configFile, scrapeConfig(options));
  const readyTimeoutMs = options.readyTimeoutMs ?? 15_000;

  // A free port may be taken between the check and Prometheus's bind: try a few.
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePorts(1);
    const url = `http://127.0.0.1:${port}`;
    const child = spawn(
      PROMETHEUS_BIN,
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${path.join(dir, `data-${attempt}`)}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=info',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.once('error', (err) => (output += `\nspawn error: ${err.message}`));
    try {
      await waitReady(url, exited, readyTimeoutMs);
      return server(url, child, exited, () => output, dir);
    } catch (err) {
      lastError = new Error(`${(err as Error).message}\n--- prometheus output ---\n${output}`);
      await terminate(child, exited);
      if (!/address already in use/.test(output)) break;
    }
  }
  rmSync(dir, { recursive: true, force: true });
  throw lastError;
}

async function waitReady(url: string, exited: Promise<number | null>, timeoutMs: number): Promise<void> {
  let gone: number | null | undefined;
  void exited.then((code) => (gone = code ?? -1));
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (gone !== undefined) throw new Error(`prometheus exited with ${gone} before it was ready`);
    try {
      const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`prometheus was not ready at ${url} within ${timeoutMs} ms`);
}

async function terminate(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

function server(url: string, child: ChildProcess, exited: Promise<number | null>, logs: () => string, dir: string): PrometheusServer {
  let stopped: Promise<void> | undefined;
  return {
    url,
    logs,
    async query(promql) {
      const res = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: promql })}`, { signal: AbortSignal.timeout(5000) });
      const body = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] } };
      if (body.status !== 'success' || !body.data) throw new Error(`query ${promql} failed (${res.status}): ${body.error ?? JSON.stringify(body)}`);
      if (body.data.resultType !== 'vector') throw new Error(`query ${promql}: expected a vector, got ${body.data.resultType}`);
      return body.data.result.map((r) => ({ metric: r.metric, time: r.value[0], value: Number(r.value[1]) }));
    },
    stop() {
      stopped ??= terminate(child, exited).then(() => rmSync(dir, { recursive: true, force: true }));
      return stopped;
    },
  };
}
