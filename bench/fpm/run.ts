/**
 * bench/fpm: the zmq_fpm receiver (the whole bridge process: zmq_fpm -> welford
 * -> prometheus, as `node dist/main.js run` runs it) against the baseline a user
 * would otherwise write: a Python subscriber with pyzmq + msgpack that only
 * decodes (bench/fpm/py_subscriber.py, run with Debian's /usr/bin/python3).
 *
 *   npm run bench:fpm [-- --profile] [-- --transport tcp] [-- --quick]
 *
 * 1. CPU per message at a fixed high rate over `--dp-size` ranks, lossless:
 *    process CPU (utime + stime of every thread, /proc/<pid>/stat) / messages.
 *    Python and the bridge in back-to-back runs of the identical load (same
 *    publisher, rate, duration, seed), each alone with the publisher.
 * 2. Highest sustained rate without loss: a rate ramp, then bisection between
 *    the last lossless and the first lossy step; one fresh subscriber per step.
 * 3. At 3,200 messages/s (shared/tools/fpm-publisher.py --dp-size 8 --rate 400
 *    --duration 20): CPU as % of one core and RSS, the bridge and Python
 *    subscribed to the same endpoints at the same time.
 * 4. The reference publisher (shared/tools/fpm-publisher.py, SGLang's
 *    libraries) flooding `--dp-size` ranks as fast as it can: its ceiling,
 *    and whether each subscriber, alone with it, receives everything.
 *
 * Loads for 1 and 2 come from bench/fpm/publisher.ts (pre-encoded, spec-exact
 * frames; fpm-publisher.py cannot send fast enough). Everything is local
 * (ipc:// in a temp dir, or tcp://127.0.0.1 on probed free ports), bounded in
 * time, and every child process is killed on exit.
 * Results: a table on stdout, and bench/results/fpm-<date>.json.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { expandEndpoints } from '../../src/receivers/zmq_fpm/endpoints.js';
import { Child, cpuSeconds, cpuSplit, freePortRange, memoryMiB, sleep, threadCpu, threadCpuDelta, type ThreadCpu } from './proc.js';
import { formatProfile, summarizeProfile, type ProfileSummary } from './profile.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BRIDGE_MAIN = path.resolve(ROOT, process.argv.includes('--bridge') ? process.argv[process.argv.indexOf('--bridge') + 1] : 'dist/main.js');
const PUBLISHER_TS = path.join(ROOT, 'bench/fpm/publisher.ts');
const PY_SUBSCRIBER = path.join(ROOT, 'bench/fpm/py_subscriber.py');
const NULL_SUBSCRIBER = path.join(ROOT, 'bench/fpm/null_subscriber.ts');
const PUBLISHER_PY = process.env.FPM_PUBLISHER ?? path.resolve(ROOT, '../shared/tools/fpm-publisher.py');
const SYSTEM_PYTHON = '/usr/bin/python3';
const RECEIVE_HWM = 20000;

const { values: cli } = parseArgs({
  options: {
    transport: { type: 'string', default: 'ipc' },
    'dp-size': { type: 'string', default: '2' },
    'cpu-rate': { type: 'string', default: '50000' },
    'cpu-duration': { type: 'string', default: '8' },
    ramp: { type: 'string', default: '50000,100000,150000,200000,250000,300000,0' },
    'step-duration': { type: 'string', default: '4' },
    bisect: { type: 'string', default: '2' },
    'low-duration': { type: 'string', default: '20' },
    'flood-duration': { type: 'string', default: '8' },
    profile: { type: 'boolean', default: false },
    only: { type: 'string', default: '1,2,3,4' },
    warmup: { type: 'string', default: '2' },
    pin: { type: 'string', default: 'on' },
    bridge: { type: 'string', default: 'dist/main.js' },
    'bridge-node-options': { type: 'string', default: '' },
    'receiver-options': { type: 'string', default: '{}' },
    quick: { type: 'boolean', default: false },
    'null-ramp': { type: 'string', default: 'on' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (cli.help) {
  console.log(`Usage: npm run bench:fpm -- [options]
  --transport ipc|tcp     endpoints (default ipc, SGLang's default form)
  --dp-size N             ranks for steps 1 and 2 (default 2)
  --cpu-rate N            total messages/s for step 1 (default 50000)
  --cpu-duration S        seconds of load in step 1 (default 8)
  --ramp LIST             total rates for step 2, 0 = as fast as the publisher can (default 50000,...,300000,0)
  --step-duration S       seconds per ramp step (default 4)
  --bisect N              bisection steps after the first lossy step (default 2)
  --low-duration S        fpm-publisher.py --duration in step 3 (default 20)
  --flood-duration S      fpm-publisher.py --duration in step 4 (default 8)
  --profile               also run the bridge under node --cpu-prof (step-1 load and 3,200 msg/s) and summarise
  --only LIST             steps to run, e.g. 1,3 (default 1,2,3,4)
  --warmup S              steps 1-2: seconds of the same load before each measured load, same
                          subscriber process (JIT warm-up; its loss is shown, not counted) (default 2)
  --pin on|off            steps 1-2: publisher on CPU 0, subscriber on CPU 1 (taskset), so they do not
                          compete for the same core (default on when there are 2+ CPUs)
  --bridge PATH           the bridge's main.js (default dist/main.js; to compare builds)
  --bridge-node-options S extra node flags for the bridge, e.g. "--max-semi-space-size=2"
  --receiver-options JSON merged into the zmq_fpm options, e.g. '{"poll_interval":"5ms"}'
  --quick                 shorter steps (smoke test; numbers less stable)
  --null-ramp on|off      steps 2 and 4 also on bench/fpm/null_subscriber.ts (counting only): what the
                          publisher delivers without loss on this machine (default on)`);
  process.exit(0);
}

const opts = {
  transport: cli.transport === 'tcp' ? ('tcp' as const) : ('ipc' as const),
  dp: Number(cli['dp-size']),
  cpuRate: Number(cli['cpu-rate']),
  cpuDuration: Number(cli['cpu-duration']) / (cli.quick ? 4 : 1),
  ramp: cli.ramp!.split(',').map(Number),
  stepDuration: Number(cli['step-duration']) / (cli.quick ? 2 : 1),
  bisect: cli.quick ? 0 : Number(cli.bisect),
  lowDuration: Number(cli['low-duration']) / (cli.quick ? 4 : 1),
  floodDuration: Number(cli['flood-duration']) / (cli.quick ? 4 : 1),
  profile: cli.profile!,
  only: new Set(cli.only!.split(',').map(Number)),
  warmup: Number(cli.warmup) / (cli.quick ? 2 : 1),
  pin: cli.pin !== 'off' && os.availableParallelism() >= 2 && existsSync('/usr/bin/taskset'),
  bridgeNodeOptions: cli['bridge-node-options']!.split(' ').filter(Boolean),
  receiverOptions: JSON.parse(cli['receiver-options']!) as Record<string, unknown>,
  nullRamp: cli['null-ramp'] === 'on',
};

/** [command, args], run under `taskset -c cpu` when pinning is on and a CPU is given. */
function pinned(cpu: number | undefined, command: string, args: string[]): [string, string[]] {
  if (!opts.pin || cpu === undefined) return [command, args];
  return ['/usr/bin/taskset', ['-c', String(cpu), command, ...args]];
}
const SUBSCRIBER_CPU = 1;
const PUBLISHER_CPU = 0;

