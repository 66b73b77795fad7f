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

type Check = (id: string, config: never, options: DoctorOptions) => Section | Promise<Section>;

/** The check of each built-in component, by `kind/type`; each gets the component's validated config. */
const CHECKS: Record<string, Check> = {
  'receiver/zmq_fpm': (id, config: ZmqFpmConfig, options) => checkFpm(id, config, options.listenMs),
  'receiver/prometheus_multiproc': (id, config: MultiprocConfig) => checkMultiproc(id, config),
  'receiver/prometheus_scrape': (id, config: ScrapeConfig) => checkScrape(id, config),
  'exporter/prometheus': (id, config: PrometheusExporterConfig) => checkPrometheus(id, config),
  'exporter/otlp_http': (id, config: OtlpHttpExporterConfig) => checkOtlpHttp(id, config),
  'exporter/nats': (id, config: NatsExporterConfig) => checkNats(id, config),
  'exporter/debug': (id, config: DebugExporterConfig) => checkDebug(id, config),
};

/** One component's check; components of other types (plugins) are listed as not checked. */
async function check(component: ConfiguredComponent, options: DoctorOptions): Promise<Section> {
  const { id, factory, config } = component;
  const run = CHECKS[`${factory.kind}/${factory.type}`];
  if (run) return run(id, config as never, options);
  const section = newSection(id, factory.kind === 'receiver' ? 'receiver' : 'exporter', factory.type);
  section.facts.push(`not checked: doctor has no check for ${factory.kind} type ${factory.type}`);
  return section;
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
