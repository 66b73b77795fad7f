/**
 * bench/export side: the bridge's real `otlp_http` exporter (http/protobuf,
 * created through its factory, interval 1h so that only the exports this
 * side asks for happen) holding the plan's series as data points.
 *
 *   argv: <sink url> <gzip|none> <points total> <histogram share>
 *   ops:  export {step} -> ExportMeasurement
 * One export: consume the plan at `step` (not timed: the receivers' work),
 * then exportSnapshot() (snapshot, conversion, encoding, compression, HTTP)
 * until the delivery queue is empty again (bridge_exporter_queue_size = 0)
 * and bridge_exporter_sent_items_total has grown.
 */
import type { OtlpHttpExporter } from '../../src/exporters/otlp_http/exporter.js';
import { otlpHttpFactory } from '../../src/exporters/otlp_http/factory.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { SelfTelemetry } from '../../src/telemetry/self-telemetry.js';
import { measureExport } from './export-measure.js';
import { serveRequests } from './ipc.js';
import { LoopDelay } from './loop-delay.js';
import { bridgeMetrics, planSeries } from './series.js';

const [endpoint, compression, total, share] = process.argv.slice(2);
const plan = planSeries(Number(total), Number(share));
const { config, issues } = otlpHttpFactory.schema.validate({ endpoint, protocol: 'http/protobuf', compression, interval: '1h' }, 'exporters["otlp_http"]');
if (!config) throw new Error(`otlp_http config: ${JSON.stringify(issues)}`);
const telemetry = new SelfTelemetry({ processMetrics: false });
const id = 'otlp_http';
const exporter = otlpHttpFactory.create({ id, logger: silentLogger, telemetry, now: Date.now }, config) as OtlpHttpExporter;
await exporter.start();
const loop = new LoopDelay();
const labels = { exporter: id };

/** Resolves when the queue is empty (polled every ms), with the points delivered since `sentBefore`. */
function delivered(sentBefore: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const poll = () => {
      if (telemetry.read('bridge_exporter_queue_size', labels) > 0) return void setTimeout(poll, 1);
      const sent = telemetry.read('bridge_exporter_sent_items_total', labels) - sentBefore;
      if (sent > 0) resolve(sent);
      else reject(new Error(`nothing delivered (dropped: ${telemetry.read('bridge_exporter_dropped_items_total', { exporter: id, reason: 'queue_full' })} queue_full)`));
    };
    poll();
  });
}

serveRequests({
  export: (a: { step: number }) => {
    exporter.consume({ metrics: bridgeMetrics(plan, a.step, false, Date.now()) });
    return measureExport(loop, () => {
      const before = telemetry.read('bridge_exporter_sent_items_total', labels);
      exporter.exportSnapshot();
      return delivered(before);
    });
  },
});
