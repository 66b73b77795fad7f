/**
 * Test helpers for prometheus_client multiprocess directories
 * (shared/spec/multiproc.md): an independent writer of the `.db` byte layout,
 * an independent entry walker (to find where to damage a file), copies of
 * the shared fixtures, Debian's python3 + prometheus_client 0.16 as a
 * reference, and a parser that turns an exposition into comparable triples.
 * Nothing here imports the receiver under test.
 */
import { spawnSync } from 'node:child_process';
import { after } from 'node:test';
import { chmodSync, closeSync, cpSync, existsSync, fstatSync, ftruncateSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseExposition } from './exposition.js';
import { SHARED, SYSTEM_PYTHON } from './paths.js';
import { MultiprocReader } from '../../src/receivers/prometheus_multiproc/reader.js';

export type DbLayout = 'current' | 'legacy';

/**
 * The ways the reader takes files: read(2) in batches by the native module,
 * memory maps (both need native/build/mapped_file.node, built by npm run
 * build: without it those tests fail), and read(2) from JavaScript, as where
 * the native module is not built.
 */
export const FILE_ACCESS = ['read', 'mmap', 'read-js'] as const;
export type FileAccessMethod = (typeof FILE_ACCESS)[number];

/** A reader taking files the given way. */
export function multiprocReader(access: FileAccessMethod, layout: 'auto' | 'current' | 'legacy' = 'auto'): MultiprocReader {
  return access === 'read-js' ? new MultiprocReader(layout, 'read', { native: false }) : new MultiprocReader(layout, access);
}

export const FIXTURES = path.join(SHARED, 'fixtures/multiproc');
export const WRITER = path.join(SHARED, 'tools/multiproc-writer.py');
const INITIAL = 1 << 16;

/** Every fixture case: a directory of FIXTURES holding expected.prom (sorted by name). */
export function fixtureCases(): string[] {
  return readdirSync(FIXTURES)
    .filter((n) => statSync(path.join(FIXTURES, n)).isDirectory() && existsSync(path.join(FIXTURES, n, 'expected.prom')))
    .sort();
}

export function expectedProm(name: string): string {
  return readFileSync(path.join(FIXTURES, name, 'expected.prom'), 'utf8');
}

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), `mp-${prefix}-`));
}

/** A writable copy of a fixture's `.db` files (expected.prom left out) in a new temporary directory. */
export function copyFixture(name: string, into = tempDir(name)): string {
  for (const f of readdirSync(path.join(FIXTURES, name))) {
    if (!f.endsWith('.db')) continue;
    const to = path.join(into, f);
    cpSync(path.join(FIXTURES, name, f), to);
    chmodSync(to, 0o644);
  }
  chmodSync(into, 0o755);
  return into;
}

/**
 * Scratch directories of one test file, removed when its tests are done:
 * `copy(fixture)` a writable copy of a fixture, `temp(prefix)` an empty one,
 * `keep(dir)` one made otherwise.
 */
export function scratchDirectories(): { copy(name: string): string; temp(prefix: string): string; keep(dir: string): string } {
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const keep = (dir: string) => {
    dirs.push(dir);
    return dir;
  };
  return { keep, copy: (name) => keep(copyFixture(name)), temp: (prefix) => keep(tempDir(prefix)) };
}

export function dbFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => n.endsWith('.db'))
    .sort();
}

// ---------------------------------------------------------------- keys

