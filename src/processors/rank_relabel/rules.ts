import type { Attributes } from '../../model/metrics.js';
import type { RankRelabelConfig } from './config.js';

/** The labels rank_relabel reads a process's rank from. */
export const RANK_LABELS = ['dp_rank', 'tp_rank', 'pp_rank'] as const;

/** What the processor has learned from the data so far. */
export interface Learned {
  /** pid -> that process's rank labels (from sglang.multiproc.process_ranks). */
  readonly pidRanks: ReadonlyMap<string, Attributes>;
  /** The only worker_id of this pipeline's FPM series, if exactly one was seen. */
  readonly workerId: string | undefined;
  /** The only model_name of this pipeline's Prometheus series, if exactly one was seen. */
  readonly modelName: string | undefined;
}

/**
 * The identity labels of one series (pure). In order:
 * 1. pid -> rank labels (when pid_to_rank and the pid is known; pid dropped unless keep_pid);
 * 2. renames; 3. copies (target only when absent);
 * 4. defaults when absent: worker_id, model_name, role (= engine_type, else the
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
  const workerId = config.workerId || learned.workerId;
  if (out.worker_id === undefined && workerId) out.worker_id = workerId;
  const modelName = config.modelName || learned.modelName;
  if (out.model_name === undefined && modelName) out.model_name = modelName;
  if (out.role === undefined) out.role = out.engine_type ?? (config.role || 'unified');
  if (out.dp_rank === undefined && out.tp_rank !== undefined) out.dp_rank = config.defaultDpRank;
  if (config.dynamoNamespace && out.dynamo_namespace === undefined) out.dynamo_namespace = config.dynamoNamespace;
  if (config.dynamoComponent && out.dynamo_component === undefined) out.dynamo_component = config.dynamoComponent;
  if (config.dynamoEndpoint && out.dynamo_endpoint === undefined) out.dynamo_endpoint = config.dynamoEndpoint;
  Object.assign(out, config.set);
  return out;
}
