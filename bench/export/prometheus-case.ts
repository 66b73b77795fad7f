/**
 * The prometheus half of bench/export, run from run.ts (the scraping client)
 * against one side at a time in its own process (side-prom-bridge.ts or
 * side-prom-client.ts), pinned to another CPU than this one when possible:
 * - load: every series set once (timed in the side);
 * - cold scrape: the first one after loading;
 * - warm scrapes: `warmups` not counted, then `scrapes` timed, with the
 *   side's event-loop delay reset before and read after them;
 * - in-process renders: the side renders its exposition `scrapes` times
 *   without HTTP (timed in the side: the render alone);
 * - update cycles: set every series to new values (timed in the side), then
 *   scrape; `cycles` of them, the side's loop delay over all of them.
 * Scrape times are wall ms here: request sent to body fully read, over
 * loopback, sequential, so they include the transfer of the exposition.
 */
import { Worker } from './ipc.js';
import type { LoopDelayStats } from './loop-delay.js';
import { max, median } from './stats.js';

export interface Scrape {
  ms: number;
  bytes: number;
  /** Lines of the exposition, # HELP/# TYPE included. */
  lines: number;
  /** Lines with a sample. */
  sampleLines: number;
}

export interface CycleResult {
  /** Setting every series (side's own time), ms per cycle. */
  updateMs: number[];
  /** The scrape right after, ms per cycle. */
  scrapeMs: number[];
  /** update + scrape, ms per cycle. */
  cycleMs: number[];
  medianCycleMs: number;
  maxCycleMs: number;
  loop: LoopDelayStats;
}

export interface PrometheusSideResult {
  side: string;
  loadMs: number;
  cold: Scrape;
  warmScrapeMs: number[];
  medianScrapeMs: number;
  maxScrapeMs: number;
  loop: LoopDelayStats;
  /** In-process renders (no HTTP), wall ms each. */
  renderMs: number[];
  /** The same renders, process CPU ms each (less disturbed by other load on the machine than wall time). */
  renderCpuMs: number[];
  medianRenderMs: number;
  maxRenderMs: number;
  medianRenderCpuMs: number;
  /** Update cycles; for the bridge, keyed by how label objects arrive (reused, fresh). */
  cycles: Record<string, CycleResult>;
}

export interface PrometheusCaseOptions {
  root: string;
  script: string;
  side: string;
  args: string[];
  cpu?: number;
  nodeArgs?: string[];
  warmups: number;
  scrapes: number;
  cycles: number;
  /** Update variants to run: name -> extra args of the side's `update` op. */
  updateVariants: Record<string, Record<string, unknown>>;
}

async function scrape(url: string): Promise<Scrape> {
  const t0 = performance.now();
  const res = await fetch(url);
  const text = await res.text();
  const ms = performance.now() - t0;
  if (!res.ok) throw new Error(`scrape ${url}: HTTP ${res.status}`);
  let lines = 0;
  let sampleLines = 0;
  let start = 0;
  for (let nl = text.indexOf('\n'); nl >= 0; start = nl + 1, nl = text.indexOf('\n', start)) {
    lines++;
    if (nl > start && text.charCodeAt(start) !== 35 /* # */) sampleLines++;
  }
  return { ms, bytes: Buffer.byteLength(text), lines, sampleLines };
}

export async function measurePrometheusSide(o: PrometheusCaseOptions): Promise<PrometheusSideResult> {
  const worker = new Worker(o.side, o.script, o.args, { cwd: o.root, cpu: o.cpu, nodeArgs: o.nodeArgs });
  try {
    const url = await worker.call<string>('url');
    const load = await worker.call<{ ms: number }>('load');
    const cold = await scrape(url);
    for (let i = 0; i < o.warmups; i++) await scrape(url);
    await worker.call('loopReset');
    const warmScrapeMs: number[] = [];
    for (let i = 0; i < o.scrapes; i++) warmScrapeMs.push((await scrape(url)).ms);
    const loop = await worker.call<LoopDelayStats>('loopRead');
    const renders = await worker.call<{ wallMs: number; cpuMs: number }[]>('render', { n: o.scrapes });
    const renderMs = renders.map((r) => r.wallMs);
    const renderCpuMs = renders.map((r) => r.cpuMs);
    const cycles: Record<string, CycleResult> = {};
    let step = 0;
    for (const [variant, extra] of Object.entries(o.updateVariants)) {
      const updateMs: number[] = [];
      const scrapeMs: number[] = [];
      await worker.call('loopReset');
      for (let c = 0; c < o.cycles; c++) {
        updateMs.push((await worker.call<{ ms: number }>('update', { step: ++step, ...extra })).ms);
        scrapeMs.push((await scrape(url)).ms);
      }
      const cycleMs = updateMs.map((u, i) => u + scrapeMs[i]);
      cycles[variant] = { updateMs, scrapeMs, cycleMs, medianCycleMs: median(cycleMs), maxCycleMs: max(cycleMs), loop: await worker.call<LoopDelayStats>('loopRead') };
    }
    return { side: o.side, loadMs: load.ms, cold, warmScrapeMs, medianScrapeMs: median(warmScrapeMs), maxScrapeMs: max(warmScrapeMs), loop, renderMs, renderCpuMs, medianRenderMs: median(renderMs), maxRenderMs: max(renderMs), medianRenderCpuMs: median(renderCpuMs), cycles };
  } finally {
    await worker.stop();
  }
}
