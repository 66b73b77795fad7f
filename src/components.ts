import { Registry } from './component/registry.js';
import { debugFactory } from './exporters/debug/factory.js';
import { multiprocFactory } from './receivers/prometheus_multiproc/factory.js';
import { scrapeFactory } from './receivers/prometheus_scrape/factory.js';
import { natsFactory } from './exporters/nats/factory.js';
import { otlpHttpFactory } from './exporters/otlp_http/factory.js';
import { prometheusFactory } from './exporters/prometheus/factory.js';
import { dpMergeFactory } from './processors/dp_merge/factory.js';
import { rankRelabelFactory } from './processors/rank_relabel/factory.js';
import { filterFactory } from './processors/filter/factory.js';
import { renameFactory } from './processors/rename/factory.js';
import { welfordFactory } from './processors/welford/factory.js';
import { zmqFpmFactory } from './receivers/zmq_fpm/factory.js';

/** Every built-in component, registered explicitly (no discovery by file name). */
export function builtinRegistry(): Registry {
  const registry = new Registry();
  for (const factory of [zmqFpmFactory, multiprocFactory, scrapeFactory, welfordFactory, rankRelabelFactory, dpMergeFactory, filterFactory, renameFactory, prometheusFactory, otlpHttpFactory, natsFactory, debugFactory]) registry.register(factory);
  return registry;
}
