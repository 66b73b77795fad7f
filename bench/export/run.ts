/**
 * bench/export: the cost of exporting, the bridge beside the library a user
 * would otherwise use, in the same run, each side in its own process.
 *
 *   npm run bench:export [-- --quick] [-- --cpu-prof] [-- --help]
 *
 * 1. prometheus, `--series` (60,000) series: the bridge's prometheus exporter
 *    beside prom-client (Registry + registry.metrics() behind node:http),
 *    scraped over HTTP from this process: cold scrape, median and max of the
 *    warm scrapes, the exporter process's event-loop delay while serving
 *    them, the render alone (in-process, no HTTP), and update cycles (every
 *    series changes, then a scrape).
 * 2. otlp_http (http/protobuf), `--points` (100,000) data points, gzip and
 *    uncompressed: the bridge's otlp_http exporter (exportSnapshot() until
 *    delivered) beside the OpenTelemetry JS SDK (MeterProvider, observable
 *    instruments, PeriodicExportingMetricReader + OTLPMetricExporter proto,
 *    reader.forceFlush()), both to the same sink process.
 * Series: see series.ts (SGLang-shaped families; a series = one label set of
 * one family; histograms are `--histogram-share` of them: prometheus runs
 * once per share listed (default 4 %, then none), otlp_http with the first).
 * Targets (issue): the 60,000-series render under 150 ms, no event-loop stall
 * over 50 ms. Results: a table on stdout, bench/results/export-<date>.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { formatProfile, summarizeProfile, type ProfileSummary } from '../fpm/profile.js';
import { pinToCpu, Worker } from './ipc.js';
import { measureOtlpSide, type OtlpSideResult } from './otlp-case.js';
import { measurePrometheusSide, type PrometheusSideResult } from './prometheus-case.js';
import { planSeries } from './series.js';
import { median } from './stats.js';
import { formatTable, num, ratio, yesNo, type Row } from './table.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const HERE = path.join(ROOT, 'bench/export');
const RENDER_TARGET_MS = 150;
const STALL_TARGET_MS = 50;

const { values: cli } = parseArgs({
  options: {
    series: { type: 'string', default: '60000' },
    points: { type: 'string', default: '100000' },
    'histogram-share': { type: 'string', default: '0.04,0' },
    scrapes: { type: 'string', default: '20' },
    warmups: { type: 'string', default: '3' },
    cycles: { type: 'string', default: '5' },
    reps: { type: 'string', default: '5' },
    compression: { type: 'string', default: 'gzip,none' },
    only: { type: 'string', default: 'prometheus,otlp' },
    pin: { type: 'string', default: 'on' },
    'cpu-prof': { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (cli.help) {
  console.log(`Usage: npm run bench:export -- [options]
  --series N            prometheus: series (label sets over all families) (default 60000)
  --points N            otlp_http: data points per export (default 100000)
  --histogram-share L   shares of the series that are histograms (18 bounds each); prometheus runs once per
                        share, otlp_http uses the first (default 0.04,0)
  --scrapes N           prometheus: timed warm scrapes per side (default 20)
  --warmups N           prometheus: untimed scrapes before them; otlp: untimed exports (default 3; otlp uses 1)
  --cycles N            prometheus: update+scrape cycles per variant (default 5)
  --reps N              otlp_http: timed exports per side and compression (default 5)
  --compression LIST    otlp_http: gzip,none (default both)
  --only LIST           prometheus,otlp (default both)
  --pin on|off          exporters on CPU 1, this process and the sink on CPU 0 (taskset; default on with 2+ CPUs)
  --cpu-prof            afterwards, run the bridge's sides again under node --cpu-prof and summarise the hot spots
  --quick               fewer repetitions (smoke test)
Run it under the shared lock: flock /tmp/bench.lock npm run bench:export`);
  process.exit(0);
}

const opts = {
  series: Number(cli.series),
  points: Number(cli.points),
  histogramShares: cli['histogram-share']!.split(',').map(Number),
  scrapes: cli.quick ? 5 : Number(cli.scrapes),
  warmups: cli.quick ? 1 : Number(cli.warmups),
  cycles: cli.quick ? 2 : Number(cli.cycles),
  reps: cli.quick ? 2 : Number(cli.reps),
  compression: cli.compression!.split(','),
  only: new Set(cli.only!.split(',')),
  pin: cli.pin !== 'off' && os.availableParallelism() >= 2,
  cpuProf: cli['cpu-prof']!,
};
const EXPORTER_CPU = opts.pin ? 1 : undefined;
const CLIENT_CPU = opts.pin ? 0 : undefined;
const log = (msg: string) => process.stderr.write(`[bench:export ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

function machine() {
  const git = (args: string[]) => {
    try {
      return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
    } catch {
      return '?';
    }
  };
  return {
    nproc: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? '?',
    node: process.version,
    gitCommit: git(['rev-parse', '--short', 'HEAD']),
    srcDirty: git(['status', '--porcelain', 'src']).split('\n').filter(Boolean),
    /** 1/5/15-minute load averages when the run started (other work on the machine shows here). */
    loadAvgAtStart: os.loadavg().map((v) => Number(v.toFixed(2))),
  };
}

