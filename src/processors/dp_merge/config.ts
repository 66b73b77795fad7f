import { defineSchema, stringMap } from '../../config/component-schema.js';
import { parsePattern } from '../common/pattern.js';
import { DEFAULT_GAUGE_RULES, parseGaugeRule, type GaugeRule } from './gauge-rules.js';

export interface DpMergeConfig {
  /** Labels merged away: their values become `mergedValue` on the merged series. */
  readonly by: readonly string[];
  /** Labels telling apart the GPUs of one rank (merged away with `by`; one series per rank counted). */
  readonly replicaLabels: readonly string[];
  readonly keepPerRank: boolean;
  readonly mergedValue: string;
  /** Gauge rules by metric name or glob: the defaults with the configured ones over them. */
  readonly gaugeRules: Readonly<Record<string, GaugeRule>>;
  readonly defaultGaugeRule: GaugeRule;
}

export const dpMergeSchema = defineSchema<DpMergeConfig>(
  {
    by: { doc: 'Labels to merge across: ["dp_rank"], or ["dp_rank", "tp_rank"] for one series per worker from every rank.', format: 'string-list', default: ['dp_rank'] },
    replica_labels: { doc: 'Labels that tell apart the GPUs of one rank (with DP attention each DP rank\'s scheduler has its own tp_rank): merged away with `by`; of series of one rank that differ only in them, the lowest is counted (attention-TP replicas report the same state).', format: 'string-list', default: ['tp_rank', 'moe_ep_rank'] },
    keep_per_rank: { doc: 'Also pass the per-rank series on (false: only the merged ones).', format: 'boolean', default: true },
    merged_value: { doc: 'Value of the merged labels on merged series (a new identity beside the per-rank ones).', format: String, default: 'all' },
    gauge_rules: { doc: 'How gauges merge, by metric name or glob: "sum", "mean", "max", "min", "skip" or "weighted_mean:<weight metric>"; over the built-in table for SGLang\'s gauges (docs/configuration.md). Names may be globs (* and ?) or /regex/.', format: '*', default: {} },
    default_gauge_rule: { doc: 'Rule for gauges no rule names: "skip" (no merged series; logged once with the metric\'s name) or one of the rules.', format: String, default: 'skip' },
  },
  (v, issue) => {
    const by = v.by as string[];
    if (!by.length) issue('by', 'give at least one label, e.g. ["dp_rank"]');
    const configured = stringMap(v.gauge_rules, 'gauge_rules', issue);
    const gaugeRules: Record<string, GaugeRule> = {};
    for (const [name, text] of Object.entries({ ...DEFAULT_GAUGE_RULES, ...configured })) {
      const pattern = parsePattern(name);
      if (typeof pattern === 'string') issue(`gauge_rules.${name}`, pattern);
      const rule = parseGaugeRule(text);
      if (rule) gaugeRules[name] = rule;
      else issue(`gauge_rules.${name}`, `"${text}" is not a rule: sum, mean, max, min, skip or weighted_mean:<weight metric>`);
    }
    const fallback = parseGaugeRule(v.default_gauge_rule as string);
    if (!fallback || fallback.kind === 'weighted_mean') issue('default_gauge_rule', 'must be skip, sum, mean, max or min');
    return { by, replicaLabels: v.replica_labels as string[], keepPerRank: v.keep_per_rank as boolean, mergedValue: v.merged_value as string, gaugeRules, defaultGaugeRule: fallback && fallback.kind !== 'weighted_mean' ? fallback : { kind: 'skip' } };
  },
);
