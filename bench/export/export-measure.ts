/**
 * One measured export in an OTLP side's own process: wall time, CPU time of
 * the whole process (process.cpuUsage: every thread, compression included)
 * and the event loop's delay while it ran.
 */
import type { LoopDelay, LoopDelayStats } from './loop-delay.js';

export interface ExportMeasurement {
  /** Data points delivered (the sink answered 200). */
  points: number;
  /** From the start of the export to its delivery, ms. */
  wallMs: number;
  /** user + system CPU of this process in that time, ms. */
  cpuMs: number;
  loop: LoopDelayStats;
}

/** Runs `exportOnce` (which resolves with the points delivered) and measures it. */
export async function measureExport(loop: LoopDelay, exportOnce: () => Promise<number>): Promise<ExportMeasurement> {
  loop.reset();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const points = await exportOnce();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { points, wallMs, cpuMs: (cpu.user + cpu.system) / 1000, loop: loop.read() };
}
