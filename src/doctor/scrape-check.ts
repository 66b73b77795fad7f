import { diagnoseSchedulerRanks } from '../receivers/prometheus_multiproc/diagnose.js';
import type { ScrapeConfig } from '../receivers/prometheus_scrape/config.js';
import { parseExposition } from '../receivers/prometheus_scrape/parse.js';
import { ACCEPT } from '../receivers/prometheus_scrape/receiver.js';
import { error, newSection, warning, type Finding, type Section } from './finding.js';

/** A gauge every SGLang scheduler writes (absent: no scheduler metrics reach this /metrics). */
const SCHEDULER_GAUGE = 'sglang:num_running_reqs';

const START_FIX = 'start SGLang\'s server (launch_server) with --enable-metrics and check host, port (SGLang\'s --port, default 30000) and path /metrics; sgl.Engine has no HTTP server: read its PROMETHEUS_MULTIPROC_DIR with prometheus_multiproc instead';

/** Why a fetch failed, as a finding with its fix. */
function failure(target: string, err: unknown, timeoutMs: number): Finding {
  const e = err as Error & { cause?: { code?: string } };
  if (e.name === 'TimeoutError')
    return error('scrape_down', `${target}: no answer within ${timeoutMs} ms`, 'raise timeout; a /metrics that slows over days is prometheus_client re-reading the files of dead processes: check the multiprocess directory (prometheus_multiproc in doctor) and remove them');
  return error('scrape_down', `${target}: ${e.cause?.code ?? e.message}`, START_FIX);
}

function statusFinding(target: string, status: number): Finding {
  if (status === 401 || status === 403) return error('scrape_down', `${target}: HTTP ${status}`, 'the target wants credentials: set headers or bearer_token_env to what it accepts');
  if (status === 404) return error('scrape_down', `${target}: HTTP 404`, `the server answers but has no such path: ${START_FIX}`);
  return error('scrape_down', `${target}: HTTP ${status}`, 'the target fails its own /metrics: see its log (prometheus_client fails on a 0-byte .db file in the multiprocess directory: remove it)');
}

/** Checks a prometheus_scrape receiver: every target fetched and parsed once. */
export async function checkScrape(id: string, config: ScrapeConfig): Promise<Section> {
  const section = newSection(id, 'receiver', 'prometheus_scrape');
  const headers: Record<string, string> = { accept: ACCEPT, ...config.headers };
  if (config.bearerTokenEnv) {
    const token = process.env[config.bearerTokenEnv];
    if (token) headers.authorization = `Bearer ${token}`;
    else section.findings.push(error('scrape_token_missing', `environment variable ${config.bearerTokenEnv} (bearer_token_env) is empty or not set`, `export ${config.bearerTokenEnv} in the bridge's environment`));
  }
  const targets: Record<string, unknown>[] = [];
  for (const target of config.targets) {
    const started = performance.now();
    let res: Response;
    let body: string;
    try {
      res = await fetch(target, { headers, signal: AbortSignal.timeout(config.timeoutMs) });
      body = await res.text();
    } catch (err) {
      section.findings.push(failure(target, err, config.timeoutMs));
      targets.push({ target, up: false });
      continue;
    }
    if (!res.ok) {
      section.findings.push(statusFinding(target, res.status));
      targets.push({ target, up: false, status: res.status });
      continue;
    }
    const parsed = parseExposition(body, (res.headers.get('content-type') ?? '').includes('openmetrics'));
    const series = parsed.families.reduce((n, f) => n + f.samples.length, 0);
    const sglang = parsed.families.filter((f) => f.name.startsWith('sglang:'));
    const ms = Math.round(performance.now() - started);
    targets.push({ target, up: true, status: res.status, series, families: parsed.families.length, sglang_families: sglang.length, parse_errors: parsed.errors.length, milliseconds: ms });
    section.facts.push(`${target}: up, ${series} series in ${parsed.families.length} families (${sglang.length} sglang:*), ${ms} ms`);
    if (parsed.errors.length)
      section.findings.push(warning('scrape_parse_errors', `${target}: ${parsed.errors.length} unparsable lines skipped (first: line ${parsed.errors[0].line}: ${parsed.errors[0].message})`, 'the target writes lines that are not Prometheus text or OpenMetrics: fix the exporter that writes them'));
    if (!sglang.length) {
      section.findings.push(warning('scrape_not_sglang', `${target}: no sglang:* series`, 'point the target at SGLang\'s /metrics and start SGLang with --enable-metrics (without it the server serves no sglang:* metrics)'));
      continue;
    }
    if (!sglang.some((f) => f.name === SCHEDULER_GAUGE))
      section.findings.push(
        warning('sglang_scheduler_gauges_missing', `${target}: sglang:* series but no ${SCHEDULER_GAUGE}: no scheduler writes metrics here`, 'scheduler metrics come from attn_tp_rank 0 only: scrape the node that runs rank 0, or start SGLang with --enable-metrics-for-all-schedulers'),
      );
    const ranks = diagnoseSchedulerRanks(sglang);
    if (ranks) section.findings.push(warning(ranks.code, `${target}: ${ranks.message}`, ranks.fix));
  }
  section.details.targets = targets;
  return section;
}
