// @ts-check
/**
 * Example plugin: an exporter that appends every data point (and, if asked,
 * every FPM record) to a file as one JSON line. The smallest useful exporter:
 * a schema, a factory, a component with start / consume / shutdown.
 *
 * Config:  "plugins": ["./plugins/jsonl-file"],
 *          "exporters": { "jsonl_file": { "path": "/var/log/sglang-metrics.jsonl" } }
 */
import { createWriteStream } from 'node:fs';
import { defineSchema } from 'sglang-otel-bridge/plugin';

/** The plugin API version this module was written for. */
export const apiVersion = 1;

/** @typedef {{ path: string, includeFpm: boolean }} JsonlFileConfig */

/** @type {import('sglang-otel-bridge/plugin').ComponentSchema<JsonlFileConfig>} */
const schema = defineSchema(
  {
    path: { doc: 'File to append JSON lines to (created if missing). Required.', format: String, default: '' },
    include_fpm: { doc: 'Also write every FPM record (one line each; many per second).', format: 'boolean', default: false },
  },
  (v, issue) => {
    if (!v.path) issue('path', 'required: the file to append JSON lines to');
    return { path: /** @type {string} */ (v.path), includeFpm: /** @type {boolean} */ (v.include_fpm) };
  },
);

/** @typedef {import('sglang-otel-bridge/plugin').Exporter} Exporter */

/** @implements {Exporter} */
class JsonlFileExporter {
  /** @type {import('node:fs').WriteStream | undefined} */
  #file;
  #sent;

  /**
   * @param {import('sglang-otel-bridge/plugin').CreateSettings} settings
   * @param {JsonlFileConfig} config
   */
  constructor(settings, config) {
    this.settings = settings;
    this.config = config;
    this.#sent = settings.telemetry.exporterSent(settings.id);
  }

  async start() {
    this.#file ??= createWriteStream(this.config.path, { flags: 'a' });
  }

  /** @param {import('sglang-otel-bridge/plugin').Batch} batch */
  consume(batch) {
    if (!this.#file) return;
    let text = '';
    let items = 0;
    for (const metric of batch.metrics ?? [])
      for (const point of metric.points) {
        text += JSON.stringify({ metric: metric.name, kind: metric.kind, unit: metric.unit, ...point }) + '\n';
        items++;
      }
    if (this.config.includeFpm)
      for (const record of batch.fpm ?? []) {
        const { payload: _payload, ...fields } = record;
        text += JSON.stringify({ fpm: { ...fields, counterId: String(fields.counterId) } }) + '\n';
        items++;
      }
    if (text) this.#file.write(text);
    this.#sent.value += items;
  }

  async shutdown() {
    const file = this.#file;
    this.#file = undefined;
    if (file) await new Promise((resolve) => file.end(resolve));
  }
}

/** @type {import('sglang-otel-bridge/plugin').ExporterFactory<JsonlFileConfig>} */
const jsonlFileFactory = {
  kind: 'exporter',
  type: 'jsonl_file',
  description: 'Appends every data point (and optionally every FPM record) to a file as JSON lines.',
  schema,
  create: (settings, config) => new JsonlFileExporter(settings, config),
};

export const factories = [jsonlFileFactory];
