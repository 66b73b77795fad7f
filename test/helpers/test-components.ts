/**
 * Tiny in-memory components for wiring tests (the way the Collector tests
 * its graph): a receiver you push batches into, a processor that appends its
 * id to every metric's description, and an exporter that records what it got
 * and the order of lifecycle calls.
 */
import type { Consumer, ExporterFactory, ProcessorFactory, ReceiverFactory } from '../../src/component/contracts.js';
import { defineSchema } from '../../src/config/component-schema.js';
import type { Batch } from '../../src/model/batch.js';
import type { Metric } from '../../src/model/metrics.js';

export const events: string[] = [];
export const receivers = new Map<string, Consumer>();
export const captured = new Map<string, Batch[]>();

const noOptions = defineSchema<Record<string, never>>({}, () => ({}));

export const memoryReceiver: ReceiverFactory<Record<string, never>> = {
  kind: 'receiver',
  type: 'memory',
  description: 'test receiver',
  schema: noOptions,
  create: (settings, _config, next) => ({
    async start() {
      events.push(`start ${settings.id}`);
      receivers.set(settings.id, next);
    },
    async shutdown() {
      events.push(`stop ${settings.id}`);
    },
  }),
};

export const tagProcessor: ProcessorFactory<Record<string, never>> = {
  kind: 'processor',
  type: 'tag',
  description: 'test processor',
  schema: noOptions,
  create: (settings, _config, next) => ({
    async start() {
      events.push(`start ${settings.id}`);
    },
    async shutdown() {
      events.push(`stop ${settings.id}`);
    },
    consume(batch: Batch) {
      next.consume({ metrics: (batch.metrics ?? []).map((m) => ({ ...m, description: `${m.description}>${settings.id}` }) as Metric) });
    },
  }),
};

export const captureExporter: ExporterFactory<Record<string, never>> = {
  kind: 'exporter',
  type: 'capture',
  description: 'test exporter',
  schema: noOptions,
  create: (settings) => ({
    async start() {
      events.push(`start ${settings.id}`);
      captured.set(settings.id, []);
    },
    async shutdown() {
      events.push(`stop ${settings.id}`);
    },
    consume(batch: Batch) {
      if (settings.id.startsWith('capture/throws')) throw new Error('broken exporter');
      captured.get(settings.id)!.push(batch);
    },
  }),
};

export function gauge(name: string): Metric {
  return { kind: 'gauge', name, description: '', unit: '', points: [{ attributes: {}, startTimeMs: 0, timeMs: 0, value: 1 }] };
}