interface PrometheusResult {
  histogramShare: number;
  bridge: PrometheusSideResult;
  baseline?: PrometheusSideResult;
}

async function prometheusSides(histogramShare: number, nodeArgs?: string[], only?: 'bridge'): Promise<PrometheusResult> {
  const common = { root: ROOT, args: [String(opts.series), String(histogramShare)], cpu: EXPORTER_CPU, warmups: opts.warmups, scrapes: opts.scrapes, cycles: opts.cycles };
  log(`prometheus: bridge exporter, ${opts.series.toLocaleString('en-US')} series, histogram share ${histogramShare}`);
  const bridge = await measurePrometheusSide({ ...common, nodeArgs, script: path.join(HERE, 'side-prom-bridge.ts'), side: 'bridge prometheus', updateVariants: { 'reused labels': { freshLabels: false }, 'fresh labels': { freshLabels: true } } });
  if (only) return { histogramShare, bridge };
  log('prometheus: prom-client baseline');
  const baseline = await measurePrometheusSide({ ...common, script: path.join(HERE, 'side-prom-client.ts'), side: 'prom-client', updateVariants: { 'set all': {} } });
  return { histogramShare, bridge, baseline };
}

async function otlpSides(nodeArgs?: string[], only?: 'bridge'): Promise<{ compression: string; bridge: OtlpSideResult; baseline?: OtlpSideResult }[]> {
  const sink = new Worker('sink', path.join(HERE, 'side-sink.ts'), [], { cwd: ROOT, cpu: CLIENT_CPU });
  try {
    const out = [];
    for (const compression of opts.compression) {
      const common = { root: ROOT, sink, compression, points: opts.points, histogramShare: opts.histogramShares[0], cpu: EXPORTER_CPU, warmups: 1, reps: opts.reps };
      log(`otlp_http ${compression}: bridge exporter, ${opts.points.toLocaleString('en-US')} points`);
      const bridge = await measureOtlpSide({ ...common, nodeArgs, script: path.join(HERE, 'side-otlp-bridge.ts'), side: 'bridge otlp_http' });
      if (only) {
        out.push({ compression, bridge });
        continue;
      }
      log(`otlp_http ${compression}: OpenTelemetry SDK baseline`);
      const baseline = await measureOtlpSide({ ...common, script: path.join(HERE, 'side-otlp-sdk.ts'), side: 'OTel SDK' });
      out.push({ compression, bridge, baseline });
    }
    return out;
  } finally {
    await sink.stop();
  }
}