/** A JSON string as Python's json.dumps writes it (ensure_ascii: non-ASCII as \uXXXX). */
export function pyJsonString(s: string): string {
  return JSON.stringify(s).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * `json.dumps([metric, sample, labels, help], sort_keys=True)`; without `help`
 * the pre-0.16 3-element key.
 */
export function pyKey(metric: string, sample: string, labels: Record<string, string> = {}, help?: string): string {
  const names = Object.keys(labels).sort();
  const obj = `{${names.map((k) => `${pyJsonString(k)}: ${pyJsonString(labels[k])}`).join(', ')}}`;
  const parts = [pyJsonString(metric), pyJsonString(sample), obj];
  if (help !== undefined) parts.push(pyJsonString(help));
  return `[${parts.join(', ')}]`;
}

// ---------------------------------------------------------------- bytes

export interface DbEntry {
  /** The key text (see pyKey), or any text for damaged-key tests. */
  key: string;
  value: number;
  /** Current layout only; 0 = never set. */
  timestamp?: number;
}

/** One entry's bytes: int32 keylen, key, 1-8 spaces, float64 value (+ float64 timestamp). */
export function encodeEntry(e: DbEntry, layout: DbLayout): Buffer {
  const key = Buffer.from(e.key, 'utf8');
  const pad = 8 - ((key.length + 4) % 8);
  const out = Buffer.alloc(4 + key.length + pad + (layout === 'current' ? 16 : 8));
  out.writeInt32LE(key.length, 0);
  key.copy(out, 4);
  out.fill(0x20, 4 + key.length, 4 + key.length + pad);
  out.writeDoubleLE(e.value, 4 + key.length + pad);
  if (layout === 'current') out.writeDoubleLE(e.timestamp ?? 0, 4 + key.length + pad + 8);
  return out;
}

/** A whole file: header with `used`, the entries, zeros up to the capacity (65,536 doubling as needed). */
export function dbBytes(entries: readonly DbEntry[], layout: DbLayout = 'current'): Buffer {
  const body = Buffer.concat(entries.map((e) => encodeEntry(e, layout)));
  const used = 8 + body.length;
  let capacity = INITIAL;
  while (capacity < used) capacity *= 2;
  const out = Buffer.alloc(capacity);
  out.writeInt32LE(used, 0);
  body.copy(out, 8);
  return out;
}

/** Creates (or replaces) a file atomically: written beside it under a name that is not `.db`, then renamed. */
export function writeDb(file: string, entries: readonly DbEntry[], layout: DbLayout = 'current'): void {
  writeFileSync(`${file}.tmp`, dbBytes(entries, layout));
  renameSync(`${file}.tmp`, file);
}

/**
 * Appends entries in place as prometheus_client does: the file grows (doubling)
 * if needed, the entry bytes are written past `used`, and `used` is updated last.
 * Never rewrites the file, so a concurrent reader never sees it shorter.
 */
export function appendDb(file: string, entries: readonly DbEntry[], layout: DbLayout = 'current'): void {
  const fd = openSync(file, 'r+');
  try {
    const header = Buffer.alloc(4);
    readSync(fd, header, 0, 4, 0);
    const used = header.readInt32LE(0);
    const body = Buffer.concat(entries.map((e) => encodeEntry(e, layout)));
    let capacity = fstatSync(fd).size;
    if (used + body.length > capacity) {
      while (used + body.length > capacity) capacity *= 2;
      ftruncateSync(fd, capacity);
    }
    writeSync(fd, body, 0, body.length, used);
    header.writeInt32LE(used + body.length, 0);
    writeSync(fd, header, 0, 4, 0);
  } finally {
    closeSync(fd);
  }
}

/** Writes bytes at an offset of an existing file, in place. */
export function patchBytes(file: string, offset: number, bytes: Buffer): void {
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, bytes, 0, bytes.length, offset);
  } finally {
    closeSync(fd);
  }
}

export interface Located {
  offset: number;
  keyLength: number;
  keyStart: number;
  valueOffset: number;
  key: string;
}

/** An independent walk of a well-formed file's entries (for locating what to patch). */
export function locate(buf: Buffer, layout: DbLayout): Located[] {
  const used = buf.readInt32LE(0);
  const out: Located[] = [];
  let pos = 8;
  while (pos < used) {
    const keyLength = buf.readInt32LE(pos);
    const keyStart = pos + 4;
    const valueOffset = keyStart + keyLength + (8 - ((keyLength + 4) % 8));
    out.push({ offset: pos, keyLength, keyStart, valueOffset, key: buf.toString('utf8', keyStart, keyStart + keyLength) });
    pos = valueOffset + (layout === 'current' ? 16 : 8);
  }
  if (pos !== used) throw new Error(`locate: entries end at ${pos}, used is ${used} (wrong layout?)`);
  return out;
}

/** Overwrites one entry's value (and timestamp), in place (8-byte writes), found by its key text. */
export function setValue(file: string, key: string, value: number, timestamp?: number, layout: DbLayout = 'current'): void {
  const e = locate(readFileSync(file), layout).find((x) => x.key === key);
  if (!e) throw new Error(`setValue: no entry ${key} in ${file}`);
  const v = Buffer.alloc(8);
  v.writeDoubleLE(value, 0);
  patchBytes(file, e.valueOffset, v);
  if (timestamp !== undefined) {
    const t = Buffer.alloc(8);
    t.writeDoubleLE(timestamp, 0);
    patchBytes(file, e.valueOffset + 8, t);
  }
}

