/**
 * No loss at a high rate: bench/fpm/publisher.ts (libzmq XPUB per rank,
 * SNDHWM 1000 as SGLang's socket) sends 2 ranks x 25,000 messages/s for 3 s
 * over ipc; every message must be counted and none lost, on the main-thread
 * reader and on the read thread. A receiver that pauses a busy stream, or a
 * hand-over that drops or reorders batches, fails here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { startBridge, sleep } from '../helpers/bridge.js';
import { parseExposition, valueOf } from '../helpers/exposition.js';
import { ROOT } from '../helpers/paths.js';

const RANKS = 2;
const TOTAL_RATE = 50000;
const DURATION_S = 3;

/** Sends the load once subscribed; resolves with the messages sent per rank. */
function publish(endpoint: string): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench/fpm/publisher.ts'), '--endpoint', endpoint, '--dp-size', String(RANKS), '--rate', String(TOTAL_RATE), '--duration', String(DURATION_S), '--worker-id', 'fast'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.once('error', reject);
    child.once('exit', (code) => code !== 0 && reject(new Error(`publisher exited ${code}: ${err}`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = JSON.parse(line) as { event: string; sent?: number[] };
      if (m.event === 'ready') child.stdin.write('go\n');
      if (m.event === 'done') {
        child.stdin.write('exit\n');
        resolve(m.sent!);
      }
    });
  });
}

for (const readThread of [false, true])
test(`2 ranks x 25,000 messages/s for 3 s over ipc: every message received, none lost${readThread ? ' (read thread)' : ''}`, async () => {
  const endpoint = `ipc://${path.join(mkdtempSync(path.join(tmpdir(), 'fpm-fast-')), 'fpm')}`;
  const bridge = await startBridge({
    receivers: { zmq_fpm: { endpoint, dp_size: RANKS, report_interval: '200ms', read_thread: readThread } },
    processors: { welford: { window: '1s', merge_ranks: true } },
    exporters: { prometheus: { port: 0 } },
    pipelines: { 'metrics/fpm': { receivers: ['zmq_fpm'], processors: ['welford'], exporters: ['prometheus'] } },
  });
  try {
    const sent = await publish(endpoint);
    assert.ok(sent.every((n) => n >= TOTAL_RATE / RANKS * DURATION_S * 0.9), `the publisher kept the rate: ${sent}`);
    let samples = parseExposition(await bridge.scrape());
    const iterations = (rank: number) => valueOf(samples, 'sglang_fpm_iterations_total', { worker_id: 'fast', dp_rank: String(rank) });
    for (let i = 0; i < 20 && sent.some((n, rank) => iterations(rank) !== n); i++) {
      await sleep(200);
      samples = parseExposition(await bridge.scrape());
    }
    for (let rank = 0; rank < RANKS; rank++) {
      assert.equal(iterations(rank), sent[rank], `rank ${rank}: received`);
      assert.equal(valueOf(samples, 'sglang_fpm_messages_lost_total', { worker_id: 'fast', dp_rank: String(rank) }), 0, `rank ${rank}: lost`);
    }
  } finally {
    await bridge.stop();
  }
});
