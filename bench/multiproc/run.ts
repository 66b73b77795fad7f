/**
 * bench/multiproc: reading a prometheus_client multiprocess directory, the
 * bridge beside prometheus_client itself (Debian's python3-prometheus-client,
 * MultiProcessCollector + generate_latest, what SGLang's /metrics runs), on
 * the same directory in the same run.
 *
 *   npm run bench:multiproc            (500 and 2,000 processes x 100 series)
 *   npm run bench:multiproc -- --quick (500 only, fewer repetitions)
 *
 * For each size: shared/tools/multiproc-writer.py --layout legacy (the layout
 * Debian's 0.16 reads), then
 * - one-shot: a fresh process each, wall time, median of N:
 *   `python_side.py oneshot DIR` beside `node dist/main.js multiproc DIR`,
 *   each with its stdout to a file (the measure: read, merge, print), and
 *   again each with its stdout read by this process through a socket (what
 *   a Node.js parent's execFile gives; shown beside: the reader's side of
 *   the transfer then shares the machine with the process measured);
 * - steady state: one long-lived process each, re-reading after every step of
 *   changes (multiproc-writer.py --append-step K appends K series to every
 *   file, and a value in every counter file is rewritten in place):
 *   `python_side.py serve` beside bench/multiproc/bridge_side.ts (the real
 *   receiver's pass plus the exporter's render), median of the steps (every
 *   one counted: the first steps take the bridge's compiler onto the paths
 *   appends take, and warm-up steps would only measure larger directories);
 * - the outputs of both sides agree (same samples; values within 1e-9 relative):
 *   one-shot, and the steady state after its last step;
 * then the current layout (value + timestamp) for the bridge alone.
 * Results: a table on stdout and bench/results/multiproc-<date>.json.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, cpSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PYTHON = '/usr/bin/python3';
const WRITER = path.resolve(ROOT, '../shared/tools/multiproc-writer.py');
const PY_SIDE = path.join(ROOT, 'bench/multiproc/python_side.py');
const BRIDGE_SIDE = path.join(ROOT, 'bench/multiproc/bridge_side.ts');
const MAIN = path.join(ROOT, 'dist/main.js');

const { values: cli } = parseArgs({ options: { quick: { type: 'boolean', default: false }, sizes: { type: 'string' }, series: { type: 'string', default: '100' } } });
const sizes = (cli.sizes ?? (cli.quick ? '500' : '500,2000')).split(',').map(Number);
const repeats = cli.quick ? 3 : 5;
const steps = cli.quick ? 3 : 5;
const series = Number(cli.series);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

/** Writes (or with appendStep, appends to) a directory, then sync(1): its pages go to disk now, not during the timings that follow. */
function write(dir: string, pids: number, layout: string, appendStep = 0): void {
  const args = [WRITER, dir, '--pids', String(pids), '--series', String(series), '--layout', layout];
  if (appendStep) args.push('--append-step', String(appendStep));
  execFileSync(PYTHON, args, { stdio: 'ignore' });
  execFileSync('sync');
}

/** Rewrites the value of the first entry of every counter file in place (a process incrementing a counter). */
function bumpCounters(dir: string, step: number): void {
  const header = Buffer.alloc(12);
  for (const name of readdirSync(dir).filter((n) => n.startsWith('counter_'))) {
    const fd = openSync(path.join(dir, name), 'r+');
    try {
      readSync(fd, header, 0, 12, 0);
      const keyLength = header.readInt32LE(8);
      const valueAt = 12 + keyLength + (8 - ((keyLength + 4) % 8));
      const v = Buffer.alloc(8);
      v.writeDoubleLE(1000 + step);
      writeSync(fd, v, 0, 8, valueAt);
    } finally {
      closeSync(fd);
    }
  }
}

