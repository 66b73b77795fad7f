import type { Consumer } from '../component/contracts.js';
import type { Batch } from '../model/batch.js';
import { batchItemCount } from '../model/batch.js';
import type { Logger } from '../telemetry/logger.js';
import type { SelfTelemetry } from '../telemetry/self-telemetry.js';

/**
 * Hands one batch to several consumers. The same (read-only) batch object
 * goes to each. A consumer that throws is counted and logged, and the others
 * still receive the batch: one broken exporter never takes a pipeline down.
 */
export class FanOut implements Consumer {
  constructor(
    private readonly targets: readonly { id: string; consumer: Consumer }[],
    private readonly logger: Logger,
    private readonly telemetry: SelfTelemetry,
  ) {}

  consume(batch: Batch): void {
    for (const { id, consumer } of this.targets) {
      try {
        consumer.consume(batch);
      } catch (err) {
        this.telemetry.counter('bridge_consumer_failed_items_total', 'Items a component threw on in consume(): dropped for that component only.', { component: id }).value += batchItemCount(batch);
        this.logger.error('a component threw while consuming a batch; the batch was dropped for it only', { component: id, error: err });
      }
    }
  }
}