// ---------------------------------------------------------------- python

export interface PythonRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Debian's python3 (with python3-prometheus-client 0.16), once, to completion. */
export function runPython(code: string, args: string[] = [], input?: string): PythonRun {
  const env = { ...process.env };
  delete env.PROMETHEUS_MULTIPROC_DIR;
  delete env.prometheus_multiproc_dir;
  const r = spawnSync(SYSTEM_PYTHON, ['-c', code, ...args], { encoding: 'utf8', input, env, maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** shared/tools/multiproc-writer.py with these arguments; throws if it fails. */
export function runWriter(args: string[]): string {
  const r = spawnSync(SYSTEM_PYTHON, [WRITER, ...args], { encoding: 'utf8' });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`multiproc-writer.py ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** prometheus_client's merge of a directory's files in sorted order, as generate_latest() prints it. */
const PY_SORTED_MERGE = `
import glob, os, sys
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
class Sorted:
    def __init__(self, d): self.d = d
    def collect(self): return MultiProcessCollector.merge(sorted(glob.glob(os.path.join(self.d, '*.db'))), accumulate=True)
r = CollectorRegistry(auto_describe=False)
r.register(Sorted(sys.argv[1]))
sys.stdout.write(generate_latest(r).decode('utf-8'))
`;

/** prometheus_client 0.16's exposition of a legacy-layout directory (files read in sorted order). Throws if Python fails. */
export function pythonExposition(dir: string): string {
  const r = runPython(PY_SORTED_MERGE, [dir]);
  if (r.status !== 0) throw new Error(`prometheus_client failed on ${dir} (exit ${r.status}):\n${r.stderr}`);
  return r.stdout;
}

/** prometheus_client's own collector, unchanged (a /metrics endpoint in multiprocess mode). */
export function pythonCollect(dir: string): PythonRun {
  return runPython(
    `
import sys
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
r = CollectorRegistry()
MultiProcessCollector(r, path=sys.argv[1])
sys.stdout.write(generate_latest(r).decode('utf-8'))
`,
    [dir],
  );
}

// ---------------------------------------------------------------- expositions

export interface ParsedProm {
  /** (sample name, sorted labels, value), sorted, for deepStrictEqual. */
  triples: [string, string, number][];
  help: Record<string, string>;
  type: Record<string, string>;
}

export interface ParseOptions {
  /** Compare `le` numerically (`1.0` == `1`): for OTLP, whose bounds are numbers, against Python's `1.0`. */
  normalizeLe?: boolean;
  /** Keep only samples whose name passes. */
  keep?: (name: string) => boolean;
}

export function labelsText(labels: Record<string, string>): string {
  return JSON.stringify(Object.keys(labels).sort().map((k) => [k, labels[k]]));
}

export function normalizeLabels(labels: Record<string, string>, options: ParseOptions = {}): Record<string, string> {
  if (!options.normalizeLe || labels.le === undefined) return labels;
  const le = labels.le === '+Inf' ? Infinity : Number(labels.le);
  if (Number.isNaN(le)) throw new Error(`le is not a number: ${labels.le}`);
  return { ...labels, le: le === Infinity ? '+Inf' : String(le) };
}

/** Triples from samples; throws on a duplicate (name, labels): an exposition must not repeat a series. */
export function toTriples(samples: { name: string; labels: Record<string, string>; value: number }[], options: ParseOptions = {}): [string, string, number][] {
  const seen = new Set<string>();
  const out: [string, string, number][] = [];
  for (const s of samples) {
    if (options.keep && !options.keep(s.name)) continue;
    const labels = labelsText(normalizeLabels(s.labels, options));
    const id = `${s.name}${labels}`;
    if (seen.has(id)) throw new Error(`duplicate series ${id}`);
    seen.add(id);
    out.push([s.name, labels, s.value]);
  }
  return out.sort((a, b) => (a[0] + a[1] < b[0] + b[1] ? -1 : a[0] + a[1] > b[0] + b[1] ? 1 : 0));
}

export function parseProm(text: string, options: ParseOptions = {}): ParsedProm {
  const help: Record<string, string> = {};
  const type: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (!m) continue;
    if (options.keep && !options.keep(m[2])) continue;
    const into = m[1] === 'HELP' ? help : type;
    if (m[2] in into) throw new Error(`second # ${m[1]} for ${m[2]}`);
    into[m[2]] = m[3];
  }
  return { triples: toTriples(parseExposition(text), options), help, type };
}

/**
 * The exposition with the sample lines of each family sorted (families and
 * HELP/TYPE lines stay where they are): every line still compared byte for
 * byte, but not the order of label sets within a family, which Prometheus
 * ignores and prometheus_client versions differ on (0.16 prints every
 * histogram `_sum` before the buckets; the v0.25 fixtures interleave them per label set).
 */
export function sortSamplesPerFamily(text: string): string {
  const blocks: string[][] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('# HELP') || !blocks.length) blocks.push([]);
    blocks[blocks.length - 1].push(line);
  }
  return blocks.map((b) => [...b.filter((l) => l.startsWith('#')), ...b.filter((l) => !l.startsWith('#')).sort()].join('\n')).join('\n');
}

