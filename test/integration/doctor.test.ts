/**
 * `doctor` as a user runs it (the built program) against real peers: the
 * Python FPM publisher, a copy of the SGLang multiprocess fixture, an HTTP
 * /metrics, an OTLP/HTTP backend and nats-server; then the same kinds of
 * components broken (nothing publishing, a 0-byte .db file, a target and a
 * backend with nothing listening), each finding reported with its fix.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { sleep } from '../helpers/bridge.js';
import { copyFixture, FIXTURES, tempDir } from '../helpers/multiproc.js';
import { NatsServer } from '../helpers/nats-server.js';
import { OtlpTestReceiver } from '../helpers/otlp-receiver.js';
import { ROOT } from '../helpers/paths.js';
import { freePorts } from '../helpers/ports.js';
import { runPublisher } from '../helpers/publisher.js';

const MAIN = path.join(ROOT, 'dist/main.js');

interface Finding {
  severity: 'error' | 'warning';
  code: string;
  message: string;
  fix: string;
}
interface Section {
  id: string;
  type: string;
  facts: string[];
  findings: Finding[];
  details: Record<string, unknown>;
}

/** Runs the built CLI to its end. */
function doctor(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, 'doctor', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.once('exit', (code) => resolve({ code, out, err }));
  });
}

function writeConfig(config: Record<string, unknown>): string {
  const file = path.join(tempDir('doctor'), 'config.json');
  writeFileSync(file, JSON.stringify(config));
  return file;
}

/** An SGLang-like /metrics: the exposition prometheus_client serves for the sglang fixture. */
async function metricsServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const body = readFileSync(path.join(FIXTURES, 'sglang/expected.prom'), 'utf8');
  const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(body));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/metrics`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

test('doctor: a healthy node reports both FPM ranks and every component reachable, exit 0', async () => {
  const base = await freePorts(2);
  const otlp = new OtlpTestReceiver();
  await otlp.start();
  const nats = new NatsServer();
  await nats.start();
  const metrics = await metricsServer();
  try {
    const config = writeConfig({
      receivers: {
        zmq_fpm: { endpoint: `tcp://127.0.0.1:${base}`, dp_size: 2 },
        prometheus_multiproc: { directories: [copyFixture('sglang')] },
        prometheus_scrape: { targets: [metrics.url] },
      },
      exporters: { prometheus: { port: 0 }, otlp_http: { endpoint: otlp.url }, nats: { servers: [nats.url] } },
      pipelines: { 'metrics/all': { receivers: ['zmq_fpm', 'prometheus_multiproc', 'prometheus_scrape'], exporters: ['prometheus', 'otlp_http', 'nats'] } },
    });
    const publisher = runPublisher(['--endpoint', `tcp://127.0.0.1:${base}`, '--dp-size', '2', '--rate', '100', '--duration', '4', '--worker-id', 'doc-w']);
    await sleep(500);
    const human = await doctor(['--config', config, '--listen', '2s']);
    assert.equal(human.code, 0, human.out + human.err);
    assert.match(human.out, new RegExp(`✓ rank 0 tcp://127.0.0.1:${base}: \\d+ messages`));
    assert.match(human.out, new RegExp(`✓ rank 1 tcp://127.0.0.1:${base + 1}: \\d+ messages`));
    assert.match(human.out, /worker_id "doc-w"/);
    assert.doesNotMatch(human.out, /✗/);
    const json = await doctor(['--config', config, '--listen', '1s', '--json']);
    await publisher;
    assert.equal(json.code, 0, json.err);
    const report = JSON.parse(json.out) as { exit_code: number; sections: Section[] };
    assert.equal(report.exit_code, 0);
    const byType = new Map(report.sections.map((s) => [s.type, s]));
    const ranks = byType.get('zmq_fpm')!.details.ranks as { rank: number; messages: number; lost: number; worker_ids: string[] }[];
    assert.deepEqual(ranks.map((r) => r.rank), [0, 1]);
    for (const r of ranks) {
      assert.ok(r.messages > 0, `rank ${r.rank} received`);
      assert.equal(r.lost, 0);
      assert.deepEqual(r.worker_ids, ['doc-w']);
    }
    for (const s of report.sections) assert.deepEqual(s.findings.filter((f) => f.severity === 'error'), [], `${s.id}: no errors`);
    // The fixture's processes are long gone: a warning, not an error.
    assert.ok(byType.get('prometheus_multiproc')!.findings.some((f) => f.code === 'multiproc_dead_process_files'));
    assert.match(byType.get('prometheus_scrape')!.facts[0], /: up, \d+ series/);
    assert.match(byType.get('otlp_http')!.facts[0], /reachable \(HTTP 200/);
    assert.match(byType.get('nats')!.facts[0], /connected to/);
    // --strict makes the warnings count.
    assert.equal((await doctor(['--config', config, '--listen', '100ms', '--strict', '--json'])).code, 1);
  } finally {
    await Promise.all([otlp.stop(), nats.stop(), metrics.close()]);
  }
});

