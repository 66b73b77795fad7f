import { attributesKey, type Attributes, type HistogramPoint, type Metric, type NumberPoint, type SummaryPoint } from '../../model/metrics.js';
import type { DpMergeConfig } from './config.js';
import type { GaugeRule, GaugeRules } from './gauge-rules.js';

export interface MergeOutcome {
  readonly metrics: Metric[];
  /** Groups that could not be merged (histograms with different bucket bounds), by metric. */
  readonly refused: { readonly metric: string; readonly reason: 'bucket_mismatch'; readonly points: number }[];
  /** Gauges without a rule (no merged series made), by name. */
  readonly unruled: string[];
}

interface Group<P> {
  readonly attributes: Attributes;
  readonly members: P[];
}

/**
 * The window statistics of the welford processor merge as Welford states
 * (Chan et al.): a mean weighted by its sample count, a variance from the
 * members' (n, mean, variance). Sample counts: iterations, or for the
 * per-request lengths the requests of the window.
 */
function welfordCount(name: string): string | undefined {
  if (!name.startsWith('sglang.fpm.window.') || !(name.endsWith('.mean') || name.endsWith('.variance'))) return undefined;
  if (name.startsWith('sglang.fpm.window.prefill_prompt_length.')) return 'sglang.fpm.window.scheduled_prefill_requests.sum';
  if (name.startsWith('sglang.fpm.window.decode_context_length.')) return 'sglang.fpm.window.scheduled_decode_requests.sum';
  return 'sglang.fpm.window.iterations';
}

/**
 * Merges the series of each metric across the `by` labels (pure):
 * counters and histograms summed (histograms only with equal bounds),
 * summaries' count and sum summed (quantiles cannot be merged: dropped),
 * gauges by their rule, welford window statistics as Welford states.
 * A merged series carries the members' other labels and `merged_value` in
 * each `by` and replica label they had: a new identity. Replica labels
 * (tp_rank, moe_ep_rank by default) tell apart the GPUs of one rank: with DP
 * attention each DP rank's scheduler has its own tp_rank, so they are merged
 * away with dp_rank; series of one DP rank that differ only in them are
 * replicas of one scheduler's state and only the lowest is counted. Series without any `by` label,
 * or already merged (a `by` label equal to merged_value), pass unchanged.
 * Start time of a merged cumulative series: the latest of its members'
 * (a member's reset starts a new interval); time: the latest.
 */
export function mergeRanks(metrics: readonly Metric[], config: DpMergeConfig, rules: GaugeRules, identities: MergeIdentities = new MergeIdentities(config)): MergeOutcome {
  const refused: MergeOutcome['refused'] = [];
  const unruled: string[] = [];
  const index = new GaugeIndex(metrics);
  const out: Metric[] = [];
  for (const m of metrics) {
    const { passing, groups } = partition<Metric['points'][number]>(m.points, identities);
    if (!groups.size) {
      out.push(m);
      continue;
    }
    const kept = config.keepPerRank ? [...m.points] : passing;
    const merged: Metric['points'][number][] = [];
    for (const g of groups.values()) {
      if (m.kind === 'sum') merged.push(sumPoint(g as Group<NumberPoint>));
      else if (m.kind === 'histogram') {
        const p = histogramPoint(g as Group<HistogramPoint>);
        if (p) merged.push(p);
        else refused.push({ metric: m.name, reason: 'bucket_mismatch', points: g.members.length });
      } else if (m.kind === 'summary') merged.push(summaryPoint(g as Group<SummaryPoint>));
      else {
        const count = welfordCount(m.name);
        const rule: GaugeRule | undefined = count ? undefined : (rules.get(m.name) ?? config.defaultGaugeRule);
        if (rule?.kind === 'skip') {
          if (!unruled.includes(m.name)) unruled.push(m.name);
          continue;
        }
        const value = count ? welfordValue(m.name, g as Group<NumberPoint>, count, index) : gaugeValue(rule!, g as Group<NumberPoint>, index);
        merged.push({ ...span(g.members as NumberPoint[]), attributes: g.attributes, value });
      }
    }
    out.push({ ...m, points: [...kept, ...merged] } as Metric);
  }
  return { metrics: out, refused, unruled };
}

