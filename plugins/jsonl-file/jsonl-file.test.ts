/**
 * The jsonl-file example plugin in a real bridge: the Python FPM publisher ->
 * zmq_fpm -> welford -> jsonl_file (with FPM records), loaded as a plugin.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { sleep, startBridge } from '../../test/helpers/bridge.js';
import { freePorts } from '../../test/helpers/ports.js';
import { runPublisher } from '../../test/helpers/publisher.js';

test('every FPM record and the welford metrics land in the file as JSON lines', async () => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'jsonl-')), 'out.jsonl');
  const base = await freePorts(2);
  const endpoint = `tcp://127.0.0.1:${base}`;
  const bridge = await startBridge({
    plugins: ['./plugins/jsonl-file'],
    receivers: { zmq_fpm: { endpoint, dp_size: 2 } },
    processors: { welford: { window: '1s' } },
    exporters: { jsonl_file: { path: file, include_fpm: true } },
    pipelines: {
      'metrics/raw': { receivers: ['zmq_fpm'], exporters: ['jsonl_file'] },
      'metrics/stats': { receivers: ['zmq_fpm'], processors: ['welford'], exporters: ['jsonl_file'] },
    },
  });
  await sleep(300);
  const truth = await runPublisher(['--endpoint', endpoint, '--dp-size', '2', '--count', '300', '--rate', '1000', '--linger', '1.5', '--worker-id', 'jsonl']);
  await bridge.stop();
  const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const records = lines.filter((l) => l.fpm) as { fpm: { workerId: string; heartbeat: boolean } }[];
  assert.equal(records.filter((r) => !r.fpm.heartbeat).length, truth.ranks.reduce((n, r) => n + r.data, 0));
  assert.ok(records.every((r) => r.fpm.workerId === 'jsonl'));
  const iterations = lines.filter((l) => l.metric === 'sglang.fpm.iterations') as { attributes: { dp_rank: string }; value: number }[];
  for (const rank of ['0', '1']) assert.equal(iterations.filter((p) => p.attributes.dp_rank === rank).at(-1)!.value, 300, `rank ${rank}: the final total`);
  assert.equal(bridge.telemetry.read('bridge_exporter_sent_items_total', { exporter: 'jsonl_file' }), lines.length);
});
