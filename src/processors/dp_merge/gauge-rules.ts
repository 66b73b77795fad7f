import { compilePattern, literalOf, parsePattern } from '../common/pattern.js';

/**
 * How a gauge is merged across ranks. `sum` for quantities that add up
 * (requests, tokens, throughput, capacity), `mean` for ratios and averages,
 * `weighted_mean` for a ratio whose denominator is another gauge (the merged
 * value is sum(value x weight) / sum(weight)), `max` / `min` for constants
 * and flags, `skip` for no merged series.
 */
export type GaugeRule =
  | { readonly kind: 'sum' | 'mean' | 'max' | 'min' | 'skip' }
  | { readonly kind: 'weighted_mean'; readonly weight: string };

/** SGLang's scheduler gauge families (spec: sglang-metrics.md §1) and the FPM path's own. */
export const DEFAULT_GAUGE_RULES: Readonly<Record<string, string>> = {
  'sglang:num_running_reqs': 'sum',
  'sglang:num_queue_reqs': 'sum',
  'sglang:num_grammar_queue_reqs': 'sum',
  'sglang:gen_throughput': 'sum',
  'sglang:num_used_tokens': 'sum',
  'sglang:kv_available_tokens': 'sum',
  'sglang:kv_used_tokens': 'sum',
  'sglang:kv_evictable_tokens': 'sum',
  'sglang:max_total_num_tokens': 'sum',
  'sglang:num_retracted_reqs': 'sum',
  'sglang:num_paused_reqs': 'sum',
  'sglang:num_prefill_bootstrap_queue_reqs': 'sum',
  'sglang:num_prefill_inflight_queue_reqs': 'sum',
  'sglang:num_decode_prealloc_queue_reqs': 'sum',
  'sglang:num_decode_transfer_queue_reqs': 'sum',
  'sglang:token_usage': 'weighted_mean:sglang:max_total_num_tokens',
  'sglang:cache_hit_rate': 'mean',
  'sglang:spec_accept_length': 'mean',
  'sglang:spec_accept_rate': 'mean',
  'sglang:utilization': 'mean',
  'sglang:new_token_ratio': 'mean',
  'sglang:is_cuda_graph': 'min',
  'sglang:context_len': 'max',
  'sglang:page_size': 'max',
  'sglang.fpm.up': 'min',
  'sglang.fpm.window.iterations': 'sum',
  'sglang.fpm.window.iterations_per_second': 'sum',
  'sglang.fpm.window.busy_fraction': 'mean',
  'sglang.fpm.window.*.sum': 'sum',
  'sglang.fpm.window.*.min': 'min',
  'sglang.fpm.window.*.max': 'max',
};

/** Parses "sum", "mean", "max", "min", "skip" or "weighted_mean:<weight metric>"; undefined when invalid. */
export function parseGaugeRule(text: string): GaugeRule | undefined {
  if (text.startsWith('weighted_mean:') && text.length > 'weighted_mean:'.length) return { kind: 'weighted_mean', weight: text.slice('weighted_mean:'.length) };
  return ['sum', 'mean', 'max', 'min', 'skip'].includes(text) ? { kind: text as 'sum' } : undefined;
}

/**
 * Looks rules up by exact name first, then by pattern (a glob with `*` and
 * `?`, or `/regex/`, as the filter and rename processors read them), in the
 * order given.
 */
export class GaugeRules {
  private readonly exact = new Map<string, GaugeRule>();
  private readonly patterns: [RegExp, GaugeRule][] = [];

  constructor(rules: Readonly<Record<string, GaugeRule>>) {
    for (const [text, rule] of Object.entries(rules)) {
      const pattern = parsePattern(text); // invalid ones were refused by the config check
      if (typeof pattern === 'string' || literalOf(pattern) !== undefined) this.exact.set(text, rule);
      else this.patterns.push([compilePattern(pattern), rule]);
    }
  }

  get(name: string): GaugeRule | undefined {
    return this.exact.get(name) ?? this.patterns.find(([re]) => re.test(name))?.[1];
  }
}