/** What a rank-level label set merges into. */
interface Identity {
  /** Key of the merged label set (its group). */
  readonly key: string;
  /** The merged label set: one object per group, the same from batch to batch. */
  readonly merged: Attributes;
  /** The values of the `by` labels: which rank within the group. */
  readonly rank: string;
}

/**
 * The merge identity of every label set, worked out once per label set
 * object: receivers (and rank_relabel) hand the same objects pass after
 * pass, so the steady state does no copying or key building, and merged
 * series keep one attributes object (downstream caches keyed on it hit).
 */
export class MergeIdentities {
  private readonly byInput = new WeakMap<Attributes, Identity | null>();
  private readonly byKey = new Map<string, Attributes>();
  private readonly replicas: readonly string[];

  constructor(private readonly config: Pick<DpMergeConfig, 'by' | 'replicaLabels' | 'mergedValue'>) {
    this.replicas = config.replicaLabels.filter((l) => !config.by.includes(l));
  }

  /** Labels telling apart the GPUs of one rank (see DpMergeConfig.replicaLabels), minus the `by` ones. */
  get replicaLabels(): readonly string[] {
    return this.replicas;
  }

  /** null: the series passes unchanged (no `by` label, or already merged). */
  of(attributes: Attributes): Identity | null {
    let id = this.byInput.get(attributes);
    if (id === undefined) this.byInput.set(attributes, (id = this.make(attributes)));
    return id;
  }

  private make(attributes: Attributes): Identity | null {
    const { by, mergedValue } = this.config;
    const present = by.filter((l) => attributes[l] !== undefined);
    if (!present.length || present.some((l) => attributes[l] === mergedValue)) return null;
    const merged: Record<string, string> = { ...attributes };
    for (const l of [...present, ...this.replicas]) if (merged[l] !== undefined) merged[l] = mergedValue;
    const key = attributesKey(merged);
    let shared = this.byKey.get(key);
    if (!shared) {
      if (this.byKey.size > 100_000) this.byKey.clear(); // bounded; only object sharing is lost
      this.byKey.set(key, (shared = merged));
    }
    return { key, merged: shared, rank: present.map((l) => attributes[l]).join('\u0000') };
  }
}

function partition<P extends { attributes: Attributes }>(points: readonly P[], identities: MergeIdentities): { passing: P[]; groups: Map<string, Group<P>> } {
  const passing: P[] = [];
  const groups = new Map<string, Group<P> & { byRank: Map<string, P> }>();
  for (const p of points) {
    const id = identities.of(p.attributes);
    if (!id) {
      passing.push(p);
      continue;
    }
    let g = groups.get(id.key);
    if (!g) groups.set(id.key, (g = { attributes: id.merged, members: [], byRank: new Map() }));
    // Within one rank, replicas (attention-TP ranks of one DP rank) report the same
    // scheduler state: only the lowest replica counts.
    const other = g.byRank.get(id.rank);
    if (!other || replicaOrder(p.attributes, other.attributes, identities.replicaLabels) < 0) g.byRank.set(id.rank, p);
  }
  for (const g of groups.values()) g.members.push(...g.byRank.values());
  return { passing, groups };
}

/** Compares two label sets by their replica labels, numerically where they are numbers. */
function replicaOrder(a: Attributes, b: Attributes, replicas: readonly string[]): number {
  for (const l of replicas) {
    const x = a[l] ?? '';
    const y = b[l] ?? '';
    if (x === y) continue;
    const nx = Number(x);
    const ny = Number(y);
    return Number.isFinite(nx) && Number.isFinite(ny) ? nx - ny : x < y ? -1 : 1;
  }
  return 0;
}

function span(members: readonly { startTimeMs: number; timeMs: number }[]): { startTimeMs: number; timeMs: number } {
  let startTimeMs = -Infinity;
  let timeMs = -Infinity;
  for (const p of members) {
    if (p.startTimeMs > startTimeMs) startTimeMs = p.startTimeMs;
    if (p.timeMs > timeMs) timeMs = p.timeMs;
  }
  return { startTimeMs, timeMs };
}

