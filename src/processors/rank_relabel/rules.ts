import type { Attributes } from '../../model/metrics.js';
import type { RankRelabelConfig } from './config.js';

/** The labels rank_relabel reads a process's rank from. */
export const RANK_LABELS = ['dp_rank', 'tp_rank', 'pp_rank'] as const;

/** What the processor has learned from the data so far. */
export interface Learned {
  /** pid -> that process's rank labels (from sglang.multiproc.process_ranks, sent in the same batch as the series). */
  readonly pidRanks: ReadonlyMap<string, Attributes>;
}

/**
 * The identity labels of one series (pure). In order:
 * 1. pid -> rank labels (when pid_to_rank and the pid is known; pid dropped unless keep_pid);
 * 2. renames; 3. copies (target only when absent);
 * 4. defaults when absent: worker_id, model_name (as configured), role (= engine_type, else the
 *    configured role, else "unified"), dp_rank for rank-level series (with tp_rank),
 *    the dynamo_* labels when configured;
 * 5. `set`, over everything.
 */
export function relabel(input: Attributes, config: RankRelabelConfig, learned: Learned): Record<string, string> {
  const out: Record<string, string> = { ...input };
  if (config.pidToRank && out.pid !== undefined) {
    const ranks = learned.pidRanks.get(out.pid);
    if (ranks) {
      for (const [k, v] of Object.entries(ranks)) if (out[k] === undefined) out[k] = v;
      if (!config.keepPid) delete out.pid;
    }
  }
  for (const [from, to] of Object.entries(config.rename))
    if (out[from] !== undefined) {
      out[to] = out[from]!;
      delete out[from];
    }
  for (const [from, to] of Object.entries(config.copy)) if (out[from] !== undefined && out[to] === undefined) out[to] = out[from]!;
  if (out.worker_id === undefined && config.workerId) out.worker_id = config.workerId;
  if (out.model_name === undefined && config.modelName) out.model_name = config.modelName;
  if (out.role === undefined) out.role = out.engine_type ?? (config.role || 'unified');
  if (out.dp_rank === undefined && out.tp_rank !== undefined) out.dp_rank = config.defaultDpRank;
  if (config.dynamoNamespace && out.dynamo_namespace === undefined) out.dynamo_namespace = config.dynamoNamespace;
  if (config.dynamoComponent && out.dynamo_component === undefined) out.dynamo_component = config.dynamoComponent;
  if (config.dynamoEndpoint && out.dynamo_endpoint === undefined) out.dynamo_endpoint = config.dynamoEndpoint;
  Object.assign(out, config.set);
  return out;
}
