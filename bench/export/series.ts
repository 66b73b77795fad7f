/**
 * The synthetic load of bench/export: SGLang-shaped metric families over a
 * shared pool of label sets, built the same way for the bridge (model
 * metrics) and for the baselines (prom-client, the OpenTelemetry SDK).
 *
 * Counting contract: a *series* is one (family, label set) pair, so a
 * histogram series is one series however many `_bucket` lines it renders
 * to, and one OTLP data point. `total` series are split into NUMBER_FAMILIES
 * gauge/counter families and HISTOGRAM_FAMILIES histogram families, the
 * histograms taking `histogramShare` of the series.
 */
import type { Attributes, HistogramPoint, Metric, NumberPoint } from '../../src/model/metrics.js';

export type FamilyKind = 'gauge' | 'counter' | 'histogram';

export interface Family {
  readonly kind: FamilyKind;
  /** The Prometheus name as SGLang serves it (counters end in `_total`). */
  readonly name: string;
  readonly help: string;
  /** How many label sets of the shared pool (the first ones) this family has. */
  readonly seriesCount: number;
}

export interface SeriesPlan {
  readonly families: readonly Family[];
  /** Shared label sets; family f uses labelSets[0 .. f.seriesCount). */
  readonly labelSets: readonly Attributes[];
  readonly total: number;
  readonly histogramSeries: number;
}

/** SGLang's time_to_first_token_seconds buckets (upper bounds, seconds, without +Inf). */
export const HISTOGRAM_BOUNDS: readonly number[] = [0.1, 0.2, 0.4, 0.6, 0.8, 1, 2, 4, 6, 8, 10, 20, 40, 60, 80, 100, 200, 400];

const GAUGES = ['num_running_reqs', 'num_queue_reqs', 'num_used_tokens', 'token_usage', 'gen_throughput', 'cache_hit_rate', 'spec_accept_length', 'num_grammar_queue_reqs', 'num_running_reqs_offline_batch', 'avg_request_queue_latency', 'num_prefill_prealloc_queue_reqs', 'num_prefill_inflight_queue_reqs', 'num_decode_prealloc_queue_reqs', 'num_decode_transfer_queue_reqs', 'kv_transfer_speed_gb_s', 'kv_transfer_latency_ms', 'pending_prealloc_token_usage', 'swa_token_usage', 'mamba_usage', 'utilization', 'max_total_num_tokens', 'num_paused_reqs', 'engine_startup_time', 'engine_load_weights_time'];
const COUNTERS = ['prompt_tokens_total', 'generation_tokens_total', 'num_requests_total', 'num_aborted_requests_total', 'cached_tokens_total', 'num_so_requests_total', 'num_bootstrap_failed_reqs_total', 'num_transfer_failed_reqs_total', 'realtime_tokens_total', 'spec_verify_ct_total', 'spec_accepted_tokens_total', 'retracted_reqs_total', 'grammar_compilation_total', 'lora_pool_evictions_total', 'hicache_host_hits_total', 'hicache_host_misses_total'];
const HISTOGRAMS = ['time_to_first_token_seconds', 'inter_token_latency_seconds', 'e2e_request_latency_seconds'];
export const NUMBER_FAMILIES = GAUGES.length + COUNTERS.length;
export const HISTOGRAM_FAMILIES = HISTOGRAMS.length;

const MODELS = ['meta-llama/Llama-3.1-8B-Instruct', 'Qwen/Qwen2.5-72B-Instruct', 'deepseek-ai/DeepSeek-V3'];

/** Label set number j: 8 TP ranks x 4 DP ranks per engine instance, instances spread over 3 models. */
function labelSet(j: number): Attributes {
  const engine = Math.floor(j / 32);
  return {
    model_name: MODELS[engine % MODELS.length],
    engine_type: 'unified',
    tp_rank: String(j % 8),
    dp_rank: String(Math.floor(j / 8) % 4),
    instance: `10.0.${Math.floor(engine / 250)}.${(engine % 250) + 1}:30000`,
  };
}

export function planSeries(total: number, histogramShare: number): SeriesPlan {
  const perHistogram = Math.floor((total * histogramShare) / HISTOGRAM_FAMILIES);
  const numberSeries = total - perHistogram * HISTOGRAM_FAMILIES;
  const perNumber = Math.floor(numberSeries / NUMBER_FAMILIES);
  const extra = numberSeries - perNumber * NUMBER_FAMILIES; // one more for the first `extra` number families
  const families: Family[] = [];
  const names = [...GAUGES.map((n) => ['gauge', n] as const), ...COUNTERS.map((n) => ['counter', n] as const)];
  names.forEach(([kind, n], i) => families.push({ kind, name: `sglang:${n}`, help: `SGLang ${n.replace(/_/g, ' ')}.`, seriesCount: perNumber + (i < extra ? 1 : 0) }));
  for (const n of HISTOGRAMS) families.push({ kind: 'histogram', name: `sglang:${n}`, help: `SGLang ${n.replace(/_/g, ' ')}.`, seriesCount: perHistogram });
  const pool = Math.max(...families.map((f) => f.seriesCount));
  return { families, labelSets: Array.from({ length: pool }, (_, j) => labelSet(j)), total, histogramSeries: perHistogram * HISTOGRAM_FAMILIES };
}

/** The value of series j of family f at update step s (counters grow with s; all finite, non-integer). */
export function seriesValue(f: number, j: number, step: number): number {
  return (f * 7 + (j % 1000)) * 1.25 + step * 3.5;
}

/** Per-bucket counts of histogram series j at step s (HISTOGRAM_BOUNDS.length + 1 entries). */
export function bucketCounts(j: number, step: number): number[] {
  return Array.from({ length: HISTOGRAM_BOUNDS.length + 1 }, (_, b) => ((j + b) % 5) + step);
}

/**
 * The plan as bridge model metrics at `step`. With `freshLabels` every point
 * gets a new copy of its label set (as the prometheus_scrape receiver makes,
 * parsing each scrape anew); otherwise the pool's objects are reused (as the
 * zmq_fpm and prometheus_multiproc receivers do), so per-object caches hit.
 */
export function bridgeMetrics(plan: SeriesPlan, step: number, freshLabels: boolean, nowMs: number): Metric[] {
  const startTimeMs = nowMs - 3_600_000;
  const attrs = (j: number) => (freshLabels ? { ...plan.labelSets[j] } : plan.labelSets[j]);
  return plan.families.map((family, f): Metric => {
    const base = { name: family.name, description: family.help, unit: '' };
    if (family.kind === 'histogram') {
      const points: HistogramPoint[] = [];
      for (let j = 0; j < family.seriesCount; j++) {
        const counts = bucketCounts(j, step);
        const count = counts.reduce((a, b) => a + b, 0);
        points.push({ attributes: attrs(j), startTimeMs, timeMs: nowMs, count, sum: count * 0.75, bounds: HISTOGRAM_BOUNDS, bucketCounts: counts });
      }
      return { ...base, kind: 'histogram', points };
    }
    const points: NumberPoint[] = [];
    for (let j = 0; j < family.seriesCount; j++) points.push({ attributes: attrs(j), startTimeMs: family.kind === 'counter' ? startTimeMs : nowMs, timeMs: nowMs, value: seriesValue(f, j, step) });
    return family.kind === 'counter' ? { ...base, kind: 'sum', monotonic: true, points } : { ...base, kind: 'gauge', points };
  });
}
