import { builtinRegistry } from '../../src/components.js';
import { ConfigError } from '../../src/component/errors.js';
import { withPlugins } from '../../src/config/load.js';
import { validateConfig } from '../../src/config/validate.js';
import type { PrometheusExporter } from '../../src/exporters/prometheus/exporter.js';
import { Service } from '../../src/pipeline/service.js';
import { silentLogger, createLogger } from '../../src/telemetry/logger.js';
import { SelfTelemetry } from '../../src/telemetry/self-telemetry.js';

/** A running bridge, in process, from a config object (BRIDGE_TEST_LOGS=1 shows its logs). */
export interface TestBridge {
  service: Service;
  telemetry: SelfTelemetry;
  /** The exposition of a prometheus exporter, as a scrape would get it. */
  scrape(exporterId?: string): Promise<string>;
  metricsUrl(exporterId?: string): string;
  stop(): Promise<void>;
}

/** `plugins` paths in the config are relative to baseDir (default: the repository). */
export async function startBridge(config: Record<string, unknown>, baseDir = process.cwd()): Promise<TestBridge> {
  const plugins = await withPlugins(config, builtinRegistry(), baseDir);
  if (plugins.issues.length) throw new ConfigError('test config', plugins.issues);
  const validated = validateConfig(config, plugins.registry, 'test config');
  const telemetry = new SelfTelemetry({ processMetrics: false });
  const logger = process.env.BRIDGE_TEST_LOGS ? createLogger({ level: 'debug', text: true }) : silentLogger;
  const service = new Service(validated, logger, telemetry);
  await service.start();
  const exporter = (id = 'prometheus') => service.component(id) as PrometheusExporter;
  return {
    service,
    telemetry,
    scrape: async (id) => {
      const res = await fetch(exporter(id).url());
      if (!res.ok) throw new Error(`scrape failed: ${res.status}`);
      return res.text();
    },
    metricsUrl: (id) => exporter(id).url(),
    stop: () => service.shutdown(),
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
