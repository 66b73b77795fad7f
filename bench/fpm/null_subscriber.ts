/**
 * The cheapest subscriber there is, to measure what the publisher can deliver
 * without loss on this machine: the bridge's ZMTP peer (one connection per
 * rank, on the main thread) and a counter; no decoding, no sequence tracking.
 * If it loses messages at a rate, no subscriber that does real work can be
 * expected to keep up there: the loss is in the publisher's sending (its
 * SNDHWM, its libzmq I/O thread) or the kernel.
 *
 * Protocol with bench/fpm/run.ts, as py_subscriber.py: prints `ready`, then
 * `count N` every 50 ms while N changes. Runs until killed.
 *
 * Usage: node --import tsx bench/fpm/null_subscriber.ts ENDPOINT [ENDPOINT ...]
 */
import { ZmtpSubscriber } from '../../src/receivers/zmq_fpm/zmtp.js';

const endpoints = process.argv.slice(2);
if (!endpoints.length) throw new Error('usage: null_subscriber.ts ENDPOINT [ENDPOINT ...]');
let count = 0;
for (const endpoint of endpoints) {
  new ZmtpSubscriber(endpoint, { maxMessageBytes: 1 << 20 }, { message: () => void count++, disconnected: () => {} }).start();
}
process.stdout.write('ready\n');
let reported = -1;
setInterval(() => {
  if (count === reported) return;
  reported = count;
  process.stdout.write(`count ${count}\n`);
}, 50);