const TMP = mkdtempSync(path.join(os.tmpdir(), 'bench-fpm-'));
process.on('exit', () => rmSync(TMP, { recursive: true, force: true }));
const log = (msg: string) => process.stderr.write(`[bench:fpm ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

// ---------------------------------------------------------------- endpoints
let endpointSeq = 0;
async function freshBase(dp: number): Promise<string> {
  if (opts.transport === 'tcp') return `tcp://127.0.0.1:${await freePortRange(dp)}`;
  return `ipc://${path.join(TMP, `fpm${endpointSeq++}`)}`;
}

// ---------------------------------------------------------------- subscribers
interface Counts {
  received: number;
  lost: number;
  refused: number;
  iterations?: number;
  heartbeats?: number;
  /** The bridge's own nodejs_eventloop_lag_max_seconds (src/telemetry/event-loop-lag.ts: the longest delay since the previous scrape). */
  eventLoopLagMaxS?: number;
}

/** null: bench/fpm/null_subscriber.ts, counting only (what the publisher can deliver). */
type SubscriberKind = 'bridge' | 'python' | 'null';

interface Subscriber {
  kind: SubscriberKind;
  child: Child;
  counts(): Promise<Counts>;
  /** The bridge's /metrics text. */
  scrape?: () => Promise<string>;
  stop(): Promise<void>;
}

/** Sums of the samples of a metric in a Prometheus text exposition (optionally only those with a label). */
function sumOf(text: string, name: string, labelFilter?: string): number | undefined {
  let sum: number | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    if (labelFilter && !(m[2] ?? '').includes(labelFilter)) continue;
    sum = (sum ?? 0) + Number(m[3]);
  }
  return sum;
}

/**
 * How often the bridge reports: steps 1, 2 and 4 report loss every 250 ms and
 * close a window every second (quick to read a ramp step's outcome); step 3
 * runs what config/default.json ships (windows of 5 s, health every second).
 */
interface Cadence {
  readonly reportInterval: string;
  readonly window: string;
}
const FAST: Cadence = { reportInterval: '250ms', window: '1s' };
const SHIPPED: Cadence = { reportInterval: '1s', window: '5s' };

async function startBridge(base: string, dp: number, tag: string, profileDir?: string, cpu?: number, cadence: Cadence = FAST): Promise<Subscriber> {
  const port = await freePortRange(1);
  const config = {
    receivers: { zmq_fpm: { endpoint: base, dp_size: dp, heartbeat_timeout: '3s', report_interval: cadence.reportInterval, receive_hwm: RECEIVE_HWM, ...opts.receiverOptions } },
    processors: { welford: { window: cadence.window, merge_ranks: true } },
    exporters: { prometheus: { host: '127.0.0.1', port } },
    pipelines: { 'metrics/fpm': { receivers: ['zmq_fpm'], processors: ['welford'], exporters: ['prometheus'] } },
    service: { log_level: 'warn' },
  };
  const file = path.join(TMP, `bridge-${tag}.json`);
  writeFileSync(file, JSON.stringify(config, null, 1));
  const prof = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir, '--cpu-prof-interval', '500'] : [];
  const child = new Child('bridge', ...pinned(cpu, process.execPath, [...opts.bridgeNodeOptions, ...prof, BRIDGE_MAIN, 'run', '--config', file, '--log-format', 'json']), { cwd: ROOT });
  const url = `http://127.0.0.1:${port}/metrics`;
  const scrape = async (): Promise<string> => {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`scrape ${url}: HTTP ${res.status}`);
    return res.text();
  };
  const deadline = Date.now() + 15000;
  for (;;) {
    if (!child.running) throw new Error(`bridge exited at start-up: ${child.stderr}`);
    try {
      await scrape();
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`bridge /metrics did not come up: ${child.stderr}`);
      await sleep(100);
    }
  }
  return {
    kind: 'bridge',
    child,
    scrape,
    counts: async () => {
      const t = await scrape();
      return {
        received: sumOf(t, 'bridge_receiver_accepted_items_total', 'receiver="zmq_fpm"') ?? 0,
        lost: sumOf(t, 'sglang_fpm_messages_lost_total') ?? 0,
        refused: sumOf(t, 'sglang_fpm_messages_refused_total') ?? 0,
        iterations: sumOf(t, 'sglang_fpm_iterations_total'),
        heartbeats: sumOf(t, 'sglang_fpm_heartbeats_total'),
        eventLoopLagMaxS: sumOf(t, 'nodejs_eventloop_lag_max_seconds'),
      };
    },
    stop: async () => {
      const code = await child.stop(10000);
      if (code !== 0) log(`bridge exited with ${code}: ${child.stderr.slice(-500)}`);
    },
  };
}

