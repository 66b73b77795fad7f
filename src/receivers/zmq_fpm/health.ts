import type { Attributes, GaugeMetric, Metric, NumberPoint, SumMetric } from '../../model/metrics.js';
import { REFUSAL_REASONS } from './schema.js';
import type { StreamCounts } from './stream.js';

/**
 * Stream health of every endpoint as metrics (cumulative since each
 * identity's start). Rendered by the Prometheus exporter as
 * sglang_fpm_heartbeats_total, sglang_fpm_messages_lost_total,
 * sglang_fpm_publisher_restarts_total, sglang_fpm_messages_refused_total{reason},
 * sglang_fpm_disconnects_total and sglang_fpm_up.
 */
export interface StreamSnapshot {
  readonly counts: StreamCounts;
  readonly up: number;
}

function counter(name: string, description: string, unit: string, points: NumberPoint[]): SumMetric {
  return { kind: 'sum', monotonic: true, name, description, unit, points };
}

/**
 * Attribute objects of one identity, made once: downstream caches (label keys,
 * rendered series) are keyed by the object, so a new one every report would
 * make every report a cache miss.
 */
interface IdentityAttributes {
  readonly rank: Attributes;
  readonly refused: readonly Attributes[];
}
const attributesOf = new WeakMap<StreamCounts, IdentityAttributes>();

function identityAttributes(c: StreamCounts): IdentityAttributes {
  let a = attributesOf.get(c);
  if (!a || a.rank.worker_id !== c.workerId) {
    const rank = { worker_id: c.workerId, dp_rank: String(c.dpRank) };
    a = { rank, refused: REFUSAL_REASONS.map((reason) => ({ ...rank, reason })) };
    attributesOf.set(c, a);
  }
  return a;
}

export function healthMetrics(streams: readonly StreamSnapshot[], nowMs: number): Metric[] {
  const heartbeats: NumberPoint[] = [];
  const lost: NumberPoint[] = [];
  const restarts: NumberPoint[] = [];
  const disconnects: NumberPoint[] = [];
  const refused: NumberPoint[] = [];
  const up: NumberPoint[] = [];
  for (const { counts: c, up: isUp } of streams) {
    const { rank: attributes, refused: refusedAttributes } = identityAttributes(c);
    const base = { attributes, startTimeMs: c.startTimeMs, timeMs: nowMs };
    heartbeats.push({ ...base, value: c.heartbeats });
    lost.push({ ...base, value: c.lost });
    restarts.push({ ...base, value: c.restarts });
    disconnects.push({ ...base, value: c.disconnects });
    REFUSAL_REASONS.forEach((reason, i) => refused.push({ attributes: refusedAttributes[i], startTimeMs: c.startTimeMs, timeMs: nowMs, value: c.refused[reason] }));
    up.push({ attributes, startTimeMs: nowMs, timeMs: nowMs, value: isUp });
  }
  const upMetric: GaugeMetric = { kind: 'gauge', name: 'sglang.fpm.up', description: '1 while the rank sent data or a heartbeat within heartbeat_timeout, else 0.', unit: '', points: up };
  return [
    counter('sglang.fpm.heartbeats', 'Heartbeats received (liveness messages, not iterations).', '{message}', heartbeats),
    counter('sglang.fpm.messages_lost', 'Messages missing from the sequence (dropped at the publisher or by the subscriber high-water mark).', '{message}', lost),
    counter('sglang.fpm.publisher_restarts', 'Times the sequence stepped back: the publisher restarted.', '{restart}', restarts),
    counter('sglang.fpm.disconnects', 'Connections libzmq closed (publisher gone, or a message over max_message_bytes).', '{disconnect}', disconnects),
    counter('sglang.fpm.messages_refused', 'Messages refused by reason: frame_count, seq_frame, msgpack, not_map, schema, version.', '{message}', refused),
    upMetric,
  ];
}
