import type { DebugExporterConfig } from '../exporters/debug/config.js';
import type { NatsExporterConfig } from '../exporters/nats/config.js';
import type { OtlpHttpExporterConfig } from '../exporters/otlp_http/config.js';
import type { PrometheusExporterConfig } from '../exporters/prometheus/config.js';
import type { BridgeConfig, ConfiguredComponent } from '../config/model.js';
import type { MultiprocConfig } from '../receivers/prometheus_multiproc/config.js';
import type { ScrapeConfig } from '../receivers/prometheus_scrape/config.js';
import type { ZmqFpmConfig } from '../receivers/zmq_fpm/config.js';
import { checkDebug } from './debug-check.js';
import { newSection, type Section } from './finding.js';
import { checkFpm } from './fpm-check.js';
import { checkMultiproc } from './multiproc-check.js';
import { checkNats } from './nats-check.js';
import { checkOtlpHttp } from './otlp-check.js';
import { checkPrometheus } from './prometheus-check.js';
import { checkScrape } from './scrape-check.js';

export interface DoctorOptions {
  /** How long each FPM endpoint is listened to (ms). */
  readonly listenMs: number;
}

/** One component's check, by its type; components of other types (plugins) are listed as not checked. */
async function check(component: ConfiguredComponent, options: DoctorOptions): Promise<Section> {
  const { id, factory, config } = component;
  switch (`${factory.kind}/${factory.type}`) {
    case 'receiver/zmq_fpm':
      return checkFpm(id, config as ZmqFpmConfig, options.listenMs);
    case 'receiver/prometheus_multiproc':
      return checkMultiproc(id, config as MultiprocConfig);
    case 'receiver/prometheus_scrape':
      return checkScrape(id, config as ScrapeConfig);
    case 'exporter/prometheus':
      return checkPrometheus(id, config as PrometheusExporterConfig);
    case 'exporter/otlp_http':
      return checkOtlpHttp(id, config as OtlpHttpExporterConfig);
    case 'exporter/nats':
      return checkNats(id, config as NatsExporterConfig);
    case 'exporter/debug':
      return checkDebug(id, config as DebugExporterConfig);
    default: {
      const section = newSection(id, factory.kind === 'receiver' ? 'receiver' : 'exporter', factory.type);
      section.facts.push(`not checked: doctor has no check for ${factory.kind} type ${factory.type}`);
      return section;
    }
  }
}

/**
 * Checks every receiver and exporter of a config at once (FPM endpoints are
 * listened to in parallel, so the whole takes about one listen window);
 * processors need nothing outside the process and are not checked.
 * Sections come in config order, receivers first.
 */
export async function runChecks(config: BridgeConfig, options: DoctorOptions): Promise<Section[]> {
  const components = [...config.receivers.values(), ...config.exporters.values()];
  return Promise.all(components.map((c) => check(c, options)));
}