async function startPython(base: string, dp: number, cpu?: number, kind: 'python' | 'null' = 'python'): Promise<Subscriber> {
  const child =
    kind === 'python'
      ? new Child('python subscriber', ...pinned(cpu, SYSTEM_PYTHON, [PY_SUBSCRIBER, '--hwm', String(RECEIVE_HWM), ...expandEndpoints(base, dp)]))
      : new Child('null subscriber', ...pinned(cpu, process.execPath, ['--import', 'tsx', NULL_SUBSCRIBER, ...expandEndpoints(base, dp)]), { cwd: ROOT });
  await child.waitLine((l) => l === 'ready', 10000);
  return {
    kind,
    child,
    counts: async () => {
      let received = 0;
      for (let i = child.lines.length - 1; i >= 0; i--) {
        const m = /^count (\d+)$/.exec(child.lines[i]);
        if (m) {
          received = Number(m[1]);
          break;
        }
      }
      // Decode-only baseline: no sequence tracking, so loss shows only as received < sent.
      return { received, lost: 0, refused: 0 };
    },
    stop: async () => {
      await child.stop(3000);
    },
  };
}

// ---------------------------------------------------------------- one load
interface SubResult {
  kind: SubscriberKind;
  sent: number;
  received: number;
  lostCounter: number;
  refused: number;
  iterations?: number;
  /** Bridge only: the longest event-loop stall during the load (ms), from its first scrape after the load. */
  eventLoopLagMaxMs?: number;
  lossless: boolean;
  cpuS: number;
  /** Of cpuS, kernel time (stime). */
  sysS: number;
  /** CPU seconds by thread: main, libzmq I/O, other (GC, libuv). */
  threads: ThreadCpu;
  wallS: number;
  cpuUsPerMsg: number;
  cpuPctOfCore: number;
  drainS: number;
  rssMaxMiB: number;
  rssEndMiB: number;
}

interface LoadResult {
  dp: number;
  targetRate: number;
  achievedRate: number;
  durationS: number;
  sent: number;
  subs: SubResult[];
  /** performance.now() when the measured load started. */
  startedAt: number;
  /** The warm-up load before this one (same subscriber process). */
  warmup?: { sent: number; received: number; lostCounter: number; lossless: boolean };
}

/** Waits until a subscriber has everything, or makes no progress (count and CPU both still). */
async function drain(s: Subscriber, sent: number, pubEnd: number): Promise<{ counts: Counts; first: Counts; cpu: number; sys: number; threads: ThreadCpu; t: number }> {
  const pid = s.child.pid;
  let threads = threadCpu(pid);
  let sys = cpuSplit(pid).sys;
  let cpu = cpuSeconds(pid);
  let t = performance.now();
  const first = await s.counts();
  let last = { counts: first, cpu, sys, threads, t };
  let lastChange = t;
  const history: Array<[number, number]> = [[t, cpu]];
  while (last.counts.received < sent) {
    await sleep(100);
    threads = threadCpu(pid);
    sys = cpuSplit(pid).sys;
    cpu = cpuSeconds(pid);
    t = performance.now();
    const c = await s.counts();
    history.push([t, cpu]);
    if (c.received !== last.counts.received) {
      last = { counts: c, cpu, sys, threads, t };
      lastChange = t;
      continue;
    }
    const ago = history.find(([ht]) => ht >= t - 1000) ?? history[0];
    const busy = cpu - ago[1] > 0.05;
    if ((t - lastChange > 1500 && !busy) || t - pubEnd > 20000) break;
  }
  return { ...last, first };
}

async function runLoad(base: string, dp: number, rate: number, durationS: number, subs: Subscriber[]): Promise<LoadResult> {
  const pub = new Child('publisher', ...pinned(PUBLISHER_CPU, process.execPath, ['--import', 'tsx', PUBLISHER_TS, '--endpoint', base, '--dp-size', String(dp), '--rate', String(rate), '--duration', String(durationS), '--subscribers', String(subs.length)]), { cwd: ROOT });
  try {
    await pub.waitLine((l) => l.includes('"ready"'), 30000);
    // Counters are cumulative over the subscriber's life (a warm-up load may have come first).
    const before = await Promise.all(subs.map((s) => s.counts()));
    const mem = subs.map(() => ({ max: 0 }));
    const threads0 = subs.map((s) => threadCpu(s.child.pid));
    const sys0 = subs.map((s) => cpuSplit(s.child.pid).sys);
    const cpu0 = subs.map((s) => cpuSeconds(s.child.pid));
    const t0 = performance.now();
    const sampler = setInterval(() => subs.forEach((s, i) => s.child.running && (mem[i].max = Math.max(mem[i].max, memoryMiB(s.child.pid).rss || 0))), 250);
    pub.send('go');
    const done = JSON.parse(await pub.waitLine((l) => l.includes('"done"'), durationS * 1000 + 30000)) as { total: number; rate: number; elapsed_s: number };
    const pubEnd = performance.now();
    const ends = await Promise.all(subs.map((s, i) => drain(s, before[i].received + done.total, pubEnd)));
    clearInterval(sampler);
    const results: SubResult[] = [];
    for (let i = 0; i < subs.length; i++) {
      const s = subs[i];
      const end = ends[i];
      let after = end.counts;
      if (s.kind === 'bridge') {
        await sleep(600); // health (loss) goes out every report_interval (250 ms)
        after = await s.counts();
      }
      const b = before[i];
      const counts = { received: after.received - b.received, lost: after.lost - b.lost, refused: after.refused - b.refused, iterations: after.iterations !== undefined ? after.iterations - (b.iterations ?? 0) : undefined };
      const cpuS = end.cpu - cpu0[i];
      const wallS = (end.t - t0) / 1000;
      const m = memoryMiB(s.child.pid);
      results.push({
        kind: s.kind,
        sent: done.total,
        received: counts.received,
        lostCounter: counts.lost,
        refused: counts.refused,
        iterations: counts.iterations,
        eventLoopLagMaxMs: end.first.eventLoopLagMaxS !== undefined ? end.first.eventLoopLagMaxS * 1000 : undefined,
        lossless: counts.received === done.total && counts.lost === 0 && counts.refused === 0,
        cpuS,
        sysS: end.sys - sys0[i],
        threads: threadCpuDelta(threads0[i], end.threads),
        wallS,
        cpuUsPerMsg: counts.received ? (cpuS / counts.received) * 1e6 : NaN,
        cpuPctOfCore: (100 * cpuS) / wallS,
        drainS: (end.t - pubEnd) / 1000,
        rssMaxMiB: Math.max(mem[i].max, m.rss),
        rssEndMiB: m.rss,
      });
    }
    pub.send('exit');
    return { dp, targetRate: rate, achievedRate: done.rate, durationS: done.elapsed_s, sent: done.total, startedAt: t0, subs: results };
  } finally {
    pub.send('exit');
    await Promise.race([pub.exited, sleep(5000)]);
    await pub.stop(2000);
  }
}

