import type { ReceiverFactory } from '../../component/contracts.js';
import { scrapeSchema, type ScrapeConfig } from './config.js';
import { ScrapeReceiver } from './receiver.js';

export const scrapeFactory: ReceiverFactory<ScrapeConfig> = {
  kind: 'receiver',
  type: 'prometheus_scrape',
  description: "Scrapes /metrics endpoints (SGLang launch_server) in text 0.0.4 or OpenMetrics, with up and scrape_duration_seconds per target.",
  schema: scrapeSchema,
  create: (settings, config, next) => new ScrapeReceiver(settings, config, next),
};
