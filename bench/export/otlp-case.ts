/**
 * The otlp_http half of bench/export: one side (side-otlp-bridge.ts or
 * side-otlp-sdk.ts) in its own process, pinned when possible, exporting to
 * the sink (side-sink.ts, another process) `warmups` + `reps` times; the
 * sink's byte counter gives the request bytes of each export.
 */
import type { ExportMeasurement } from './export-measure.js';
import { Worker } from './ipc.js';
import { median } from './stats.js';

export interface OtlpRun extends ExportMeasurement {
  /** Request bodies as sent (after compression), bytes. */
  requestBytes: number;
  requests: number;
}

export interface OtlpSideResult {
  side: string;
  compression: string;
  runs: OtlpRun[];
  medianWallMs: number;
  medianCpuMs: number;
  /** points / median wall time. */
  pointsPerS: number;
  medianRequestBytes: number;
  /** Largest loop delay over the measured runs, ms. */
  maxLoopDelayMs: number;
  points: number;
}

export interface OtlpCaseOptions {
  root: string;
  script: string;
  side: string;
  sink: Worker;
  compression: string;
  points: number;
  histogramShare: number;
  cpu?: number;
  nodeArgs?: string[];
  warmups: number;
  reps: number;
}

export async function measureOtlpSide(o: OtlpCaseOptions): Promise<OtlpSideResult> {
  const url = await o.sink.call<string>('url');
  const worker = new Worker(o.side, o.script, [url, o.compression, String(o.points), String(o.histogramShare)], { cwd: o.root, cpu: o.cpu, nodeArgs: o.nodeArgs });
  try {
    const runs: OtlpRun[] = [];
    for (let step = 0; step < o.warmups + o.reps; step++) {
      const before = await o.sink.call<{ requests: number; bytes: number }>('stats');
      const m = await worker.call<ExportMeasurement>('export', { step });
      const after = await o.sink.call<{ requests: number; bytes: number }>('stats');
      if (m.points !== o.points) throw new Error(`${o.side}: ${m.points} points delivered, expected ${o.points}`);
      if (step >= o.warmups) runs.push({ ...m, requestBytes: after.bytes - before.bytes, requests: after.requests - before.requests });
    }
    const medianWallMs = median(runs.map((r) => r.wallMs));
    return {
      side: o.side,
      compression: o.compression,
      runs,
      medianWallMs,
      medianCpuMs: median(runs.map((r) => r.cpuMs)),
      pointsPerS: o.points / (medianWallMs / 1000),
      medianRequestBytes: median(runs.map((r) => r.requestBytes)),
      maxLoopDelayMs: Math.max(...runs.map((r) => r.loop.maxMs)),
      points: o.points,
    };
  } finally {
    await worker.stop();
  }
}
