/**
 * The bridge's side of bench/multiproc, steady state: one pass of the real
 * prometheus_multiproc receiver (read, merge, convert, diagnose; its state
 * kept between passes, as in `run`) plus one render of the prometheus
 * exporter's store into the pieces its server writes one by one (renderChunks,
 * as a scrape gets them), i.e. what a scrape of an Engine-mode SGLang costs.
 * For every line "go" on stdin it does one pass and prints the milliseconds
 * it took and the exposition size; "dump PATH" writes the exposition of the
 * store as the last pass left it to PATH (rendered again: a scrape's pieces
 * are not kept, as the exporter's server does not keep them).
 */
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { renderChunks } from '../../src/exporters/prometheus/render.js';
import { MetricStore } from '../../src/exporters/prometheus/store.js';
import { multiprocFactory } from '../../src/receivers/prometheus_multiproc/factory.js';
import type { MultiprocReceiver } from '../../src/receivers/prometheus_multiproc/receiver.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { SelfTelemetry } from '../../src/telemetry/self-telemetry.js';

const dir = process.argv[2];
const store = new MetricStore(5 * 60_000);
const { config, issues } = multiprocFactory.schema.validate({ directories: [dir], interval: '1h' }, 'bench');
if (!config) throw new Error(JSON.stringify(issues));
const settings = { id: 'prometheus_multiproc', logger: silentLogger, telemetry: new SelfTelemetry({ processMetrics: false }), now: Date.now };
const receiver = multiprocFactory.create(settings, config, { consume: (b) => b.metrics && store.put(b.metrics, Date.now()) }) as MultiprocReceiver;

for await (const line of createInterface({ input: process.stdin })) {
  if (line.startsWith('dump ')) {
    // The exposition of the last pass: the store is as that pass left it (no pass since, no series expired).
    writeFileSync(line.slice(5).trim(), (await renderChunks(store.snapshot(Date.now()), 'text')).join(''));
    process.stdout.write('ok\n');
    continue;
  }
  if (line.trim() !== 'go') break;
  const t0 = performance.now();
  receiver.poll();
  // As the exporter serves a scrape; like its server, nothing keeps the pieces once they are written.
  const chunks = await renderChunks(store.snapshot(Date.now()), 'text');
  const ms = performance.now() - t0;
  process.stdout.write(`${ms.toFixed(3)} ${chunks.reduce((n, c) => n + c.length, 0)}\n`);
}
