/**
 * The public API for plugins: the only module a plugin imports, as
 * `sglang-otel-bridge/plugin` (the bridge resolves that name for plugins
 * wherever they live). Everything here is stable within an API version.
 *
 * A plugin is an ES module that exports:
 *
 *   export const apiVersion = 1;            // the API it was written for
 *   export const factories = [ ... ];       // receiver, processor or exporter factories
 *
 * See docs/plugins.md for a worked example.
 */

/** The plugin API this bridge offers. A plugin declaring another major version is refused. */
export const PLUGIN_API_VERSION = 1;

export type { Batch } from '../model/batch.js';
export { batchItemCount } from '../model/batch.js';
export type { FpmRecord, SequenceNumber } from '../model/fpm.js';
export type { Attributes, GaugeMetric, HistogramMetric, HistogramPoint, Metric, NumberPoint, SumMetric, SummaryMetric, SummaryPoint } from '../model/metrics.js';
export { attributesKey, countPoints } from '../model/metrics.js';
export type { Component, Consumer, CreateSettings, Exporter, ExporterFactory, Factory, Host, Processor, ProcessorFactory, Receiver, ReceiverFactory } from '../component/contracts.js';
export { PermanentError } from '../component/errors.js';
export type { ComponentSchema, OptionSpec } from '../config/component-schema.js';
export { defineSchema, stringMap } from '../config/component-schema.js';
export type { Logger } from '../telemetry/logger.js';
export type { SendOutcome } from '../exporters/delivery/outcome.js';
export { DELIVERED } from '../exporters/delivery/outcome.js';
export type { RetryPolicy } from '../exporters/delivery/retry-policy.js';
export { DEFAULT_RETRY } from '../exporters/delivery/retry-policy.js';
export { deliveryConfig, deliveryOptions, type DeliveryConfig } from '../exporters/delivery/config.js';
export { createDeliveryQueue, type PluginDeliveryQueue } from './delivery.js';

/** What a plugin module exports. */
export interface PluginModule {
  readonly apiVersion: number;
  readonly factories: readonly import('../component/contracts.js').Factory[];
}
