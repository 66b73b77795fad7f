import { defineSchema, stringMap } from '../../config/component-schema.js';

export interface RankRelabelConfig {
  /** worker_id for series without one (Prometheus inputs); '' = none added. */
  readonly workerId: string;
  /** model_name for series without one (FPM series); '' = none added. */
  readonly modelName: string;
  /** role for series without engine_type; '' = "unified". */
  readonly role: string;
  readonly dynamoNamespace: string;
  readonly dynamoComponent: string;
  readonly dynamoEndpoint: string;
  /** Label renames, old -> new, applied first. */
  readonly rename: Readonly<Record<string, string>>;
  /** Label copies, from -> to (the target is written only when absent). */
  readonly copy: Readonly<Record<string, string>>;
  /** Labels always set, over whatever is there (applied last). */
  readonly set: Readonly<Record<string, string>>;
  readonly pidToRank: boolean;
  readonly keepPid: boolean;
  /** dp_rank of rank-level series (those with tp_rank) that carry none: SGLang without DP attention. */
  readonly defaultDpRank: string;
}

const LABEL = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const rankRelabelSchema = defineSchema<RankRelabelConfig>(
  {
    worker_id: { doc: 'worker_id for series without one (the Prometheus inputs; FPM series carry the stream\'s): give the same id as the FPM stream so that both views of a rank join. Use set to force it.', format: String, default: '' },
    model_name: { doc: 'model_name for series without one (the FPM series; SGLang\'s Prometheus series carry it).', format: String, default: '' },
    role: { doc: 'role (prefill, decode, unified) for series without engine_type; empty: unified. Series with engine_type get role = engine_type.', format: String, default: '' },
    dynamo_namespace: { doc: 'Dynamo\'s dynamo_namespace label on every series (empty: not added).', format: String, default: '' },
    dynamo_component: { doc: 'Dynamo\'s dynamo_component label on every series, e.g. "backend", "prefill" (empty: not added).', format: String, default: '' },
    dynamo_endpoint: { doc: 'Dynamo\'s dynamo_endpoint label on every series, e.g. "generate" (empty: not added).', format: String, default: '' },
    rename: { doc: 'Label renames, {"old": "new"}, applied first.', format: '*', default: {} },
    copy: { doc: 'Label copies, {"from": "to"}, e.g. {"model_name": "model"}; the target is written only when absent.', format: '*', default: {} },
    set: { doc: 'Labels set on every series over whatever is there, applied last.', format: '*', default: {} },
    pid_to_rank: { doc: 'Replace the pid label of per-process series (gauges in "all" mode, e.g. num_retracted_reqs) by that process\'s rank labels (dp_rank, tp_rank, pp_rank), learned from sglang.multiproc.process_ranks.', format: 'boolean', default: true },
    keep_pid: { doc: 'Keep the pid label after mapping it to ranks.', format: 'boolean', default: false },
    default_dp_rank: { doc: 'dp_rank of rank-level series (with tp_rank) that have none, as SGLang without data parallelism writes them.', format: String, default: '0' },
  },
  (v, issue) => {
    const labelMap = (option: string) => {
      const map = stringMap(v[option], option, issue);
      for (const [k, val] of Object.entries(map)) {
        if (!LABEL.test(k)) issue(`${option}.${k}`, 'is not a label name (letters, digits, _)');
        if (option !== 'set' && !LABEL.test(val)) issue(`${option}.${k}`, `"${val}" is not a label name (letters, digits, _)`);
      }
      return map;
    };
    const role = v.role as string;
    if (role && !['prefill', 'decode', 'unified'].includes(role)) issue('role', 'must be prefill, decode or unified (or empty)');
    return {
      workerId: v.worker_id as string,
      modelName: v.model_name as string,
      role,
      dynamoNamespace: v.dynamo_namespace as string,
      dynamoComponent: v.dynamo_component as string,
      dynamoEndpoint: v.dynamo_endpoint as string,
      rename: labelMap('rename'),
      copy: labelMap('copy'),
      set: labelMap('set'),
      pidToRank: v.pid_to_rank as boolean,
      keepPid: v.keep_pid as boolean,
      defaultDpRank: v.default_dp_rank as string,
    };
  },
);