function sumPoint(g: Group<NumberPoint>): NumberPoint {
  let value = 0;
  for (const p of g.members) value += p.value;
  return { ...span(g.members), attributes: g.attributes, value };
}

function histogramPoint(g: Group<HistogramPoint>): HistogramPoint | undefined {
  const first = g.members[0]!;
  const bounds = first.bounds;
  if (g.members.some((p) => p.bounds.length !== bounds.length || p.bounds.some((b, i) => b !== bounds[i]))) return undefined;
  const bucketCounts = new Array<number>(first.bucketCounts.length).fill(0);
  let count = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const p of g.members) {
    p.bucketCounts.forEach((c, i) => (bucketCounts[i] += c));
    count += p.count;
    sum += p.sum;
    if (p.min !== undefined && p.min < min) min = p.min;
    if (p.max !== undefined && p.max > max) max = p.max;
  }
  const withMinMax = g.members.every((p) => p.min !== undefined && p.max !== undefined);
  return { ...span(g.members), attributes: g.attributes, count, sum, bounds, bucketCounts, ...(withMinMax ? { min, max } : {}) };
}

function summaryPoint(g: Group<SummaryPoint>): SummaryPoint {
  let count = 0;
  let sum = 0;
  for (const p of g.members) {
    count += p.count;
    sum += p.sum;
  }
  return { ...span(g.members), attributes: g.attributes, count, sum, quantiles: [] };
}

/** Gauge values of the batch by metric name and full label set (weights, Welford counts and means). */
class GaugeIndex {
  private readonly byName = new Map<string, Map<string, number>>();

  constructor(private readonly metrics: readonly Metric[]) {}

  value(name: string, attributes: Attributes): number | undefined {
    let map = this.byName.get(name);
    if (!map) {
      map = new Map();
      const metric = this.metrics.find((m) => m.name === name && (m.kind === 'gauge' || m.kind === 'sum'));
      for (const p of (metric?.points ?? []) as NumberPoint[]) map.set(attributesKey(p.attributes), p.value);
      this.byName.set(name, map);
    }
    return map.get(attributesKey(attributes));
  }
}

function gaugeValue(rule: GaugeRule, g: Group<NumberPoint>, index: GaugeIndex): number {
  const values = g.members.map((p) => p.value).filter((v) => !Number.isNaN(v));
  if (!values.length) return NaN;
  switch (rule.kind) {
    case 'sum':
      return values.reduce((a, b) => a + b, 0);
    case 'max':
      return Math.max(...values);
    case 'min':
      return Math.min(...values);
    case 'mean':
      return values.reduce((a, b) => a + b, 0) / values.length;
    case 'weighted_mean': {
      let weighted = 0;
      let weights = 0;
      for (const p of g.members) {
        const w = index.value(rule.weight, p.attributes);
        if (w === undefined || Number.isNaN(p.value)) continue;
        weighted += p.value * w;
        weights += w;
      }
      return weights > 0 ? weighted / weights : values.reduce((a, b) => a + b, 0) / values.length;
    }
    default:
      return NaN;
  }
}

/** A merged Welford mean or population variance from the members' (n, mean, variance). */
function welfordValue(name: string, g: Group<NumberPoint>, countName: string, index: GaugeIndex): number {
  const isVariance = name.endsWith('.variance');
  const meanName = isVariance ? `${name.slice(0, -'.variance'.length)}.mean` : name;
  let n = 0;
  let weightedMean = 0;
  const parts: { n: number; mean: number; variance: number }[] = [];
  for (const p of g.members) {
    const count = index.value(countName, p.attributes) ?? 0;
    const mean = isVariance ? index.value(meanName, p.attributes) : p.value;
    if (!(count > 0) || mean === undefined || Number.isNaN(mean)) continue;
    parts.push({ n: count, mean, variance: isVariance ? p.value : 0 });
    n += count;
    weightedMean += count * mean;
  }
  if (!n) return NaN;
  const mean = weightedMean / n;
  if (!isVariance) return mean;
  let m2 = 0;
  for (const part of parts) m2 += part.n * part.variance + part.n * (part.mean - mean) ** 2;
  return m2 / n;
}