/** Samples of an OTLP/JSON ExportMetricsServiceRequest, named and shaped as Prometheus shows them. */
export function otlpJsonSamples(request: unknown): { name: string; labels: Record<string, string>; value: number }[] {
  type Attr = { key: string; value: { stringValue: string } };
  type Point = { attributes: Attr[]; asDouble?: number | string; count?: string; sum?: number | string; bucketCounts?: string[]; explicitBounds?: number[] };
  type M = { name: string; gauge?: { dataPoints: Point[] }; sum?: { isMonotonic: boolean; dataPoints: Point[] }; histogram?: { dataPoints: Point[] }; summary?: { dataPoints: Point[] } };
  const num = (v: number | string | undefined): number => (v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : Number(v));
  const labels = (p: Point) => Object.fromEntries(p.attributes.map((a) => [a.key, a.value.stringValue]));
  const out: { name: string; labels: Record<string, string>; value: number }[] = [];
  const metrics = (request as { resourceMetrics: { scopeMetrics: { metrics: M[] }[] }[] }).resourceMetrics.flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics));
  for (const m of metrics) {
    if (m.gauge) for (const p of m.gauge.dataPoints) out.push({ name: m.name, labels: labels(p), value: num(p.asDouble) });
    else if (m.sum) for (const p of m.sum.dataPoints) out.push({ name: m.name, labels: labels(p), value: num(p.asDouble) });
    else if (m.histogram)
      for (const p of m.histogram.dataPoints) {
        let acc = 0;
        p.bucketCounts!.forEach((c, i) => {
          acc += Number(c);
          const le = i < p.explicitBounds!.length ? String(p.explicitBounds![i]) : '+Inf';
          out.push({ name: `${m.name}_bucket`, labels: { ...labels(p), le }, value: acc });
        });
        out.push({ name: `${m.name}_sum`, labels: labels(p), value: num(p.sum) });
        out.push({ name: `${m.name}_count`, labels: labels(p), value: Number(p.count) });
      }
    else if (m.summary)
      for (const p of m.summary.dataPoints) {
        out.push({ name: `${m.name}_sum`, labels: labels(p), value: num(p.sum) });
        out.push({ name: `${m.name}_count`, labels: labels(p), value: Number(p.count) });
      }
  }
  return out;
}

/**
 * A directory where an SGLang scheduler was restarted: pid 900 (old, dead) and
 * pid 1000 (its replacement) are both dp rank 0, pid 1001 is dp rank 1. Each
 * writes a num_requests counter with its dp_rank and a num_running_reqs
 * mostrecent gauge without rank labels: values 1, 2, 3 at times base+100,
 * base+200, base+150 (seconds).
 */
export function writeRestartedScheduler(dir: string, base = 0): void {
  const counter = (dp: string) => [{ key: pyKey('sglang:num_requests', 'sglang:num_requests_total', { dp_rank: dp, model_name: 'm' }, 'Number of requests processed.'), value: 1 }];
  const running = pyKey('sglang:num_running_reqs', 'sglang:num_running_reqs', { model_name: 'm' }, 'The number of running requests.');
  writeDb(path.join(dir, 'counter_900.db'), counter('0'));
  writeDb(path.join(dir, 'counter_1000.db'), counter('0'));
  writeDb(path.join(dir, 'counter_1001.db'), counter('1'));
  writeDb(path.join(dir, 'gauge_mostrecent_900.db'), [{ key: running, value: 1, timestamp: base + 100 }]);
  writeDb(path.join(dir, 'gauge_mostrecent_1000.db'), [{ key: running, value: 2, timestamp: base + 200 }]);
  writeDb(path.join(dir, 'gauge_mostrecent_1001.db'), [{ key: running, value: 3, timestamp: base + 150 }]);
}
