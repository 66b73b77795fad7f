/**
 * The zmq_fpm -> welford -> prometheus path against SGLang's side played by
 * shared/tools/fpm-publisher.py (pyzmq + msgpack, real libzmq sockets): the
 * bridge's counters must equal the publisher's printed truth exactly.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startBridge, sleep, type TestBridge } from '../helpers/bridge.js';
import { parseExposition, valueOf, type Sample } from '../helpers/exposition.js';
import { freePorts } from '../helpers/ports.js';
import { runPublisher, type PublisherTruth } from '../helpers/publisher.js';

const DP = 3;
const BAD_TO_REASON: Record<string, string> = { two_frames: 'frame_count', short_seq: 'seq_frame', wrong_types: 'schema', future_version: 'version' };

function bridgeConfig(endpoint: string, transport: 'zmtp' | 'libzmq' = 'zmtp') {
  return {
    receivers: { zmq_fpm: { endpoint, dp_size: DP, heartbeat_timeout: '1s', report_interval: '200ms', worker_id: 'fallback', transport } },
    processors: { welford: { window: '300ms', merge_ranks: true } },
    exporters: { prometheus: { port: 0 } },
    pipelines: { 'metrics/fpm': { receivers: ['zmq_fpm'], processors: ['welford'], exporters: ['prometheus'] } },
  };
}

function relClose(actual: number, expected: number, rel: number, what: string) {
  assert.ok(Math.abs(actual - expected) <= rel * Math.max(1, Math.abs(expected)), `${what}: ${actual} vs ${expected}`);
}

function checkAgainstTruth(samples: Sample[], truth: PublisherTruth) {
  for (const r of truth.ranks) {
    const id = { worker_id: truth.worker_id, dp_rank: String(r.dp_rank) };
    const at = `rank ${r.dp_rank}`;
    assert.equal(valueOf(samples, 'sglang_fpm_iterations_total', id), r.data, `${at} iterations`);
    assert.equal(valueOf(samples, 'sglang_fpm_wall_time_seconds_count', id), r.data, `${at} wall_time count`);
    assert.equal(valueOf(samples, 'sglang_fpm_heartbeats_total', id), r.heartbeats, `${at} heartbeats`);
    assert.equal(valueOf(samples, 'sglang_fpm_messages_lost_total', id), r.skipped_seq, `${at} lost`);
    assert.equal(valueOf(samples, 'sglang_fpm_publisher_restarts_total', id), r.restarts, `${at} restarts`);
    const refused = (reason: string) => valueOf(samples, 'sglang_fpm_messages_refused_total', { ...id, reason });
    for (const [kind, reason] of Object.entries(BAD_TO_REASON)) assert.equal(refused(reason), r.bad[kind] ?? 0, `${at} refused ${reason}`);
    // Random garbage bytes are usually invalid msgpack, but may happen to be a valid non-map value.
    assert.equal(refused('msgpack') + refused('not_map'), (r.bad.garbage_payload ?? 0) + (r.bad.not_a_map ?? 0), `${at} refused msgpack + not_map`);
    assert.ok(refused('not_map') >= (r.bad.not_a_map ?? 0), `${at} refused not_map`);
    const s = r.sum.scheduled;
    assert.equal(valueOf(samples, 'sglang_fpm_scheduled_prefill_requests_total', id), s.num_prefill_requests, `${at} prefill requests`);
    assert.equal(valueOf(samples, 'sglang_fpm_scheduled_prefill_tokens_total', id), s.sum_prefill_tokens, `${at} prefill tokens`);
    assert.equal(valueOf(samples, 'sglang_fpm_scheduled_prefill_cached_tokens_total', id), s.sum_prefill_kv_tokens, `${at} cached tokens`);
    assert.equal(valueOf(samples, 'sglang_fpm_scheduled_decode_requests_total', id), s.num_decode_requests, `${at} decode requests`);
    assert.equal(valueOf(samples, 'sglang_fpm_scheduled_decode_kv_tokens_total', id), s.sum_decode_kv_tokens, `${at} decode kv tokens`);
    relClose(valueOf(samples, 'sglang_fpm_wall_time_seconds_sum', id), r.sum.wall_time, 1e-6, `${at} sum wall_time`);
  }
}

interface Case {
  name: string;
  transport: 'tcp' | 'ipc';
  /** The receiver's ZeroMQ implementation. */
  peer: 'zmtp' | 'libzmq';
  schema: 'v1' | 'legacy';
  extra: string[];
}