/**
 * One subscriber of `kind`, alone with the publisher, on fresh endpoints: a
 * warm-up load (`--warmup` s at the same rate, its own publisher process; shown,
 * not measured), then the measured load.
 */
async function runAlone(kind: SubscriberKind, rate: number, durationS: number, tag: string, profileDir?: string): Promise<LoadResult> {
  const base = await freshBase(opts.dp);
  const sub = kind === 'bridge' ? await startBridge(base, opts.dp, tag, profileDir, SUBSCRIBER_CPU) : await startPython(base, opts.dp, SUBSCRIBER_CPU, kind);
  try {
    let warmup: LoadResult | undefined;
    if (opts.warmup > 0) {
      warmup = await runLoad(base, opts.dp, rate, opts.warmup, [sub]);
      const w = warmup.subs[0];
      if (!w.lossless) log(`  (warm-up, not measured: ${kind} lost ${w.sent - w.received} of ${w.sent} in its first ${opts.warmup} s at ${fmtRate(rate)})`);
    }
    const r = await runLoad(base, opts.dp, rate, durationS, [sub]);
    return warmup ? { ...r, warmup: { sent: warmup.sent, received: warmup.subs[0].received, lostCounter: warmup.subs[0].lostCounter, lossless: warmup.subs[0].lossless } } : r;
  } finally {
    await sub.stop();
  }
}

/** A thread breakdown as us per message (`per` = messages) or % of a core (`per` = seconds, pct). */
function fmtThreads(t: ThreadCpu, per: number, pct = false): string {
  const f = (v: number) => (pct ? `${((100 * v) / per).toFixed(2)}%` : `${((v / per) * 1e6).toFixed(2)}`);
  return `main ${f(t.main)}, zmq-io ${f(t.zmqIo)}, other ${f(t.other)}`;
}

const fmtRate = (r: number) => (r === 0 ? 'max' : `${Math.round(r).toLocaleString('en-US')}/s`);
function describe(r: LoadResult): string {
  const s = r.subs[0];
  return `${s.kind.padEnd(6)} target ${fmtRate(r.targetRate).padStart(10)} sent ${r.sent} at ${Math.round(r.achievedRate).toLocaleString('en-US')}/s -> received ${s.received} lost-counter ${s.lostCounter} ${s.lossless ? 'LOSSLESS' : 'LOSS'}; cpu ${(s.cpuUsPerMsg).toFixed(2)} us/msg (${fmtThreads(s.threads, s.received)}; kernel ${((s.sysS / s.received) * 1e6).toFixed(2)}), ${s.cpuPctOfCore.toFixed(0)}% core, drain ${s.drainS.toFixed(2)} s, rss max ${s.rssMaxMiB.toFixed(0)} MiB${s.eventLoopLagMaxMs !== undefined ? `, event-loop lag max ${s.eventLoopLagMaxMs.toFixed(0)} ms` : ''}`;
}

// ---------------------------------------------------------------- step 1
async function stepCpuPerMessage() {
  let rate = opts.cpuRate;
  for (let attempt = 0; attempt < 3; attempt++) {
    log(`step 1: CPU per message at ${fmtRate(rate)} over ${opts.dp} ranks, ${opts.cpuDuration} s; Python then the bridge, back to back`);
    const python = await runAlone('python', rate, opts.cpuDuration, `cpu-py-${attempt}`);
    log(describe(python));
    const bridge = await runAlone('bridge', rate, opts.cpuDuration, `cpu-br-${attempt}`);
    log(describe(bridge));
    if (python.subs[0].lossless && bridge.subs[0].lossless) return { rate, python, bridge, note: '' };
    if (attempt === 2) return { rate, python, bridge, note: 'loss even at the lowest rate tried: CPU per message is not loss-free' };
    rate = Math.round(rate / 2);
    log(`loss at this rate; retrying at ${fmtRate(rate)}`);
  }
  throw new Error('unreachable');
}

// ---------------------------------------------------------------- step 2
async function stepMaxRate(kind: SubscriberKind) {
  const steps: LoadResult[] = [];
  let best: LoadResult | undefined;
  let fail: LoadResult | undefined;
  log(`step 2 (${kind}): rate ramp ${opts.ramp.map(fmtRate).join(', ')}; ${opts.stepDuration} s per step, ${opts.dp} ranks`);
  for (const rate of opts.ramp) {
    const r = await runAlone(kind, rate, opts.stepDuration, `ramp-${kind}-${rate}`);
    log(describe(r));
    steps.push(r);
    if (r.subs[0].lossless) {
      if (!best || r.achievedRate > best.achievedRate) best = r;
    } else {
      fail = r;
      break;
    }
  }
  for (let i = 0; i < opts.bisect && best && fail; i++) {
    const lo = best.achievedRate;
    const hi = fail.achievedRate;
    if (hi - lo < 0.05 * lo) break;
    const mid = Math.round((lo + hi) / 2 / 1000) * 1000;
    const r = await runAlone(kind, mid, opts.stepDuration, `bisect-${kind}-${mid}`);
    log(describe(r));
    steps.push(r);
    if (r.subs[0].lossless) {
      if (r.achievedRate > best.achievedRate) best = r;
    } else if (r.achievedRate < fail.achievedRate) fail = r;
  }
  if (kind === 'bridge' && !steps.some((s) => s.targetRate === 0)) {
    // The publisher's own ceiling (as fast as it can, with the bridge attached),
    // so the rate target can be judged against what this machine can send.
    const r = await runAlone(kind, 0, opts.stepDuration, `flood-${kind}`);
    log(`${describe(r)} (publisher ceiling)`);
    steps.push(r);
  }
  const ceiling = Math.max(...steps.map((s) => s.achievedRate));
  return { kind, maxLossless: best?.achievedRate ?? 0, firstLoss: fail ? { target: fail.targetRate, achieved: fail.achievedRate, received: fail.subs[0].received, sent: fail.sent } : undefined, publisherMax: ceiling, steps };
}

