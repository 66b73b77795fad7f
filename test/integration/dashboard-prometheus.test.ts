/**
 * The Grafana dashboard of deploy/grafana against data. The bridge reads an
 * FPM stream (shared/tools/fpm-publisher.py, 2 dp ranks, with some loss and
 * some malformed messages) and an SGLang multiprocess directory (the shared
 * fixture), and an exporter that cannot take FPM records drops them; a real
 * Prometheus scrapes the bridge. Every panel query, with Grafana's variables
 * on All, must return series: no panel is empty against what the bridge
 * serves. Per-rank panels must show ranks only, not the merged dp_rank="all".
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startBridge, sleep, type TestBridge } from '../helpers/bridge.js';
import { copyFixture } from '../helpers/multiproc.js';
import { ROOT } from '../helpers/paths.js';
import { freePorts } from '../helpers/ports.js';
import { startPrometheus, type PrometheusServer } from '../helpers/prometheus-server.js';
import { runPublisher, type PublisherTruth } from '../helpers/publisher.js';

const DP = 2;
const WORKER = 'w-dash';
const BUDGET_MS = 45_000;

interface Target { expr: string; refId: string }
interface Panel { id: number; type: string; title: string; targets?: Target[]; panels?: Panel[] }
const dashboard = JSON.parse(readFileSync(path.join(ROOT, 'deploy/grafana/sglang-bridge-dashboard.json'), 'utf8')) as { panels: Panel[]; templating: { list: { name: string; type: string; definition?: string }[] } };
const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]).filter((p) => p.type !== 'row');
/** Grafana's substitutions with every variable on All. */
const fill = (expr: string) => expr.replaceAll('$__rate_interval', '15s').replaceAll('$worker_id', '.*').replaceAll('$dp_rank', '.*');

describe('the dashboard against a bridge scraped by Prometheus', { timeout: BUDGET_MS + 5000 }, () => {
  let bridge: TestBridge | undefined;
  let prometheus: PrometheusServer | undefined;
  let publisher: Promise<PublisherTruth> | undefined;

  before(async () => {
    const deadline = Date.now() + BUDGET_MS - 10_000;
    const base = await freePorts(DP);
    const endpoint = `tcp://127.0.0.1:${base}`;
    bridge = await startBridge({
      receivers: {
        zmq_fpm: { endpoint, dp_size: DP, worker_id: WORKER, report_interval: '200ms' },
        prometheus_multiproc: { directories: [{ path: copyFixture('sglang'), sglang: true, attributes: { worker_id: WORKER } }], interval: '1s' },
      },
      processors: { welford: { window: '1s', merge_ranks: true } },
      exporters: {
        prometheus: { port: 0 },
        // Gets FPM records it cannot send (no welford before it): each one is dropped and counted, for the drops panel.
        otlp_http: { endpoint: 'http://127.0.0.1:1/v1/metrics', interval: '1h', retry_enabled: false },
      },
      pipelines: {
        'metrics/fpm': { receivers: ['zmq_fpm'], processors: ['welford'], exporters: ['prometheus'] },
        'metrics/engine': { receivers: ['prometheus_multiproc'], exporters: ['prometheus'] },
        'metrics/unsupported': { receivers: ['zmq_fpm'], exporters: ['otlp_http'] },
      },
    });
    prometheus = await startPrometheus({ targets: [{ job: 'bridge', url: bridge.metricsUrl() }], scrapeIntervalSeconds: 1 });
    publisher = runPublisher(['--endpoint', endpoint, '--dp-size', String(DP), '--rate', '200', '--duration', '12', '--drop-every', '100', '--bad-every', '150', '--worker-id', WORKER]);
    // Enough scrapes of a running stream for rates over 15 s windows of 1 s scrapes.
    while ((await prometheus.query('sglang_fpm_iterations_total')).length < DP || (await prometheus.query('count_over_time(sglang_fpm_iterations_total[15s]) >= 5')).length < DP) {
      if (Date.now() > deadline) throw new Error(`no FPM data in Prometheus in time\n${prometheus.logs()}`);
      await sleep(500);
    }
  });

  after(async () => {
    await publisher?.catch(() => undefined);
    await prometheus?.stop();
    await bridge?.stop();
  });

  for (const panel of panels) {
    test(`panel "${panel.title}" shows data`, async () => {
      for (const t of panel.targets!) {
        const series = await prometheus!.query(fill(t.expr));
        assert.ok(series.length >= 1, `${t.refId}: ${fill(t.expr)} returned nothing`);
        if (t.expr.includes('dp_rank!="all"')) {
          assert.deepEqual([...new Set(series.map((s) => s.metric.dp_rank))].sort(), ['0', '1'], `${t.refId}: one series per rank`);
        }
      }
    });
  }

  test('the worker_id and dp_rank variables list the worker and its ranks', async () => {
    const values = async (name: string) => {
      const m = /^label_values\((.+), (\w+)\)$/.exec(dashboard.templating.list.find((v) => v.name === name)!.definition!)!;
      return [...new Set((await prometheus!.query(fill(m[1]))).map((s) => s.metric[m[2]]))].sort();
    };
    assert.deepEqual(await values('worker_id'), [WORKER]);
    assert.deepEqual(await values('dp_rank'), ['0', '1']);
  });
});
