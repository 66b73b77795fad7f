import type { Batch } from '../../model/batch.js';
import { countPoints } from '../../model/metrics.js';
import { toWireShape } from '../../receivers/zmq_fpm/schema.js';
import type { Verbosity } from './config.js';

/** The JSON lines the debug exporter writes for one batch (pure). */
export function debugLines(batch: Batch, verbosity: Verbosity, exporter: string, nowMs: number): string[] {
  const time = new Date(nowMs).toISOString();
  const metrics = batch.metrics ?? [];
  const fpm = batch.fpm ?? [];
  if (verbosity === 'basic') {
    const points = countPoints(metrics);
    return [JSON.stringify({ time, exporter, metrics: metrics.length, points, fpm_records: fpm.length })];
  }
  const lines: string[] = [];
  for (const m of metrics) {
    const head = { time, exporter, metric: m.name, kind: m.kind, unit: m.unit };
    if (verbosity === 'normal') lines.push(JSON.stringify({ ...head, points: m.points.length }));
    else for (const p of m.points) lines.push(JSON.stringify({ ...head, ...p }));
  }
  if (fpm.length) {
    if (verbosity === 'normal') lines.push(JSON.stringify({ time, exporter, fpm_records: fpm.length, heartbeats: fpm.filter((r) => r.heartbeat).length }));
    else for (const r of fpm) lines.push(JSON.stringify({ time, exporter, fpm: toWireShape(r), heartbeat: r.heartbeat }));
  }
  return lines;
}