// ---------------------------------------------------------------- step 4
/**
 * The reference publisher at its ceiling: shared/tools/fpm-publisher.py (pyzmq
 * and msgpack, as SGLang's side; SNDHWM 1000, pyzmq's default, as SGLang's
 * socket) flooding opts.dp ranks with --rate 0, each subscriber alone with it
 * (publisher on CPU 0, subscriber on CPU 1, as steps 1-2): a warm-up flood of
 * --warmup s from one publisher process, then the measured flood from a new
 * one (a publisher restart to the bridge, not a loss). Sent is the
 * publisher's own printed truth (data and heartbeats).
 */
async function stepReferencePublisher(kind: SubscriberKind) {
  const base = await freshBase(opts.dp);
  const sub = kind === 'bridge' ? await startBridge(base, opts.dp, `flood-ref-${kind}`, undefined, SUBSCRIBER_CPU) : await startPython(base, opts.dp, SUBSCRIBER_CPU, kind);
  const flood = async (durationS: number) => {
    const before = await sub.counts();
    const pub = new Child('fpm-publisher.py', ...pinned(PUBLISHER_CPU, SYSTEM_PYTHON, [PUBLISHER_PY, '--endpoint', base, '--dp-size', String(opts.dp), '--rate', '0', '--duration', String(durationS)]));
    try {
      const code = await Promise.race([pub.exited, sleep((durationS + 30) * 1000).then(() => 'timeout' as const)]);
      if (code !== 0) throw new Error(`fpm-publisher.py: ${code}: ${pub.stderr}`);
    } finally {
      await pub.stop(2000);
    }
    const { sent, data, elapsed } = publisherTruth(pub.lines);
    const end = await drain(sub, before.received + sent, performance.now());
    if (kind === 'bridge') await sleep(600); // health (loss) goes out every report_interval (250 ms)
    const after = kind === 'bridge' ? await sub.counts() : end.counts;
    const received = after.received - before.received;
    const lost = after.lost - before.lost;
    const refused = after.refused - before.refused;
    return { sent, rate: data / elapsed, received, lostCounter: lost, refused, lossless: received === sent && lost === 0 && refused === 0 };
  };
  try {
    const warmup = opts.warmup > 0 ? await flood(opts.warmup) : undefined;
    if (warmup && !warmup.lossless) log(`  (warm-up, not measured: ${kind} received ${warmup.received} of ${warmup.sent})`);
    const r = await flood(opts.floodDuration);
    log(`step 4 (${kind}): fpm-publisher.py --rate 0, ${opts.dp} ranks, ${opts.floodDuration} s: sent ${r.sent} at ${Math.round(r.rate).toLocaleString('en-US')}/s -> received ${r.received} lost-counter ${r.lostCounter} ${r.lossless ? 'LOSSLESS' : 'LOSS'}`);
    return { kind, ...r, warmup };
  } finally {
    await sub.stop();
  }
}

// ---------------------------------------------------------------- step 3
interface PyTruth {
  ranks: Array<{ data: number; heartbeats: number; elapsed_s: number; bad: Record<string, number> }>;
}

/** What fpm-publisher.py printed it sent: every message (data and heartbeats), the data alone, and its longest rank's seconds. */
function publisherTruth(lines: readonly string[]): { sent: number; data: number; elapsed: number } {
  const truth = JSON.parse(lines.join('\n')) as PyTruth;
  return {
    sent: truth.ranks.reduce((a, r) => a + r.data + r.heartbeats, 0),
    data: truth.ranks.reduce((a, r) => a + r.data, 0),
    elapsed: Math.max(...truth.ranks.map((r) => r.elapsed_s)),
  };
}

async function stepLowRate() {
  const dp = 8;
  const ratePerRank = 400;
  const duration = opts.lowDuration;
  const warmS = 2;
  const windowS = Math.max(1, duration - 4);
  log(`step 3: fpm-publisher.py --dp-size ${dp} --rate ${ratePerRank} --duration ${duration} (3,200 msg/s); bridge and Python subscribed at the same time; measured over ${windowS} s after ${warmS} s`);
  const base = await freshBase(dp);
  const bridge = await startBridge(base, dp, 'low', undefined, undefined, SHIPPED);
  const python = await startPython(base, dp);
  const subs = [bridge, python];
  const pub = new Child('fpm-publisher.py', SYSTEM_PYTHON, [PUBLISHER_PY, '--endpoint', base, '--dp-size', String(dp), '--rate', String(ratePerRank), '--duration', String(duration)]);
  try {
    const tStart = performance.now();
    await sleep((0.5 + warmS) * 1000); // its --startup-delay (0.5 s), then warm-up
    const threads0 = subs.map((s) => threadCpu(s.child.pid));
    const sys0 = subs.map((s) => cpuSplit(s.child.pid).sys);
    const cpu0 = subs.map((s) => cpuSeconds(s.child.pid));
    const t0 = performance.now();
    const rss = subs.map(() => [] as number[]);
    let scrapes = 0;
    const sampler = setInterval(() => subs.forEach((s, i) => s.child.running && rss[i].push(memoryMiB(s.child.pid).rss)), 500);
    // A Prometheus scraping the bridge every 5 s (a usual interval is 15-60 s).
    const scraper = setInterval(() => void bridge.counts().then(() => scrapes++), 5000);
    await sleep(windowS * 1000);
    for (const s of subs) if (!s.child.running) throw new Error(`${s.child.name} exited during step 3 (${s.child.proc.exitCode ?? s.child.proc.signalCode}): ${s.child.stderr.slice(-3000)}`);
    const threads1 = subs.map((s) => threadCpu(s.child.pid));
    const sys1 = subs.map((s) => cpuSplit(s.child.pid).sys);
    const cpu1 = subs.map((s) => cpuSeconds(s.child.pid));
    const t1 = performance.now();
    clearInterval(sampler);
    clearInterval(scraper);
    const mem = subs.map((s) => memoryMiB(s.child.pid));
    const exposition = await bridge.scrape!();
    const mib = (v: number | undefined) => (v ?? NaN) / 2 ** 20;
    const bridgeHeap = {
      heapTotalMiB: mib(sumOf(exposition, 'nodejs_heap_size_total_bytes')),
      heapUsedMiB: mib(sumOf(exposition, 'nodejs_heap_size_used_bytes')),
      newSpaceMiB: mib(sumOf(exposition, 'nodejs_heap_space_size_total_bytes', 'space="new"')),
      externalMiB: mib(sumOf(exposition, 'nodejs_external_memory_bytes')),
    };
    const code = await Promise.race([pub.exited, sleep((duration + 15) * 1000 - (performance.now() - tStart)).then(() => 'timeout' as const)]);
    if (code !== 0) throw new Error(`fpm-publisher.py: ${code}: ${pub.stderr}`);
    const { sent, data, elapsed } = publisherTruth(pub.lines);
    const ends = await Promise.all(subs.map((s) => drain(s, sent, performance.now())));
    await sleep(5500); // one window of the shipped cadence (totals go out with it) and a health report
    const finals = await Promise.all(subs.map((s) => s.counts()));
    const results = subs.map((s, i) => {
      const cpuS = cpu1[i] - cpu0[i];
      const wallS = (t1 - t0) / 1000;
      const c = finals[i];
      return {
        kind: s.kind,
        sent,
        received: Math.max(c.received, ends[i].counts.received),
        lostCounter: c.lost,
        refused: c.refused,
        iterations: c.iterations,
        lossless: c.received === sent && c.lost === 0 && c.refused === 0,
        cpuS,
        sysS: sys1[i] - sys0[i],
        threads: threadCpuDelta(threads0[i], threads1[i]),
        wallS,
        cpuPctOfCore: (100 * cpuS) / wallS,
        rssEndMiB: mem[i].rss,
        rssMaxMiB: Math.max(mem[i].rss, ...rss[i]),
        rssPeakLifetimeMiB: mem[i].peak,
      };
    });
    for (const r of results) log(`${r.kind.padEnd(6)} cpu ${r.cpuPctOfCore.toFixed(2)}% of a core (${r.cpuS.toFixed(2)} s over ${r.wallS.toFixed(1)} s; ${fmtThreads(r.threads, r.wallS, true)}; kernel ${((100 * r.sysS) / r.wallS).toFixed(2)}%), rss ${r.rssEndMiB.toFixed(1)} MiB (max ${r.rssMaxMiB.toFixed(1)}, VmHWM ${r.rssPeakLifetimeMiB.toFixed(1)}); received ${r.received}/${sent} ${r.lossless ? 'LOSSLESS' : 'LOSS'}${r.iterations !== undefined ? `, iterations ${r.iterations}/${data}` : ''}`);
    return { dp, ratePerRank, durationS: duration, achievedRate: sent / elapsed, sent, data, warmS, windowS, bridgeScrapes: scrapes, simultaneous: true, bridgeHeap, subs: results };
  } finally {
    await pub.stop(2000);
    await Promise.all(subs.map((s) => s.stop()));
  }
}