/** Runs the bridge's sides again under --cpu-prof (not the measured runs) and summarises each profile. */
async function profiles(): Promise<Record<string, ProfileSummary>> {
  const out: Record<string, ProfileSummary> = {};
  const run = async (name: string, body: (nodeArgs: string[]) => Promise<unknown>) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-export-prof-'));
    try {
      await body(['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', '200']);
      const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
      if (!file) return log(`${name}: no profile written`);
      const keep = path.join(ROOT, 'bench/results', `export-${stamp}-${name}.cpuprofile`);
      execFileSync('cp', [path.join(dir, file), keep]);
      out[name] = summarizeProfile(keep, 15);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  if (opts.only.has('prometheus')) await run('bridge-prometheus', (a) => prometheusSides(opts.histogramShares[0], a, 'bridge'));
  if (opts.only.has('otlp')) await run('bridge-otlp', (a) => otlpSides(a, 'bridge'));
  return out;
}

const now = new Date();
const stamp = now.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');

function prometheusRows(p: PrometheusResult): { rows: Row[]; notes: string[] } {
  const b = p.bridge;
  const c = p.baseline!;
  const ms = (v: number) => `${num(v)} ms`;
  const plan = planSeries(opts.series, p.histogramShare);
  const tag = `prometheus [${plan.histogramSeries ? `${num(plan.histogramSeries, 0)} hist.` : 'no hist.'}]`;
  const rows: Row[] = [
    { case: `prometheus ${num(plan.total, 0)} series (${num(plan.histogramSeries, 0)} histogram) = ${num(b.cold.sampleLines, 0)} samples, ${num(b.cold.bytes / 1e6, 1)} MB: render in-process, median of ${opts.scrapes}`, baseline: ms(c.medianRenderMs), bridge: ms(b.medianRenderMs), ratio: ratio(b.medianRenderMs, c.medianRenderMs), target: `< ${RENDER_TARGET_MS} ms`, met: yesNo(b.medianRenderMs < RENDER_TARGET_MS) },
    { case: `${tag}: render in-process, max of ${opts.scrapes}`, baseline: ms(c.maxRenderMs), bridge: ms(b.maxRenderMs), ratio: ratio(b.maxRenderMs, c.maxRenderMs), target: `< ${RENDER_TARGET_MS} ms`, met: yesNo(b.maxRenderMs < RENDER_TARGET_MS) },
    { case: `${tag}: render in-process, CPU ms, median of ${opts.scrapes}`, baseline: ms(c.medianRenderCpuMs), bridge: ms(b.medianRenderCpuMs), ratio: ratio(b.medianRenderCpuMs, c.medianRenderCpuMs), target: '-', met: '-' },
    { case: `${tag}: HTTP scrape, median of ${opts.scrapes} (warm)`, baseline: ms(c.medianScrapeMs), bridge: ms(b.medianScrapeMs), ratio: ratio(b.medianScrapeMs, c.medianScrapeMs), target: `(< ${RENDER_TARGET_MS} ms)`, met: yesNo(b.medianScrapeMs < RENDER_TARGET_MS) },
    { case: `${tag}: HTTP scrape, max of ${opts.scrapes} (warm)`, baseline: ms(c.maxScrapeMs), bridge: ms(b.maxScrapeMs), ratio: ratio(b.maxScrapeMs, c.maxScrapeMs), target: `(< ${RENDER_TARGET_MS} ms)`, met: yesNo(b.maxScrapeMs < RENDER_TARGET_MS) },
    { case: `${tag}: first (cold) HTTP scrape`, baseline: ms(c.cold.ms), bridge: ms(b.cold.ms), ratio: ratio(b.cold.ms, c.cold.ms), target: '-', met: '-' },
    { case: `${tag}: series/s served (series / median scrape)`, baseline: num(opts.series / (c.medianScrapeMs / 1000), 0), bridge: num(opts.series / (b.medianScrapeMs / 1000), 0), ratio: ratio(c.medianScrapeMs, b.medianScrapeMs), target: '-', met: '-' },
    { case: `${tag}: exporter event-loop delay during warm scrapes, max (p99)`, baseline: `${ms(c.loop.maxMs)} (${num(c.loop.p99Ms)})`, bridge: `${ms(b.loop.maxMs)} (${num(b.loop.p99Ms)})`, ratio: ratio(b.loop.maxMs, c.loop.maxMs), target: `<= ${STALL_TARGET_MS} ms`, met: yesNo(b.loop.maxMs <= STALL_TARGET_MS) },
  ];
  const base = c.cycles['set all'];
  for (const [variant, cyc] of Object.entries(b.cycles)) {
    rows.push(
      { case: `${tag}: update all + scrape, median of ${opts.cycles} (bridge: ${variant})`, baseline: ms(base.medianCycleMs), bridge: ms(cyc.medianCycleMs), ratio: ratio(cyc.medianCycleMs, base.medianCycleMs), target: '-', met: '-' },
      { case: `${tag}: event-loop delay in update cycles, max (bridge: ${variant})`, baseline: ms(base.loop.maxMs), bridge: ms(cyc.loop.maxMs), ratio: ratio(cyc.loop.maxMs, base.loop.maxMs), target: `<= ${STALL_TARGET_MS} ms`, met: yesNo(cyc.loop.maxMs <= STALL_TARGET_MS) },
    );
  }
  const notes = [
    `${tag} exposition: bridge ${num(b.cold.bytes / 1e6, 2)} MB, ${b.cold.lines.toLocaleString('en-US')} lines (${b.cold.sampleLines.toLocaleString('en-US')} samples); prom-client ${num(c.cold.bytes / 1e6, 2)} MB, ${c.cold.lines.toLocaleString('en-US')} lines (${c.cold.sampleLines.toLocaleString('en-US')} samples)`,
    `${tag} load (every series set once, in the exporter process): bridge consume() ${ms(b.loadMs)}, prom-client set/inc/observe ${ms(c.loadMs)}`,
    `${tag} update cycles, median update / scrape: ${Object.entries(b.cycles).map(([v, cyc]) => `bridge (${v}) ${num(median(cyc.updateMs))} / ${num(median(cyc.scrapeMs))} ms`).join('; ')}; prom-client ${num(median(base.updateMs))} / ${num(median(base.scrapeMs))} ms`,
    `${tag} in-process renders, ms: bridge ${b.renderMs.map((v) => num(v, 0)).join(' ')}; prom-client ${c.renderMs.map((v) => num(v, 0)).join(' ')}`,
    `${tag} GC pauses in the exporter process (max / total ms): warm scrapes bridge ${num(b.loop.gcMaxMs)} / ${num(b.loop.gcTotalMs)}, prom-client ${num(c.loop.gcMaxMs)} / ${num(c.loop.gcTotalMs)}; update cycles ${Object.entries(b.cycles).map(([v, cyc]) => `bridge (${v}) ${num(cyc.loop.gcMaxMs)} / ${num(cyc.loop.gcTotalMs)}`).join(', ')}, prom-client ${num(base.loop.gcMaxMs)} / ${num(base.loop.gcTotalMs)}`,
    `${tag} warm scrapes, ms: bridge ${b.warmScrapeMs.map((v) => num(v, 0)).join(' ')}; prom-client ${c.warmScrapeMs.map((v) => num(v, 0)).join(' ')}`,
  ];
  return { rows, notes };
}

function otlpRows(list: { compression: string; bridge: OtlpSideResult; baseline?: OtlpSideResult }[], pointsText: string): { rows: Row[]; notes: string[] } {
  const rows: Row[] = [];
  const notes: string[] = [];
  for (const { compression, bridge: b, baseline } of list) {
    const s = baseline!;
    const tag = `otlp_http protobuf ${compression}, ${pointsText}`;
    rows.push(
      { case: `${tag}: export to delivered, median of ${opts.reps}`, baseline: `${num(s.medianWallMs)} ms`, bridge: `${num(b.medianWallMs)} ms`, ratio: ratio(b.medianWallMs, s.medianWallMs), target: '-', met: '-' },
      { case: `${tag}: points/s`, baseline: num(s.pointsPerS, 0), bridge: num(b.pointsPerS, 0), ratio: ratio(b.pointsPerS, s.pointsPerS), target: '-', met: '-' },
      { case: `${tag}: exporter CPU per export, median`, baseline: `${num(s.medianCpuMs)} ms`, bridge: `${num(b.medianCpuMs)} ms`, ratio: ratio(b.medianCpuMs, s.medianCpuMs), target: '-', met: '-' },
      { case: `${tag}: request bytes`, baseline: num(s.medianRequestBytes, 0), bridge: num(b.medianRequestBytes, 0), ratio: ratio(b.medianRequestBytes, s.medianRequestBytes), target: '-', met: '-' },
      { case: `${tag}: exporter event-loop delay, max of ${opts.reps}`, baseline: `${num(s.maxLoopDelayMs)} ms`, bridge: `${num(b.maxLoopDelayMs)} ms`, ratio: ratio(b.maxLoopDelayMs, s.maxLoopDelayMs), target: `(<= ${STALL_TARGET_MS} ms)`, met: yesNo(b.maxLoopDelayMs <= STALL_TARGET_MS) },
    );
    notes.push(`otlp ${compression} wall ms: bridge ${b.runs.map((r) => num(r.wallMs, 0)).join(' ')} (requests per export ${b.runs[0]?.requests}; GC max ${num(Math.max(...b.runs.map((r) => r.loop.gcMaxMs)))} ms); SDK ${s.runs.map((r) => num(r.wallMs, 0)).join(' ')} (requests per export ${s.runs[0]?.requests}; GC max ${num(Math.max(...s.runs.map((r) => r.loop.gcMaxMs)))} ms)`);
  }
  return { rows, notes };
}

async function main(): Promise<void> {
  mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
  const started = performance.now();
  const m = machine();
  if (CLIENT_CPU !== undefined) pinToCpu(process.pid, CLIENT_CPU);
  log(`machine: ${m.nproc} CPUs, ${m.cpuModel}, node ${m.node}, at ${m.gitCommit}; pinning ${opts.pin ? 'exporters on CPU 1, client and sink on CPU 0' : 'off'}`);
  if (m.srcDirty.length) log(`note: src/ has uncommitted changes, measured as they are: ${m.srcDirty.join('; ')}`);
  const promPlan = planSeries(opts.series, opts.histogramShares[0]);
  const otlpPlan = planSeries(opts.points, opts.histogramShares[0]);
  const pointsText = `${num(otlpPlan.total, 0)} points (${num(otlpPlan.histogramSeries, 0)} histogram)`;

  const prometheus: PrometheusResult[] = [];
  if (opts.only.has('prometheus')) for (const share of opts.histogramShares) prometheus.push(await prometheusSides(share));
  const otlp = opts.only.has('otlp') ? await otlpSides() : undefined;
  const profile = opts.cpuProf ? await profiles() : undefined;

  const rows: Row[] = [];
  const notes: string[] = [
    `series: ${promPlan.families.length} SGLang-shaped families (${promPlan.families.filter((f) => f.kind === 'gauge').length} gauges, ${promPlan.families.filter((f) => f.kind === 'counter').length} counters, ${promPlan.families.filter((f) => f.kind === 'histogram').length} histograms with 18 bounds); labels model_name, engine_type, tp_rank, dp_rank, instance; a series = one label set of one family = one OTLP data point`,
  ];
  for (const p of prometheus) {
    const r = prometheusRows(p);
    rows.push(...r.rows);
    notes.push(...r.notes);
  }
  if (otlp) {
    const r = otlpRows(otlp, pointsText);
    rows.push(...r.rows);
    notes.push(...r.notes, 'otlp SDK baseline: cardinality limit raised by a View (instrumentName "*", aggregationCardinalityLimit); gauges/counters observed in callbacks, histograms recorded');
  }
  const totalS = (performance.now() - started) / 1000;
  const loadAvgAtEnd = os.loadavg().map((v) => Number(v.toFixed(2)));
  notes.push(`load average (1/5/15 min) at start ${m.loadAvgAtStart.join(' ')}, at end ${loadAvgAtEnd.join(' ')} on ${m.nproc} CPUs: above ~1 other processes competed for the CPUs and wall times are inflated (CPU ms less so)`);
  console.log(`\nExport benchmark (${stamp}, ${totalS.toFixed(0)} s; ${m.nproc} CPUs, node ${m.node}, ${m.gitCommit}${m.srcDirty.length ? ', src/ modified' : ''})\n${formatTable(rows)}\n\n${notes.join('\n')}`);
  if (profile) for (const [name, s] of Object.entries(profile)) console.log(`\n${name} (--cpu-prof, whole side process): ${formatProfile(s)}`);
  const out = path.join(ROOT, 'bench/results', `export-${stamp}.json`);
  const options = { ...opts, only: [...opts.only] };
  writeFileSync(out, JSON.stringify({ date: now.toISOString(), durationS: totalS, command: 'npm run bench:export', argv: process.argv.slice(2), options, machine: { ...m, loadAvgAtEnd }, plans: { prometheus: { ...promPlan, labelSets: promPlan.labelSets.length }, otlp: { ...otlpPlan, labelSets: otlpPlan.labelSets.length } }, table: rows, notes, prometheus, otlp, profile }, null, 1));
  console.log(`\nresults: ${path.relative(ROOT, out)}`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`bench:export failed: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
