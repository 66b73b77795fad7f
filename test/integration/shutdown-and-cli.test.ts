/**
 * The built program as a user runs it: `run` stops on SIGTERM and flushes
 * what it holds; `simulate` publishes per the spec; `fpm tail` prints it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT } from '../helpers/paths.js';
import { freePorts } from '../helpers/ports.js';
import { runPublisher } from '../helpers/publisher.js';
import { sleep } from '../helpers/bridge.js';
import { decodeMessage } from '../../src/receivers/zmq_fpm/message.js';
import { Frames } from '../../src/receivers/zmq_fpm/frames.js';
import { Subscriber } from 'zeromq';

const MAIN = path.join(ROOT, 'dist/main.js');

function start(args: string[], env: NodeJS.ProcessEnv = process.env): { child: ChildProcess; out: () => string; err: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [MAIN, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, out: () => out, err: () => err, exit };
}

async function waitFor(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

test('run: SIGTERM stops receivers first and flushes the last window and totals downstream, exit 0', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bridge-run-'));
  const base = await freePorts(2);
  const out = path.join(dir, 'debug.jsonl');
  const config = path.join(dir, 'config.json');
  writeFileSync(
    config,
    JSON.stringify({
      receivers: { zmq_fpm: { endpoint: `tcp://127.0.0.1:${base}`, dp_size: 2 } },
      // A window far longer than the test: only the shutdown flush can deliver the totals.
      processors: { welford: { window: '10m' } },
      exporters: { debug: { path: out, verbosity: 'detailed' } },
      pipelines: { 'metrics/fpm': { receivers: ['zmq_fpm'], processors: ['welford'], exporters: ['debug'] } },
    }),
  );
  const bridge = start(['run', '--config', config, '--log-format', 'json']);
  await waitFor('the bridge to start', () => bridge.err().includes('all pipelines started'));
  const truth = await runPublisher(['--endpoint', `tcp://127.0.0.1:${base}`, '--dp-size', '2', '--count', '500', '--rate', '2000', '--worker-id', 'sigterm']);
  await sleep(300);
  const stopAt = Date.now();
  bridge.child.kill('SIGTERM');
  assert.equal(await bridge.exit, 0, bridge.err());
  assert.ok(Date.now() - stopAt < 3000, `stopped in ${Date.now() - stopAt} ms (nothing waits for shutdown_timeout)`);
  assert.doesNotMatch(bridge.err(), /did not stop within/);
  const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  for (const r of truth.ranks) {
    const points = lines.filter((l) => l.metric === 'sglang.fpm.iterations' && l.attributes.dp_rank === String(r.dp_rank) && l.attributes.worker_id === 'sigterm');
    assert.ok(points.length >= 1, `iterations of rank ${r.dp_rank} were flushed`);
    assert.equal(points.at(-1).value, r.data);
  }
  assert.match(bridge.err(), /stopping: receivers first/);
});

test('simulate publishes spec-conformant 3-frame messages and heartbeats; fpm tail prints them', async () => {
  const base = await freePorts(2);
  const sim = start(['simulate', '--endpoint', `tcp://127.0.0.1:${base}`, '--dp-size', '2', '--rate', '0', '--worker-id', 'idle-sim', '--duration', '6']);
  // rate 0: an idle worker, heartbeats only, one per second per rank.
  const sub = new Subscriber({ linger: 0, receiveTimeout: 5000 });
  sub.connect(`tcp://127.0.0.1:${base + 1}`);
  sub.subscribe();
  const frames = await sub.receive();
  sub.close();
  const decoded = decodeMessage(Frames.of(frames));
  assert.equal(frames.length, 3);
  assert.equal(frames[0].length, 0);
  assert.ok(decoded.ok);
  if (decoded.ok) {
    assert.equal(decoded.payload.workerId, 'idle-sim');
    assert.equal(decoded.payload.version, 1);
    assert.equal(frames[2][frames[2].indexOf(Buffer.from('wall_time')) + 9], 0xcb, 'wall_time is a float64 even when 0.0');
  }
  const tail = start(['fpm', 'tail', `tcp://127.0.0.1:${base}`, '--dp-size', '2', '--count', '2']);
  assert.equal(await tail.exit, 0, tail.err());
  const printed = tail.out().trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(printed.length, 2);
  for (const p of printed) {
    assert.equal(p.kind, 'heartbeat');
    assert.equal(p.message.worker_id, 'idle-sim');
  }
  sim.child.kill('SIGINT');
  assert.equal(await sim.exit, 0);
});

test('every command has --help that exits 0; unknown commands and bad flags exit 2', async () => {
  for (const args of [['--help'], ['run', '--help'], ['validate', '--help'], ['components', '--help'], ['fpm', '--help'], ['simulate', '--help'], ['demo', '--help']]) {
    const p = start(args);
    assert.equal(await p.exit, 0, `${args.join(' ')}: ${p.err()}`);
    assert.match(p.out(), /Usage|sglang-otel-bridge/);
  }
  for (const args of [['nosuch'], ['run', '--bogus'], ['fpm', 'tail'], ['simulate', '--schema', 'v9']]) {
    const p = start(args);
    assert.equal(await p.exit, 2, args.join(' '));
  }
});

test('components lists every option with its default', async () => {
  const p = start(['components', '--json']);
  assert.equal(await p.exit, 0);
  const list = JSON.parse(p.out());
  const zmq = list.find((c: { type: string }) => c.type === 'zmq_fpm');
  assert.equal(zmq.options.find((o: { name: string }) => o.name === 'heartbeat_timeout').default, '3s');
  assert.deepEqual(list.map((c: { kind: string; type: string }) => `${c.kind}:${c.type}`).sort(), ['exporter:debug', 'exporter:nats', 'exporter:otlp_http', 'exporter:prometheus', 'processor:dp_merge', 'processor:filter', 'processor:rank_relabel', 'processor:rename', 'processor:welford', 'receiver:prometheus_multiproc', 'receiver:prometheus_scrape', 'receiver:zmq_fpm']);
});

test('validate --print: options as they will run; header values and other secrets redacted', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bridge-validate-'));
  const file = path.join(dir, 'config.json');
  writeFileSync(
    file,
    JSON.stringify({
      receivers: { prometheus_scrape: { targets: ['http://127.0.0.1:30000/metrics'], headers: { 'x-api-key': '${env:SCRAPE_KEY}' } } },
      exporters: { otlp_http: { endpoint: 'http://127.0.0.1:4318/v1/metrics', headers: { authorization: 'Bearer ${env:OTLP_TOKEN}' } } },
      pipelines: { 'metrics/a': { receivers: ['prometheus_scrape'], exporters: ['otlp_http'] } },
    }),
  );
  const p = start(['validate', '--config', file, '--print'], { ...process.env, OTLP_TOKEN: 'tok-9f8e7d', SCRAPE_KEY: 'key-1a2b3c' });
  assert.equal(await p.exit, 0, p.err());
  assert.ok(!p.out().includes('tok-9f8e7d') && !p.out().includes('key-1a2b3c'), 'no secret in the output');
  const printed = JSON.parse(p.out().slice(p.out().indexOf('{')));
  assert.deepEqual(printed.exporters.otlp_http.headers, { authorization: '<redacted>' });
  assert.deepEqual(printed.receivers.prometheus_scrape.headers, { 'x-api-key': '<redacted>' });
  assert.equal(printed.exporters.otlp_http.protocol, 'http/protobuf', 'defaults filled in');
});

test('components --plugin lists a plugin\'s components with their options; a plugin that cannot load exits 2 naming it', async () => {
  const p = start(['components', '--json', '--plugin', './plugins/webhook']);
  assert.equal(await p.exit, 0, p.err());
  const webhook = JSON.parse(p.out()).find((c: { type: string }) => c.type === 'webhook');
  assert.equal(webhook.kind, 'exporter');
  assert.equal(webhook.options.find((o: { name: string }) => o.name === 'max_batch_points').default, 1000);
  const bad = start(['components', '--plugin', './no-such-plugin.js']);
  assert.equal(await bad.exit, 2);
  assert.match(bad.err(), /--plugin\[0\]: cannot load plugin "\.\/no-such-plugin\.js"/);
});