// ---------------------------------------------------------------- profile
function keepProfile(dir: string, name: string, skipMs: number, untilMs: number): ProfileSummary | undefined {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  if (!files.length) {
    log(`no .cpuprofile written in ${dir}`);
    return undefined;
  }
  const keep = path.join(ROOT, 'bench/results', `fpm-${stamp}-${name}.cpuprofile`);
  writeFileSync(keep, readFileSync(path.join(dir, files[0])));
  const summary = summarizeProfile(keep, 25, skipMs, untilMs);
  summary.file = path.relative(ROOT, keep);
  return summary;
}

/** The bridge under node --cpu-prof at the step-1 load (start-up left out of the summary). */
async function stepProfile(rate: number): Promise<ProfileSummary | undefined> {
  const dir = path.join(TMP, 'cpu-prof');
  mkdirSync(dir, { recursive: true });
  log(`profile: the bridge under node --cpu-prof at the step-1 load (${fmtRate(rate)}, ${opts.cpuDuration} s)`);
  const base = await freshBase(opts.dp);
  const bridge = await startBridge(base, opts.dp, 'profile', dir, SUBSCRIBER_CPU);
  let skipMs: number;
  let untilMs: number;
  try {
    if (opts.warmup > 0) await runLoad(base, opts.dp, rate, opts.warmup, [bridge]);
    const r = await runLoad(base, opts.dp, rate, opts.cpuDuration, [bridge]);
    // The summary covers the measured load only (not start-up, not the warm-up load).
    skipMs = r.startedAt - bridge.child.startedAt;
    untilMs = skipMs + r.durationS * 1000;
    log(`${describe(r)} (profiled: slower than unprofiled)`);
  } finally {
    await bridge.stop();
  }
  return keepProfile(dir, 'bridge-high', Math.max(0, skipMs), untilMs);
}

/** The bridge under node --cpu-prof at 3,200 msg/s (fpm-publisher.py, 8 x 400/s). */
async function stepProfileLow(): Promise<ProfileSummary | undefined> {
  const dir = path.join(TMP, 'cpu-prof-low');
  mkdirSync(dir, { recursive: true });
  const duration = Math.min(10, opts.lowDuration);
  log(`profile: the bridge under node --cpu-prof at 3,200 msg/s (fpm-publisher.py --dp-size 8 --rate 400 --duration ${duration})`);
  const base = await freshBase(8);
  const bridge = await startBridge(base, 8, 'profile-low', dir);
  const pub = new Child('fpm-publisher.py', SYSTEM_PYTHON, [PUBLISHER_PY, '--endpoint', base, '--dp-size', '8', '--rate', '400', '--duration', String(duration)]);
  // Leave out the bridge's start-up, the publisher's 0.5 s start-up delay and 1 s of warm-up.
  const skipMs = pub.startedAt - bridge.child.startedAt + 1500;
  const untilMs = skipMs + (duration - 1.5) * 1000;
  try {
    await Promise.race([pub.exited, sleep((duration + 15) * 1000)]);
  } finally {
    await pub.stop(2000);
    await bridge.stop();
  }
  return keepProfile(dir, 'bridge-low', skipMs, untilMs);
}

// ---------------------------------------------------------------- report
function sh(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return '';
  }
}