test('doctor: nothing publishing, a 0-byte .db file, a target and a backend down: exit 1, each finding with its fix', async () => {
  const [fpm, scrape, backend] = await Promise.all([freePorts(1), freePorts(1), freePorts(1)]);
  const dir = copyFixture('sglang');
  writeFileSync(path.join(dir, 'gauge_all_4199.db'), '');
  const config = writeConfig({
    receivers: {
      zmq_fpm: { endpoint: `tcp://127.0.0.1:${fpm}` },
      prometheus_multiproc: { directories: [dir] },
      prometheus_scrape: { targets: [`http://127.0.0.1:${scrape}/metrics`], timeout: '1s' },
    },
    exporters: { otlp_http: { endpoint: `http://127.0.0.1:${backend}/v1/metrics` } },
    pipelines: { 'metrics/all': { receivers: ['zmq_fpm', 'prometheus_multiproc', 'prometheus_scrape'], exporters: ['otlp_http'] } },
  });
  const human = await doctor(['--config', config, '--listen', '1s']);
  assert.equal(human.code, 1, human.out + human.err);
  const expected: [string, RegExp][] = [
    ['fpm_no_publisher', /--enable-forward-pass-metrics/],
    ['multiproc_damaged_files', /remove them/],
    ['scrape_down', /--enable-metrics/],
    ['otlp_unreachable', /start the OTLP receiver/],
  ];
  for (const [code, fix] of expected) assert.match(human.out, new RegExp(`✗ \\[${code}\\] .*\\n +fix: .*${fix.source}`), `${code} with its fix`);
  const report = JSON.parse((await doctor(['--config', config, '--listen', '500ms', '--json'])).out) as { exit_code: number; sections: Section[] };
  assert.equal(report.exit_code, 1);
  const errors = report.sections.flatMap((s) => s.findings.filter((f) => f.severity === 'error').map((f) => f.code));
  assert.deepEqual(errors.sort(), ['fpm_no_publisher', 'multiproc_damaged_files', 'otlp_unreachable', 'scrape_down']);
  assert.match(report.sections[1].findings.find((f) => f.code === 'multiproc_damaged_files')!.message, /gauge_all_4199\.db \(empty\)/);
});

test('doctor: an invalid config exits 2 with its problems; --help explains checks and exit codes', async () => {
  const config = writeConfig({ receivers: { zmq_fpm: {} }, exporters: { debug: {} }, pipelines: { 'metrics/x': { receivers: ['zmq_fpm'], exporters: ['debug'] } } });
  const invalid = await doctor(['--config', config]);
  assert.equal(invalid.code, 2);
  assert.match(invalid.err, /endpoint/);
  const help = await doctor(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.out, /Exit codes: 0/);
  assert.match(help.out, /--strict/);
});
