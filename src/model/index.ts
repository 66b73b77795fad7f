export type { Attributes, NumberPoint, HistogramPoint, SummaryPoint, SumMetric, GaugeMetric, HistogramMetric, SummaryMetric, Metric } from './metrics.js';
export { countPoints, attributesKey } from './metrics.js';
export type { FpmRecord, SequenceNumber } from './fpm.js';
export type { Batch } from './batch.js';
export { batchItemCount } from './batch.js';