function machine() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const pyVersions = sh(SYSTEM_PYTHON, ['-c', 'import sys, zmq, msgpack; print(sys.version.split()[0], zmq.__version__, zmq.zmq_version(), ".".join(map(str, msgpack.version)))']).split(' ');
  const zmqPkg = JSON.parse(readFileSync(path.join(ROOT, 'node_modules/zeromq/package.json'), 'utf8')) as { version: string };
  return {
    nproc: os.availableParallelism(),
    cpuModel: /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? 'unknown',
    memGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    kernel: os.release(),
    node: process.version,
    zeromqNpm: zmqPkg.version,
    libzmqNode: sh(process.execPath, ['-e', 'import("zeromq").then(z => console.log(z.version))']),
    python: pyVersions[0],
    pyzmq: pyVersions[1],
    libzmqPython: pyVersions[2],
    msgpackPython: pyVersions[3],
    bridgeMain: BRIDGE_MAIN,
    /** The bridge measured is this checkout's build unless --bridge points elsewhere. */
    gitCommit: sh('git', ['rev-parse', '--short', 'HEAD']),
    srcDirty: sh('git', ['status', '--porcelain', '--', 'src']).split('\n').filter(Boolean),
  };
}

type Row = { metric: string; python: string; bridge: string; ratio: string; target: string; met: string };

