/**
 * The read thread (a worker_thread): connects to every endpoint with the
 * built-in ZMTP peer and hands whole messages to the main thread in batches
 * (batch-sender.ts). Its own event loop keeps reading while the main
 * thread is busy (GC, window output, a scrape), as libzmq's I/O thread does
 * for a Python subscriber; what it read waits in batches, up to
 * maxQueuedMessages. Started by ThreadedZmtpReader with ReadThreadSettings
 * as workerData.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { BatchSender } from './batch-sender.js';
import type { FromReadThread, ReadThreadSettings, ToReadThread } from './read-thread-protocol.js';
import { ReadBatcher, ZmtpSubscriber } from './zmtp.js';

const port = parentPort!;
const settings = workerData as ReadThreadSettings;

const sender = new BatchSender(settings.batchBytes, settings.maxQueuedMessages, (batch, length, messages) => {
  const out: FromReadThread = { batch, length, messages };
  port.postMessage(out, [batch]);
});
const batcher = new ReadBatcher(settings.pollIntervalMs);
const subscribers = settings.endpoints.map(
  (endpoint, rank) =>
    new ZmtpSubscriber(endpoint, { maxMessageBytes: settings.maxMessageBytes, batcher, gate: sender, reconnectMs: settings.reconnectMs }, {
      message: (frames) => sender.message(rank, frames),
      connected: () => sender.event(rank),
      disconnected: (reason) => sender.event(rank, reason),
    }),
);

port.on('message', (m: ToReadThread) => {
  if ('returned' in m) {
    sender.returned(m.returned, m.messages);
    return;
  }
  batcher.stop();
  for (const s of subscribers) void s.close();
  sender.flush();
  sender.stop();
  const out: FromReadThread = { closed: true };
  port.postMessage(out);
  port.close();
});

for (const s of subscribers) s.start();
