import type { Metric } from '../../model/metrics.js';

/** Version tag of the metric snapshot message schema (docs/nats.md). */
export const SNAPSHOT_SCHEMA = 'sglang-otel-bridge.metrics.v1';

type PointOut = Record<string, unknown>;

export interface SnapshotMessage {
  readonly schema: typeof SNAPSHOT_SCHEMA;
  /** When the snapshot was taken, Unix ms. */
  readonly time_unix_ms: number;
  /** Who sent it: service.name, service.instance.id, host.name. */
  readonly resource: Readonly<Record<string, string>>;
  readonly metrics: {
    name: string;
    kind: Metric['kind'];
    unit: string;
    description: string;
    monotonic?: boolean;
    points: PointOut[];
  }[];
}

function pointOut(metric: Metric, p: Metric['points'][number]): PointOut {
  const base = { attributes: p.attributes, start_time_unix_ms: p.startTimeMs, time_unix_ms: p.timeMs };
  if (metric.kind === 'sum' || metric.kind === 'gauge') return { ...base, value: (p as { value: number }).value };
  if (metric.kind === 'histogram') {
    const h = p as Extract<Metric, { kind: 'histogram' }>['points'][number];
    return { ...base, count: h.count, sum: h.sum, bounds: h.bounds, bucket_counts: h.bucketCounts };
  }
  const s = p as Extract<Metric, { kind: 'summary' }>['points'][number];
  return { ...base, count: s.count, sum: s.sum, quantiles: s.quantiles };
}

/**
 * Splits a snapshot into one message per subject: each point goes to the
 * subject its attributes (and metric name) give. Metrics keep their order;
 * a message holds only the points of its subject. Pure.
 */
export function snapshotMessages(metrics: readonly Metric[], subjectOf: (metric: Metric, attributes: Readonly<Record<string, string>>) => string, resource: Readonly<Record<string, string>>, nowMs: number): Map<string, SnapshotMessage & { points: number }> {
  const out = new Map<string, SnapshotMessage & { points: number }>();
  for (const metric of metrics) {
    const bySubject = new Map<string, PointOut[]>();
    for (const p of metric.points) {
      const subject = subjectOf(metric, p.attributes);
      let list = bySubject.get(subject);
      if (!list) bySubject.set(subject, (list = []));
      list.push(pointOut(metric, p));
    }
    for (const [subject, points] of bySubject) {
      let message = out.get(subject);
      if (!message) out.set(subject, (message = { schema: SNAPSHOT_SCHEMA, time_unix_ms: nowMs, resource, metrics: [], points: 0 }));
      const head = { name: metric.name, kind: metric.kind, unit: metric.unit, description: metric.description };
      message.metrics.push(metric.kind === 'sum' ? { ...head, monotonic: metric.monotonic, points } : { ...head, points });
      message.points += points.length;
    }
  }
  return out;
}
