import { defineSchema, stringMap } from '../../config/component-schema.js';

export interface ScrapeConfig {
  readonly targets: readonly string[];
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly headers: Readonly<Record<string, string>>;
  /** Environment variable holding a bearer token sent to every target; '' for none. */
  readonly bearerTokenEnv: string;
  /** The `job` label on every series (the target's host:port is `instance`). */
  readonly job: string;
}

export const scrapeSchema = defineSchema<ScrapeConfig>(
  {
    targets: { doc: 'URLs to scrape, e.g. ["http://127.0.0.1:30000/metrics"] (SGLang launch_server with --enable-metrics).', format: 'string-list', default: [] },
    interval: { doc: 'Time between scrapes of each target.', format: 'duration', default: '10s', unit: 'ms' },
    timeout: { doc: 'A scrape taking longer fails (counted; up 0); at most the interval.', format: 'duration', default: '5s', unit: 'ms' },
    headers: { doc: 'Extra HTTP headers sent with every scrape (values may use ${env:VAR}; never logged).', format: '*', default: {}, sensitive: true },
    bearer_token_env: { doc: 'Environment variable holding a bearer token sent as "Authorization: Bearer <token>".', format: String, default: '' },
    job: { doc: 'The job label on every series, as Prometheus adds it.', format: String, default: 'sglang' },
  },
  (v, issue) => {
    const targets = v.targets as string[];
    if (!targets.length) issue('targets', 'give at least one URL, e.g. ["http://127.0.0.1:30000/metrics"]');
    targets.forEach((t, i) => {
      let url: URL | undefined;
      try {
        url = new URL(t);
      } catch {
        issue(`targets[${i}]`, `"${t}" is not a URL`);
      }
      if (url && url.protocol !== 'http:' && url.protocol !== 'https:') issue(`targets[${i}]`, 'must be an http:// or https:// URL');
    });
    const headers = stringMap(v.headers, 'headers', issue);
    if ((v.timeout as number) > (v.interval as number)) issue('timeout', 'must not exceed interval (scrapes of one target never overlap)');
    if (v.bearer_token_env && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(v.bearer_token_env as string)) issue('bearer_token_env', 'must be the name of an environment variable');
    return { targets, intervalMs: v.interval as number, timeoutMs: v.timeout as number, headers, bearerTokenEnv: v.bearer_token_env as string, job: v.job as string };
  },
);
