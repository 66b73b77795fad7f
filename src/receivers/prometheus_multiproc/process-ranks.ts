import type { Attributes, GaugeMetric } from '../../model/metrics.js';

/** Name of the info metric that tells which ranks each scheduler process serves. */
export const PROCESS_RANKS_METRIC = 'sglang.multiproc.process_ranks';

/**
 * One point per process whose files carry rank labels (SGLang's schedulers):
 * attributes pid plus its dp_rank / tp_rank / pp_rank, value 1. Lets
 * rank_relabel (or a PromQL join) replace the pid label of per-process series
 * ("all"-mode gauges) by the rank it stands for.
 */
type Ranks = readonly (readonly [string, string])[];

/** Attributes made for a process's rank labels, kept while its ranks array lives (the same object pass after pass, so caches keyed by it keep hitting). */
const attributesOf = new WeakMap<Ranks, { base: Attributes; pid: string; attributes: Attributes }>();

export function processRanksMetric(pidRanks: ReadonlyMap<string, Ranks>, base: Attributes, nowMs: number): GaugeMetric | undefined {
  if (!pidRanks.size) return undefined;
  const points = [...pidRanks].map(([pid, ranks]) => {
    let made = attributesOf.get(ranks);
    if (made === undefined || made.base !== base || made.pid !== pid) attributesOf.set(ranks, (made = { base, pid, attributes: { ...base, pid, ...Object.fromEntries(ranks) } }));
    return { attributes: made.attributes, startTimeMs: nowMs, timeMs: nowMs, value: 1 };
  });
  return { kind: 'gauge', name: PROCESS_RANKS_METRIC, description: 'Which ranks a process serves (1 per scheduler process, labels pid and its rank labels); joins pid-labelled series to ranks.', unit: '', points };
}