/** One run of a command: its stdout to `toFile` (then read back), or through a socket to this process. */
function timeOnce(cmd: string, args: string[], toFile: string | undefined): { ms: number; out: string } {
  if (toFile === undefined) {
    const t0 = process.hrtime.bigint();
    const out = execFileSync(cmd, args, { maxBuffer: 1 << 30, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return { ms: ms(t0), out };
  }
  const fd = openSync(toFile, 'w');
  let took: number;
  try {
    const t0 = process.hrtime.bigint();
    execFileSync(cmd, args, { stdio: ['ignore', fd, 'ignore'] });
    took = ms(t0);
  } finally {
    closeSync(fd);
  }
  return { ms: took, out: readFileSync(toFile, 'utf8') };
}

/**
 * The bridge's own info metric (sglang.multiproc.process_ranks: which ranks
 * each process serves), which prometheus_client has no counterpart of: left
 * out of the comparison.
 */
const BRIDGE_ONLY = 'sglang_multiproc_process_ranks';

/** Samples of an exposition: name{sorted labels} -> value (the bridge's own info metric left out). */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#') || line.startsWith(BRIDGE_ONLY)) continue;
    const sp = line.lastIndexOf(' ');
    const head = line.slice(0, sp);
    const brace = head.indexOf('{');
    const name = brace < 0 ? head : head.slice(0, brace);
    const labels = brace < 0 ? '' : head.slice(brace + 1, -1).split(/,(?=[a-zA-Z_]+=")/).sort().join(',');
    const raw = line.slice(sp + 1);
    out.set(`${name}{${labels}}`, raw === '+Inf' ? Infinity : Number(raw));
  }
  return out;
}

function agree(a: string, b: string): string {
  const x = samples(a);
  const y = samples(b);
  if (x.size !== y.size) return `different sample counts: ${x.size} vs ${y.size}`;
  for (const [k, v] of x) {
    const w = y.get(k);
    if (w === undefined) return `missing ${k}`;
    if (!(v === w || Math.abs(v - w) <= 1e-9 * Math.max(1, Math.abs(v)))) return `${k}: ${v} vs ${w}`;
  }
  return 'agree';
}

/** A long-lived side: one line "go" in, one line "<ms> <bytes>" out. */
class Side {
  private readonly child: ChildProcess;
  private readonly lines: AsyncIterator<string>;
  constructor(cmd: string, args: string[]) {
    this.child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'inherit'] });
    this.lines = createInterface({ input: this.child.stdout! })[Symbol.asyncIterator]();
  }
  async pass(): Promise<number> {
    this.child.stdin!.write('go\n');
    const { value } = await this.lines.next();
    return Number(String(value).split(' ')[0]);
  }
  /** The exposition of the last pass. */
  async last(file: string): Promise<string> {
    this.child.stdin!.write(`dump ${file}\n`);
    await this.lines.next();
    return readFileSync(file, 'utf8');
  }
  stop(): void {
    this.child.stdin!.end();
    this.child.kill();
  }
}

async function steady(dir: string, pids: number, layout: string, withPython: boolean) {
  const bridge = new Side(process.execPath, ['--import', 'tsx', BRIDGE_SIDE, dir]);
  const python = withPython ? new Side(PYTHON, [PY_SIDE, 'serve', dir]) : undefined;
  try {
    const firstBridge = await bridge.pass(); // the cold read: every key parsed
    const firstPython = python ? await python.pass() : NaN;
    const b: number[] = [];
    const p: number[] = [];
    for (let step = 1; step <= steps; step++) {
      write(dir, pids, layout, step);
      bumpCounters(dir, step);
      b.push(await bridge.pass());
      if (python) p.push(await python.pass());
    }
    // After the last step: both sides' expositions of the changed directory agree.
    const outputs = python ? agree(await bridge.last(`${dir}.bridge.txt`), await python.last(`${dir}.python.txt`)) : 'n/a';
    return { bridgeFirstMs: firstBridge, pythonFirstMs: firstPython, bridgeMs: median(b), pythonMs: python ? median(p) : NaN, bridgeAll: b, pythonAll: p, outputs };
  } finally {
    bridge.stop();
    python?.stop();
  }
}

