import type { Attributes, GaugeMetric } from '../../model/metrics.js';

/** Name of the info metric that tells which ranks each scheduler process serves. */
export const PROCESS_RANKS_METRIC = 'sglang.multiproc.process_ranks';

/**
 * One point per process whose files carry rank labels (SGLang's schedulers):
 * attributes pid plus its dp_rank / tp_rank / pp_rank, value 1. Lets
 * rank_relabel (or a PromQL join) replace the pid label of per-process series
 * ("all"-mode gauges) by the rank it stands for.
 */
export function processRanksMetric(pidRanks: ReadonlyMap<string, readonly (readonly [string, string])[]>, base: Attributes, nowMs: number): GaugeMetric | undefined {
  if (!pidRanks.size) return undefined;
  const points = [...pidRanks].map(([pid, ranks]) => ({ attributes: { ...base, pid, ...Object.fromEntries(ranks) }, startTimeMs: nowMs, timeMs: nowMs, value: 1 }));
  return { kind: 'gauge', name: PROCESS_RANKS_METRIC, description: 'Which ranks a process serves (1 per scheduler process, labels pid and its rank labels); joins pid-labelled series to ranks.', unit: '', points };
}