function printTable(rows: Row[]): string {
  const head: Row = { metric: 'metric', python: 'python baseline', bridge: 'bridge', ratio: 'ratio', target: 'target', met: 'met?' };
  const keys = Object.keys(head) as (keyof Row)[];
  const width = keys.map((k) => Math.max(...[head, ...rows].map((r) => r[k].length)));
  const line = (r: Row) => `| ${keys.map((k, i) => r[k].padEnd(width[i])).join(' | ')} |`;
  return [line(head), `| ${width.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.map(line)].join('\n');
}

const now = new Date();
const stamp = now.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');

async function main(): Promise<void> {
  if (!existsSync(BRIDGE_MAIN)) throw new Error(`${BRIDGE_MAIN} is missing: run npm run build`);
  if (!existsSync(PUBLISHER_PY)) throw new Error(`${PUBLISHER_PY} is missing (set FPM_PUBLISHER)`);
  try {
    execFileSync(SYSTEM_PYTHON, ['-c', 'import zmq, msgpack'], { stdio: 'ignore' });
  } catch {
    throw new Error(`${SYSTEM_PYTHON} cannot import zmq and msgpack (apt-get install python3-zmq python3-msgpack)`);
  }
  mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
  const started = performance.now();
  const m = machine();
  log(`machine: ${m.nproc} CPUs, ${m.cpuModel}, node ${m.node}, python ${m.python} (pyzmq ${m.pyzmq}, msgpack ${m.msgpackPython}); transport ${opts.transport}; bridge ${path.relative(ROOT, BRIDGE_MAIN) || BRIDGE_MAIN} at ${m.gitCommit}`);
  if (m.srcDirty.length) log(`note: src/ has uncommitted changes, measured as they are: ${m.srcDirty.join('; ')}`);

  const cpu = opts.only.has(1) ? await stepCpuPerMessage() : undefined;
  const profile = opts.profile ? await stepProfile(cpu?.rate ?? opts.cpuRate) : undefined;
  const profileLow = opts.profile ? await stepProfileLow() : undefined;
  const rampBridge = opts.only.has(2) ? await stepMaxRate('bridge') : undefined;
  const rampPython = opts.only.has(2) ? await stepMaxRate('python') : undefined;
  const rampNull = opts.only.has(2) && opts.nullRamp ? await stepMaxRate('null') : undefined;
  const low = opts.only.has(3) ? await stepLowRate() : undefined;
  const floodPython = opts.only.has(4) ? await stepReferencePublisher('python') : undefined;
  const floodBridge = opts.only.has(4) ? await stepReferencePublisher('bridge') : undefined;
  const floodNull = opts.only.has(4) && opts.nullRamp ? await stepReferencePublisher('null') : undefined;

  const n = (v: number, d = 2) => v.toFixed(d);
  const k = (v: number) => Math.round(v).toLocaleString('en-US');
  const yes = (b: boolean) => (b ? 'yes' : 'NO');
  const rows: Row[] = [];
  const details: string[] = [];
  let step2Summary: Record<string, unknown> | undefined;
  if (cpu) {
    const py1 = cpu.python.subs[0];
    const br1 = cpu.bridge.subs[0];
    const bothLossless = py1.lossless && br1.lossless;
    rows.push({
      metric: `CPU per message, us (${k(cpu.rate)} msg/s, ${opts.dp} ranks, ${opts.transport}, back-to-back${bothLossless ? ', lossless' : ', WITH LOSS'})`,
      python: n(py1.cpuUsPerMsg),
      bridge: n(br1.cpuUsPerMsg),
      ratio: `${n(br1.cpuUsPerMsg / py1.cpuUsPerMsg)}x`,
      target: '<= 0.5x',
      met: yes(bothLossless && br1.cpuUsPerMsg <= 0.5 * py1.cpuUsPerMsg),
    });
    details.push(
      `step 1 runs: python ${n(py1.cpuS)} s CPU for ${k(py1.received)} msgs (${n(py1.cpuPctOfCore, 0)}% core); bridge ${n(br1.cpuS)} s CPU for ${k(br1.received)} msgs (${n(br1.cpuPctOfCore, 0)}% core); achieved ${k(cpu.bridge.achievedRate)}/s${cpu.note ? `; ${cpu.note}` : ''}`,
      `step 1 us/msg by thread: python ${fmtThreads(py1.threads, py1.received)}; bridge ${fmtThreads(br1.threads, br1.received)}; of which kernel (stime): python ${n((py1.sysS / py1.received) * 1e6)}, bridge ${n((br1.sysS / br1.received) * 1e6)}`,
    );
  }
  if (rampBridge && rampPython) {
    const publisherCeiling = Math.max(rampBridge.publisherMax, rampPython.publisherMax);
    const rateTarget = 250000;
    // Met when the bridge was lossless at >= 250,000/s or, if the publisher never
    // reached that, at the publisher's own ceiling (its flood step).
    const reachable = publisherCeiling >= rateTarget;
    const met = reachable ? rampBridge.maxLossless >= rateTarget : rampBridge.maxLossless >= rampBridge.publisherMax * 0.999;
    step2Summary = { publisherCeiling, rateTargetReachable: reachable };
    rows.push({
      metric: `Max sustained rate without loss, msg/s (${opts.dp} ranks; publisher ceiling ${k(publisherCeiling)}/s)`,
      python: k(rampPython.maxLossless),
      bridge: k(rampBridge.maxLossless),
      ratio: `${n(rampBridge.maxLossless / rampPython.maxLossless)}x`,
      target: reachable ? '>= 250,000' : `>= 250,000 (publisher ceiling ${k(publisherCeiling)})`,
      met: yes(met),
    });
    const rampLine = (r: typeof rampBridge) =>
      r.steps.map((s) => `${fmtRate(s.targetRate)}->${k(s.achievedRate)}/s ${s.subs[0].lossless ? 'ok' : `LOSS(${k(s.subs[0].received)}/${k(s.sent)})`} ${n(s.subs[0].cpuUsPerMsg)}us/msg`).join('; ');
    details.push(`step 2 bridge ramp: ${rampLine(rampBridge)}`, `step 2 python ramp: ${rampLine(rampPython)}`);
    if (rampNull) details.push(`step 2 null subscriber (counting only: what the publisher delivers without loss) max lossless ${k(rampNull.maxLossless)}/s; ramp: ${rampLine(rampNull)}`);
  }
  if (low) {
    const pyLow = low.subs.find((s) => s.kind === 'python')!;
    const brLow = low.subs.find((s) => s.kind === 'bridge')!;
    const lossless = brLow.lossless && pyLow.lossless;
    rows.push(
      {
        metric: `CPU at 3,200 msg/s, % of one core (8 ranks x 400/s, simultaneous${lossless ? ', lossless' : ', WITH LOSS'})`,
        python: n(pyLow.cpuPctOfCore),
        bridge: n(brLow.cpuPctOfCore),
        ratio: `${n(brLow.cpuPctOfCore / pyLow.cpuPctOfCore)}x`,
        target: '<= 3%',
        met: yes(brLow.cpuPctOfCore <= 3),
      },
      {
        metric: 'RSS at 3,200 msg/s, MiB (end of window; max in window)',
        python: `${n(pyLow.rssEndMiB, 1)} (${n(pyLow.rssMaxMiB, 1)})`,
        bridge: `${n(brLow.rssEndMiB, 1)} (${n(brLow.rssMaxMiB, 1)})`,
        ratio: `${n(brLow.rssEndMiB / pyLow.rssEndMiB)}x`,
        target: '<= 80 MiB',
        met: yes(brLow.rssMaxMiB <= 80),
      },
    );
    const h = low.bridgeHeap;
    details.push(
      `step 3: ${k(low.sent)} msgs at ${k(low.achievedRate)}/s; bridge received ${k(brLow.received)}, python ${k(pyLow.received)}; bridge VmHWM ${n(brLow.rssPeakLifetimeMiB, 1)} MiB; ${low.bridgeScrapes} scrapes of the bridge in the window`,
      `step 3 % of a core by thread: python ${fmtThreads(pyLow.threads, pyLow.wallS, true)}; bridge ${fmtThreads(brLow.threads, brLow.wallS, true)}; per message: python ${n((pyLow.cpuS / (low.achievedRate * pyLow.wallS)) * 1e6, 1)} us, bridge ${n((brLow.cpuS / (low.achievedRate * brLow.wallS)) * 1e6, 1)} us`,
      `step 3 bridge memory (its own /metrics at the end): V8 heap total ${n(h.heapTotalMiB, 1)} MiB (used ${n(h.heapUsedMiB, 1)}; new space ${n(h.newSpaceMiB, 1)}), external ${n(h.externalMiB, 1)} MiB; RSS beyond them ${n(brLow.rssEndMiB - h.heapTotalMiB - h.externalMiB, 1)} MiB (code, native libraries, malloc arenas)`,
    );
  }
  if (floodPython && floodBridge) {
    // The issue's rate target holds "where the publisher can send that fast (otherwise report the publisher's ceiling)".
    const ceiling = Math.max(floodPython.rate, floodBridge.rate);
    rows.push({
      metric: `Reference publisher at its ceiling: fpm-publisher.py --rate 0 (pyzmq, SNDHWM 1000), ${opts.dp} ranks, ${opts.floodDuration} s, received/sent (ceiling ${k(ceiling)} msg/s)`,
      python: `${k(floodPython.received)}/${k(floodPython.sent)}`,
      bridge: `${k(floodBridge.received)}/${k(floodBridge.sent)}`,
      ratio: '',
      target: ceiling >= 250000 ? 'lossless at >= 250,000' : 'lossless at the ceiling (< 250,000)',
      met: yes(floodBridge.lossless && (ceiling < 250000 || floodBridge.rate >= 250000)),
    });
    const ofSent = (r: { received: number; sent: number }) => `${k(r.received)}/${k(r.sent)}`;
    details.push(
      `step 4: python ${floodPython.lossless ? 'lossless' : 'LOSS'} at ${k(floodPython.rate)}/s; bridge ${floodBridge.lossless ? 'lossless' : 'LOSS'} at ${k(floodBridge.rate)}/s (lost-counter ${floodBridge.lostCounter}, refused ${floodBridge.refused})` +
        (floodNull ? `; null subscriber (counting only) ${floodNull.lossless ? 'lossless' : 'LOSS'} ${ofSent(floodNull)} at ${k(floodNull.rate)}/s` : ''),
    );
  }
  const table = printTable(rows);
  const totalS = (performance.now() - started) / 1000;
  console.log(`\nFPM receiver benchmark (${stamp}, ${totalS.toFixed(0)} s)\n${table}\n\n${details.join('\n')}`);
  if (profile) console.log(`\nbridge at ${k(cpu?.rate ?? opts.cpuRate)} msg/s: ${formatProfile(profile)}`);
  if (profileLow) console.log(`\nbridge at 3,200 msg/s: ${formatProfile(profileLow)}`);
  const out = path.join(ROOT, 'bench/results', `fpm-${stamp}.json`);
  const options = { ...opts, only: [...opts.only] };
  writeFileSync(out, JSON.stringify({ date: now.toISOString(), durationS: totalS, command: 'npm run bench:fpm', argv: process.argv.slice(2), options, machine: m, table: rows, details, step1: cpu, step2: rampBridge && { bridge: rampBridge, python: rampPython, null: rampNull, ...step2Summary }, step3: low, step4: floodBridge && { bridge: floodBridge, python: floodPython, null: floodNull }, profile: { high: profile, low: profileLow } }, null, 1));
  console.log(`\nresults: ${path.relative(ROOT, out)}`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`bench:fpm failed: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