/** The one-shot of each side, `repeats` times taking turns: to a file (the figures), and through a socket (shown beside). */
function oneShot(dir: string, withPython: boolean) {
  const bridge = { file: [] as number[], socket: [] as number[], out: '' };
  const python = { file: [] as number[], socket: [] as number[], out: '' };
  const out = `${dir}.oneshot.txt`;
  for (let i = 0; i < repeats; i++) {
    for (const toFile of [out, undefined]) {
      const r = timeOnce(process.execPath, [MAIN, 'multiproc', dir], toFile);
      (toFile ? bridge.file : bridge.socket).push(r.ms);
      bridge.out = r.out;
      if (withPython) {
        const q = timeOnce(PYTHON, [PY_SIDE, 'oneshot', dir], toFile);
        (toFile ? python.file : python.socket).push(q.ms);
        python.out = q.out;
      }
    }
  }
  rmSync(out, { force: true });
  return {
    bridgeMs: median(bridge.file),
    pythonMs: withPython ? median(python.file) : NaN,
    bridgeSocketMs: median(bridge.socket),
    pythonSocketMs: withPython ? median(python.socket) : NaN,
    outputs: withPython ? agree(bridge.out, python.out) : 'n/a',
    bridgeAll: bridge.file,
    pythonAll: python.file,
    bridgeSocketAll: bridge.socket,
    pythonSocketAll: python.socket,
  };
}

async function main() {
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  const work = mkdtempSync(path.join(os.tmpdir(), 'bench-multiproc-'));
  const results: Record<string, unknown>[] = [];
  const rows: string[][] = [];
  const ratio = (p: number, b: number) => `${(p / b).toFixed(1)}x`;
  try {
    for (const pids of sizes) {
      const dir = path.join(work, `legacy-${pids}`);
      mkdirSync(dir);
      write(dir, pids, 'legacy');
      const files = readdirSync(dir).length;
      const once = oneShot(dir, true);
      const stable = path.join(work, `legacy-${pids}-steady`);
      cpSync(dir, stable, { recursive: true });
      execFileSync('sync');
      const st = await steady(stable, pids, 'legacy', true);
      results.push({ layout: 'legacy', pids, series, files, oneShot: once, steady: st });
      rows.push([`legacy ${pids} processes (${files} files), one-shot`, `${once.pythonMs.toFixed(0)} ms`, `${once.bridgeMs.toFixed(0)} ms`, ratio(once.pythonMs, once.bridgeMs), '>= 5x', once.pythonMs / once.bridgeMs >= 5 ? 'yes' : 'NO', once.outputs]);
      rows.push([`  the same, stdout through a socket`, `${once.pythonSocketMs.toFixed(0)} ms`, `${once.bridgeSocketMs.toFixed(0)} ms`, ratio(once.pythonSocketMs, once.bridgeSocketMs), '', '', '']);
      rows.push([`legacy ${pids} processes, steady state`, `${st.pythonMs.toFixed(0)} ms`, `${st.bridgeMs.toFixed(1)} ms`, ratio(st.pythonMs, st.bridgeMs), '>= 25x', st.pythonMs / st.bridgeMs >= 25 ? 'yes' : 'NO', st.outputs]);
      rmSync(dir, { recursive: true, force: true });
      rmSync(stable, { recursive: true, force: true });
    }
    const pids = sizes[0];
    const dir = path.join(work, `current-${pids}`);
    mkdirSync(dir);
    write(dir, pids, 'current');
    const once = oneShot(dir, false);
    const st = await steady(dir, pids, 'current', false);
    results.push({ layout: 'current', pids, series, oneShot: once, steady: st });
    rows.push([`current ${pids} processes, one-shot (bridge alone)`, '-', `${once.bridgeMs.toFixed(0)} ms`, '', '', '', '']);
    rows.push([`current ${pids} processes, steady state (bridge alone)`, '-', `${st.bridgeMs.toFixed(1)} ms`, '', '', '', '']);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const head = ['case', 'prometheus_client', 'bridge', 'ratio', 'target', 'met', 'outputs'];
  console.log(`\n| ${head.join(' | ')} |\n| ${head.map(() => '---').join(' | ')} |`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  const machine = { nproc: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version, date: new Date().toISOString(), series, repeats, steps };
  mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
  const file = path.join(ROOT, `bench/results/multiproc-${machine.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ machine, results }, null, 1));
  console.log(`\n${JSON.stringify(machine)}\nresults: ${path.relative(ROOT, file)}`);
}

await main();
