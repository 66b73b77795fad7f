/**
 * libzmq's maximum message size: a message over max_message_bytes makes
 * libzmq close the connection; the receiver counts the disconnect, libzmq
 * reconnects, and the missed message shows up as a sequence gap.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Publisher } from 'zeromq';
import { startBridge, sleep } from '../helpers/bridge.js';
import { parseExposition, valueOf } from '../helpers/exposition.js';
import { freePorts } from '../helpers/ports.js';
import { encodeFpmPayload, sequenceFrame } from '../../src/simulate/encode.js';
import { makeIteration, seededRandom } from '../../src/simulate/workload.js';

for (const transport of ['zmtp', 'libzmq'] as const)
test(`an oversized message (${transport}): disconnect counted, connection back, the gap counted as lost, data after it received`, async () => {
  const port = await freePorts(1);
  const endpoint = `tcp://127.0.0.1:${port}`;
  const bridge = await startBridge({
    receivers: { zmq_fpm: { endpoint, max_message_bytes: 2048, report_interval: '100ms', transport } },
    processors: { welford: { window: '200ms' } },
    exporters: { prometheus: { port: 0 } },
    pipelines: { 'metrics/fpm': { receivers: ['zmq_fpm'], processors: ['welford'], exporters: ['prometheus'] } },
  });
  const pub = new Publisher({ linger: 0 });
  await pub.bind(endpoint);
  const rnd = seededRandom(3);
  let seq = 0;
  const send = async (workerId: string) => {
    const payload = encodeFpmPayload({ version: 1, worker_id: workerId, dp_rank: 0, counter_id: seq, ...makeIteration(rnd) });
    await pub.send([Buffer.alloc(0), sequenceFrame(seq++), payload]);
  };
  try {
    await sleep(500); // the SUB connects
    for (let i = 0; i < 5; i++) await send('w');
    await sleep(200);
    await send('w'.repeat(4000)); // a payload over 2048 bytes
    await sleep(1500); // the receiver reconnects (libzmq does not after a protocol error)
    for (let i = 0; i < 5; i++) await send('w');
    await sleep(600);
    const text = await bridge.scrape();
    if (process.env.DEBUG_TEST) console.log(text.split('\n').filter((l) => l.startsWith('sglang_fpm') && !l.includes('window')).join('\n'));
    const samples = parseExposition(text);
    const id = { worker_id: 'w', dp_rank: '0' };
    assert.equal(valueOf(samples, 'sglang_fpm_iterations_total', id), 10);
    assert.ok(valueOf(samples, 'sglang_fpm_disconnects_total', id) >= 1, 'disconnect counted');
    assert.equal(valueOf(samples, 'sglang_fpm_messages_lost_total', id), 1);
    assert.equal(valueOf(samples, 'bridge_receiver_dropped_items_total', { receiver: 'zmq_fpm', reason: 'sequence_gap' }), 1);
  } finally {
    pub.close();
    await bridge.stop();
  }
});
