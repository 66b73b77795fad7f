// @ts-check
/**
 * Plugins for the guard tests: a receiver that emits a counter every
 * `every_ms`, a processor that tags metrics, an exporter whose consume()
 * throws, one whose consume() returns a promise that never settles, and one
 * that records what it got.
 */
import { defineSchema } from 'sglang-otel-bridge/plugin';

export const apiVersion = 1;

const none = defineSchema({}, () => ({}));
/** @type {Map<string, import('sglang-otel-bridge/plugin').Batch[]>} */
export const recorded = new Map();

/** @type {import('sglang-otel-bridge/plugin').ReceiverFactory<{ everyMs: number }>} */
const ticker = {
  kind: 'receiver',
  type: 'ticker',
  description: 'emits test.ticks, a counter, every every_ms',
  schema: defineSchema({ every_ms: { doc: 'period in milliseconds', format: 'positive-int', default: 20 } }, (v) => ({ everyMs: /** @type {number} */ (v.every_ms) })),
  create: (settings, config, next) => {
    /** @type {NodeJS.Timeout | undefined} */
    let timer;
    let n = 0;
    const start = Date.now();
    return {
      async start() {
        timer = setInterval(() => {
          n++;
          next.consume({ metrics: [{ kind: 'sum', name: 'test.ticks', description: '', unit: '1', monotonic: true, points: [{ attributes: {}, startTimeMs: start, timeMs: Date.now(), value: n }] }] });
          settings.telemetry.receiverAccepted(settings.id).value++;
        }, config.everyMs);
      },
      async shutdown() {
        clearInterval(timer);
      },
    };
  },
};

/** @type {import('sglang-otel-bridge/plugin').ProcessorFactory<{}>} */
const tag = {
  kind: 'processor',
  type: 'tag',
  description: 'adds plugin="yes" to every point',
  schema: none,
  create: (_settings, _config, next) => ({
    async start() {},
    async shutdown() {},
    consume(batch) {
      next.consume({ ...batch, metrics: batch.metrics?.map((m) => /** @type {import('sglang-otel-bridge/plugin').Metric} */ ({ ...m, points: m.points.map((p) => ({ ...p, attributes: { ...p.attributes, plugin: 'yes' } })) })) });
    },
  }),
};

/** @type {import('sglang-otel-bridge/plugin').ExporterFactory<{}>} */
const throwing = {
  kind: 'exporter',
  type: 'throwing',
  description: 'consume() throws',
  schema: none,
  create: () => ({
    async start() {},
    async shutdown() {},
    consume() {
      throw new Error('this plugin always throws');
    },
  }),
};

/** @type {import('sglang-otel-bridge/plugin').ExporterFactory<{}>} */
const hanging = {
  kind: 'exporter',
  type: 'hanging',
  description: 'consume() returns a promise that never settles; shutdown() never finishes',
  schema: none,
  create: () => ({
    async start() {},
    shutdown: () => new Promise(() => {}),
    consume: () => /** @type {void} */ (/** @type {unknown} */ (new Promise(() => {}))),
  }),
};

/** @type {import('sglang-otel-bridge/plugin').ExporterFactory<{}>} */
const recorder = {
  kind: 'exporter',
  type: 'recorder',
  description: 'keeps every batch it gets',
  schema: none,
  create: (settings) => ({
    async start() {},
    async shutdown() {},
    consume(batch) {
      const list = recorded.get(settings.id) ?? [];
      list.push(batch);
      recorded.set(settings.id, list);
    },
  }),
};

export const factories = [ticker, tag, throwing, hanging, recorder];
