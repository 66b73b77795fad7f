// @ts-check
/**
 * Example plugin: an exporter that batches data points and POSTs them as JSON
 * to a URL. It shows a plugin with its own config schema, batching (by size
 * and by time) and the bridge's delivery queue (bounded, retried with
 * backoff, never overlapping, every loss counted).
 *
 * Config:  "plugins": ["./plugins/webhook"],
 *          "exporters": { "webhook": { "url": "https://hooks.example.com/sglang", "max_batch_points": 500 } }
 *
 * Request body: { "points": [ { "metric", "kind", "unit", "attributes", "startTimeMs", "timeMs", "value" | "count", "sum", ... } ] }
 */
import { createDeliveryQueue, defineSchema, deliveryConfig, deliveryOptions, stringMap, DELIVERED } from 'sglang-otel-bridge/plugin';

export const apiVersion = 1;

/**
 * @typedef {{ url: string, headers: Record<string, string>, maxBatchPoints: number, flushIntervalMs: number,
 *   timeoutMs: number, delivery: import('sglang-otel-bridge/plugin').DeliveryConfig }} WebhookConfig
 */

/** @type {import('sglang-otel-bridge/plugin').ComponentSchema<WebhookConfig>} */
const schema = defineSchema(
  {
    url: { doc: 'URL to POST batches to (http:// or https://). Required.', format: String, default: '' },
    headers: { doc: 'HTTP headers sent with every request (values may use ${env:VAR}).', format: '*', default: {}, sensitive: true },
    max_batch_points: { doc: 'A batch is sent when it holds this many points.', format: 'positive-int', default: 1000, unit: 'points' },
    flush_interval: { doc: 'A batch is also sent when its first point is this old.', format: 'duration', default: '5s', unit: 'ms' },
    timeout: { doc: 'Deadline of one request.', format: 'duration', default: '5s', unit: 'ms' },
    ...deliveryOptions(20_000, 'points'),
  },
  (v, issue) => {
    const url = /** @type {string} */ (v.url);
    if (!/^https?:\/\/\S+$/.test(url)) issue('url', url ? `"${url}" is not an http:// or https:// URL` : 'required: the URL to POST batches to');
    return {
      url,
      headers: stringMap(v.headers, 'headers', issue),
      maxBatchPoints: /** @type {number} */ (v.max_batch_points),
      flushIntervalMs: /** @type {number} */ (v.flush_interval),
      timeoutMs: /** @type {number} */ (v.timeout),
      delivery: deliveryConfig(v, issue),
    };
  },
);

const RETRYABLE = new Set([429, 502, 503, 504]);

/** @typedef {import('sglang-otel-bridge/plugin').Exporter} Exporter */

/** @implements {Exporter} */
class WebhookExporter {
  /** @type {object[]} */
  #batch = [];
  /** @type {NodeJS.Timeout | undefined} */
  #timer;

  /**
   * @param {import('sglang-otel-bridge/plugin').CreateSettings} settings
   * @param {WebhookConfig} config
   */
  constructor(settings, config) {
    this.settings = settings;
    this.config = config;
    /** @type {import('sglang-otel-bridge/plugin').PluginDeliveryQueue<string>} */
    this.queue = createDeliveryQueue(settings, config.delivery, (body) => this.#post(body));
  }

  async start() {}

  /** @param {import('sglang-otel-bridge/plugin').Batch} batch */
  consume(batch) {
    for (const metric of batch.metrics ?? [])
      for (const point of metric.points) {
        this.#batch.push({ metric: metric.name, kind: metric.kind, unit: metric.unit, ...point });
        if (this.#batch.length >= this.config.maxBatchPoints) this.#flush();
      }
    if (this.#batch.length && !this.#timer) this.#timer = setTimeout(() => this.#flush(), this.config.flushIntervalMs);
  }

  #flush() {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (!this.#batch.length) return;
    const points = this.#batch;
    this.#batch = [];
    this.queue.offer(JSON.stringify({ points }), points.length);
  }

  /**
   * One POST; the queue retries what this calls retryable.
   * @param {string} body
   * @returns {Promise<import('sglang-otel-bridge/plugin').SendOutcome>}
   */
  async #post(body) {
    let res;
    try {
      res = await fetch(this.config.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...this.config.headers },
        body,
        signal: AbortSignal.timeout(this.config.timeoutMs),
      });
      await res.arrayBuffer();
    } catch (err) {
      return { kind: 'retryable', reason: /** @type {Error} */ (err).message };
    }
    if (res.ok) return DELIVERED;
    const reason = `HTTP ${res.status}`;
    if (!RETRYABLE.has(res.status)) return { kind: 'permanent', reason };
    const header = res.headers.get('retry-after');
    const seconds = header === null ? NaN : Number(header);
    return { kind: 'retryable', reason, retryAfterMs: Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined };
  }

  async shutdown() {
    this.#flush();
    await this.queue.drain(this.settings.now() + this.config.timeoutMs);
  }
}

/** @type {import('sglang-otel-bridge/plugin').ExporterFactory<WebhookConfig>} */
const webhookFactory = {
  kind: 'exporter',
  type: 'webhook',
  description: 'POSTs batches of data points as JSON to a URL, through a bounded queue with retries.',
  schema,
  create: (settings, config) => new WebhookExporter(settings, config),
};

export const factories = [webhookFactory];
