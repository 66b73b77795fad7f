/**
 * prometheus_scrape against a real prometheus_client HTTP server (Debian's
 * python3-prometheus-client), a target that is down, and one slower than the
 * timeout: values carried exactly, up per target, failures counted, nothing stops.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { startBridge, sleep, type TestBridge } from '../helpers/bridge.js';
import { parseExposition, valueOf } from '../helpers/exposition.js';
import { SYSTEM_PYTHON } from '../helpers/paths.js';
import { freePorts } from '../helpers/ports.js';

const PYTHON_SERVER = `
import sys, time
from prometheus_client import Counter, Gauge, Histogram, Summary, start_http_server
c = Counter('sglang:prompt_tokens', 'Prompt tokens.', ['model_name'])
c.labels('Qwen/Qwen3 "0.6B"').inc(193184)
g = Gauge('sglang:num_running_reqs', 'Running requests.', ['dp_rank'])
g.labels('0').set(37); g.labels('1').set(45)
h = Histogram('sglang:time_to_first_token_seconds', 'TTFT.', buckets=[0.1, 0.5, 1.0, 2.5])
for v in [0.05, 0.2, 0.7, 3.0, 0.09]: h.observe(v)
s = Summary('sglang:queue_seconds', 'Queue time.')
s.observe(1.5); s.observe(2.5)
start_http_server(int(sys.argv[1]), addr='127.0.0.1')
print('ready', flush=True)
time.sleep(120)
`;

let python: ChildProcess;
let pythonPort: number;
let slow: http.Server;
let slowPort: number;
let deadPort: number;
let bridge: TestBridge;

before(async () => {
  pythonPort = await freePorts(1);
  python = spawn(SYSTEM_PYTHON, ['-c', PYTHON_SERVER, String(pythonPort)], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    python.stdout!.on('data', (d) => String(d).includes('ready') && resolve());
    python.once('exit', (code) => reject(new Error(`python server exited ${code}`)));
  });
  slowPort = await freePorts(1);
  slow = http.createServer((_req, res) => setTimeout(() => res.end('late 1\n'), 1500));
  await new Promise<void>((r) => slow.listen(slowPort, '127.0.0.1', r));
  deadPort = await freePorts(1);
  bridge = await startBridge({
    receivers: {
      prometheus_scrape: { targets: [`http://127.0.0.1:${pythonPort}/metrics`, `http://127.0.0.1:${deadPort}/metrics`, `http://127.0.0.1:${slowPort}/metrics`], interval: '500ms', timeout: '300ms' },
    },
    exporters: { prometheus: { port: 0 } },
    pipelines: { 'metrics/scrape': { receivers: ['prometheus_scrape'], exporters: ['prometheus'] } },
  });
  await sleep(1300);
});

after(async () => {
  await bridge?.stop();
  python?.kill();
  slow?.closeAllConnections();
  slow?.close();
});

test('values from prometheus_client arrive exactly, with job and instance labels', async () => {
  const samples = parseExposition(await bridge.scrape());
  const instance = `127.0.0.1:${pythonPort}`;
  const id = { job: 'sglang', instance };
  assert.equal(valueOf(samples, 'sglang:prompt_tokens_total', { ...id, model_name: 'Qwen/Qwen3 "0.6B"' }), 193184);
  assert.equal(valueOf(samples, 'sglang:num_running_reqs', { ...id, dp_rank: '0' }), 37);
  assert.equal(valueOf(samples, 'sglang:num_running_reqs', { ...id, dp_rank: '1' }), 45);
  assert.equal(valueOf(samples, 'sglang:time_to_first_token_seconds_bucket', { ...id, le: '0.1' }), 2);
  assert.equal(valueOf(samples, 'sglang:time_to_first_token_seconds_bucket', { ...id, le: '1.0' }), 4);
  assert.equal(valueOf(samples, 'sglang:time_to_first_token_seconds_bucket', { ...id, le: '+Inf' }), 5);
  assert.equal(valueOf(samples, 'sglang:time_to_first_token_seconds_count', id), 5);
  assert.ok(Math.abs(valueOf(samples, 'sglang:time_to_first_token_seconds_sum', id) - 4.04) < 1e-9);
  assert.equal(valueOf(samples, 'sglang:queue_seconds_count', id), 2);
  assert.equal(valueOf(samples, 'sglang:queue_seconds_sum', id), 4);
  assert.equal(valueOf(samples, 'up', id), 1);
});

test('a down target and a slow target: up 0, failures counted by reason, the healthy target still served', async () => {
  const samples = parseExposition(await bridge.scrape());
  assert.equal(valueOf(samples, 'up', { instance: `127.0.0.1:${deadPort}` }), 0);
  assert.equal(valueOf(samples, 'up', { instance: `127.0.0.1:${slowPort}` }), 0);
  assert.ok(valueOf(samples, 'bridge_scrape_failures_total', { target: `http://127.0.0.1:${deadPort}/metrics`, reason: 'connection' }) >= 2);
  assert.ok(valueOf(samples, 'bridge_scrape_failures_total', { target: `http://127.0.0.1:${slowPort}/metrics`, reason: 'timeout' }) >= 2);
  assert.equal(valueOf(samples, 'up', { instance: `127.0.0.1:${pythonPort}` }), 1);
});
