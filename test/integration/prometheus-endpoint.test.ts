/** The prometheus exporter's HTTP side: health, readiness, auth, TLS, content negotiation. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startBridge } from '../helpers/bridge.js';

function config(exporter: Record<string, unknown>) {
  const dir = mkdtempSync(path.join(tmpdir(), 'prom-ep-'));
  return {
    receivers: { zmq_fpm: { endpoint: `ipc://${dir}/fpm`, worker_id: 'w' } },
    exporters: { prometheus: { port: 0, ...exporter } },
    pipelines: { 'metrics/fpm': { receivers: ['zmq_fpm'], exporters: ['prometheus'] } },
  };
}

test('healthz, readyz, 404 elsewhere, text by default and OpenMetrics when asked', async () => {
  const bridge = await startBridge(config({}));
  try {
    const base = bridge.metricsUrl().replace(/\/metrics$/, '');
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
    assert.equal((await fetch(`${base}/nope`)).status, 404);
    const text = await fetch(bridge.metricsUrl());
    assert.match(text.headers.get('content-type')!, /^text\/plain; version=0.0.4/);
    assert.match(await text.text(), /# TYPE sglang_fpm_up gauge\nsglang_fpm_up\{dp_rank="0",worker_id="w"\} 0/);
    const om = await fetch(bridge.metricsUrl(), { headers: { accept: 'application/openmetrics-text; version=1.0.0' } });
    assert.match(om.headers.get('content-type')!, /^application\/openmetrics-text/);
    const body = await om.text();
    assert.match(body, /# TYPE sglang_fpm_heartbeats counter\nsglang_fpm_heartbeats_total/);
    assert.ok(body.endsWith('# EOF\n'));
    await bridge.stop();
    await assert.rejects(fetch(`${base}/healthz`), 'the server is closed after shutdown');
  } finally {
    await bridge.stop();
  }
});

test('bearer token: 401 without it, 200 with it; health checks stay open', async () => {
  process.env.TEST_BRIDGE_TOKEN = 's3cret';
  const bridge = await startBridge(config({ bearer_token_env: 'TEST_BRIDGE_TOKEN' }));
  try {
    assert.equal((await fetch(bridge.metricsUrl())).status, 401);
    assert.equal((await fetch(bridge.metricsUrl(), { headers: { authorization: 'Bearer wrong' } })).status, 401);
    assert.equal((await fetch(bridge.metricsUrl(), { headers: { authorization: 'Bearer s3cret' } })).status, 200);
    assert.equal((await fetch(bridge.metricsUrl().replace(/metrics$/, 'healthz'))).status, 200);
  } finally {
    await bridge.stop();
  }
});

test('a bearer_token_env that is not set fails start with a message naming it', async () => {
  delete process.env.TEST_BRIDGE_MISSING;
  await assert.rejects(startBridge(config({ bearer_token_env: 'TEST_BRIDGE_MISSING' })), /TEST_BRIDGE_MISSING/);
});

test('TLS: serves HTTPS with the configured certificate', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tls-'));
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
  const bridge = await startBridge(config({ tls_cert_file: cert, tls_key_file: key }));
  try {
    assert.match(bridge.metricsUrl(), /^https:/);
    const body = await new Promise<string>((resolve, reject) => {
      https.get(bridge.metricsUrl(), { rejectUnauthorized: false }, (res) => {
        let data = '';
        res.on('data', (d) => (data += d));
        res.on('end', () => resolve(data));
      }).on('error', reject);
    });
    assert.match(body, /sglang_fpm_up/);
  } finally {
    await bridge.stop();
  }
});

test('a port already in use fails start with a message naming the port', async () => {
  const first = await startBridge(config({}));
  try {
    const port = Number(new URL(first.metricsUrl()).port);
    await assert.rejects(startBridge(config({ port })), new RegExp(`127.0.0.1:${port}`));
  } finally {
    await first.stop();
  }
});