const CASES: Case[] = [
  { name: 'v1 over tcp, with loss, a restart and malformed messages', transport: 'tcp', peer: 'zmtp', schema: 'v1', extra: ['--drop-every', '100', '--restart-at', '1000', '--bad-every', '250'] },
  { name: 'legacy over ipc, with loss, a restart and malformed messages', transport: 'ipc', peer: 'zmtp', schema: 'legacy', extra: ['--drop-every', '70', '--restart-at', '900', '--bad-every', '130'] },
  { name: 'v1 over ipc, clean', transport: 'ipc', peer: 'zmtp', schema: 'v1', extra: [] },
  { name: 'legacy over tcp, clean', transport: 'tcp', peer: 'zmtp', schema: 'legacy', extra: [] },
  { name: 'v1 over tcp through libzmq, with loss, a restart and malformed messages', transport: 'tcp', peer: 'libzmq', schema: 'v1', extra: ['--drop-every', '100', '--restart-at', '1000', '--bad-every', '250'] },
  { name: 'legacy over ipc through libzmq, clean', transport: 'ipc', peer: 'libzmq', schema: 'legacy', extra: [] },
];

for (const c of CASES) {
  describe(`publisher ${c.name}`, () => {
    let bridge: TestBridge;
    let truth: PublisherTruth;
    let samples: Sample[];
    let whilePublishing: Sample[];
    let afterStop: Sample[];

    before(async () => {
      const endpoint = c.transport === 'tcp' ? `tcp://127.0.0.1:${await freePorts(DP)}` : `ipc://${path.join(mkdtempSync(path.join(tmpdir(), 'fpm-')), 'fpm')}`;
      bridge = await startBridge(bridgeConfig(endpoint, c.peer));
      const publisher = runPublisher(['--endpoint', endpoint, '--dp-size', String(DP), '--schema', c.schema, '--count', '2000', '--rate', '4000', '--linger', '2.5', '--worker-id', `w-${c.schema}`, ...c.extra]);
      await sleep(2000); // the publisher is lingering with heartbeats now
      whilePublishing = parseExposition(await bridge.scrape());
      truth = await publisher;
      await sleep(500); // one report interval and one window after the last message
      samples = parseExposition(await bridge.scrape());
      await sleep(1500); // past heartbeat_timeout with the publisher gone
      afterStop = parseExposition(await bridge.scrape());
    });
    after(() => bridge?.stop());

    test('counters equal the publisher\'s truth: iterations, heartbeats, lost, restarts, refused by reason, token sums, wall time', () => {
      assert.ok(truth.ranks.every((r) => r.heartbeats >= 2), 'the publisher lingered with heartbeats');
      checkAgainstTruth(samples, truth);
    });

    test('every rank is up while it publishes and down (0, not gone) after it stops', () => {
      for (const r of truth.ranks) {
        const id = { worker_id: truth.worker_id, dp_rank: String(r.dp_rank) };
        assert.equal(valueOf(whilePublishing, 'sglang_fpm_up', id), 1);
        assert.equal(valueOf(afterStop, 'sglang_fpm_up', id), 0);
      }
    });

    test('window statistics exist per rank and merged over ranks', () => {
      for (const rank of ['0', '1', '2', 'all']) valueOf(afterStop, 'sglang_fpm_window_iterations', { worker_id: truth.worker_id, dp_rank: rank });
    });
  });
}

test('a publisher process that stops and starts again is followed without restarting the bridge', async () => {
  const base = await freePorts(2);
  const endpoint = `tcp://127.0.0.1:${base}`;
  const bridge = await startBridge({ ...bridgeConfig(endpoint), receivers: { zmq_fpm: { endpoint, dp_size: 2, report_interval: '200ms' } } });
  try {
    const args = ['--endpoint', endpoint, '--dp-size', '2', '--count', '600', '--rate', '3000', '--worker-id', 'restarting'];
    const first = await runPublisher(args);
    await sleep(300);
    const second = await runPublisher([...args, '--seed', '2']);
    await sleep(600);
    const samples = parseExposition(await bridge.scrape());
    for (const rank of [0, 1]) {
      const id = { worker_id: 'restarting', dp_rank: String(rank) };
      assert.equal(valueOf(samples, 'sglang_fpm_iterations_total', id), first.ranks[rank].data + second.ranks[rank].data);
      assert.equal(valueOf(samples, 'sglang_fpm_publisher_restarts_total', id), 1);
      assert.equal(valueOf(samples, 'sglang_fpm_messages_lost_total', id), 0);
      const tokens = first.ranks[rank].sum.scheduled.sum_prefill_tokens + second.ranks[rank].sum.scheduled.sum_prefill_tokens;
      assert.equal(valueOf(samples, 'sglang_fpm_scheduled_prefill_tokens_total', id), tokens);
    }
  } finally {
    await bridge.stop();
  }
});
