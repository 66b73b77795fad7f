import type { DbFileName, FileKind, GaugeMode } from './filename.js';
import type { ParsedKey } from './key.js';

/**
 * prometheus_client's MultiProcessCollector merge (shared/spec/multiproc.md §4),
 * reproduced exactly, as a pure function of the files' entries read in
 * sorted file order: type and HELP from the first file that has the metric,
 * gauge mode from the last; counters and summaries summed; histograms'
 * per-bucket counts summed per bound, made cumulative, `_count` added;
 * gauges by mode (`all` keeps one sample per pid with a `pid` label,
 * `mostrecent` keeps the greatest timestamp and leaves out never-set series).
 * Samples come out in the order prometheus_client would print them.
 */
export interface FileEntries {
  readonly file: DbFileName;
  readonly keys: readonly ParsedKey[];
  /** value (and timestamp) per key, same order as `keys`. */
  readonly values: Float64Array;
  readonly timestamps: Float64Array;
}

export interface MergedSample {
  readonly name: string;
  /** Label pairs; the order is prometheus_client's (sorted, then `pid` or `le` last). */
  readonly labels: readonly (readonly [string, string])[];
  readonly value: number;
}

export interface MergedFamily {
  readonly name: string;
  readonly type: FileKind;
  readonly help: string;
  readonly mode?: GaugeMode;
  readonly samples: MergedSample[];
}

interface Accumulating {
  name: string;
  type: FileKind;
  help: string;
  mode?: GaugeMode;
  samples: Map<string, { name: string; labels: (readonly [string, string])[]; value: number; timestamp: number }>;
  /** Histogram buckets: group (labels without le) -> bound -> count. */
  buckets: Map<string, { labels: (readonly [string, string])[]; byBound: Map<number, number> }>;
  /** Gauge samples of every process, by sample key, for per-mode reduction. */
  gauge: { key: ParsedKey; pid: string; value: number; timestamp: number }[];
}

/** A label set without `le`, and the bucket bound, cached on the (shared) key object. */
interface BucketInfo {
  le: number;
  group: string;
  labels: (readonly [string, string])[];
}
const bucketInfo = new WeakMap<ParsedKey, BucketInfo | null>();
function bucketOf(key: ParsedKey): BucketInfo | null {
  let info = bucketInfo.get(key);
  if (info === undefined) {
    const le = key.labels.find(([k]) => k === 'le');
    if (!le) info = null;
    else {
      const labels = key.labels.filter(([k]) => k !== 'le');
      info = { le: parseBound(le[1]), group: labels.map(([k, v]) => `${k}\u0000${v}\u0001`).join(''), labels };
    }
    bucketInfo.set(key, info);
  }
  return info;
}

/** Python's float() of a bucket bound: "+Inf", "inf", "1.0", "0.005". */
export function parseBound(text: string): number {
  const t = text.trim().toLowerCase();
  if (t === '+inf' || t === 'inf' || t === 'infinity' || t === '+infinity') return Infinity;
  if (t === '-inf' || t === '-infinity') return -Infinity;
  return Number(t);
}

export interface MergeOptions {
  /**
   * SGLang with data parallelism (sglang #6892): several schedulers write one
   * `mostrecent` gauge under equal labels and prometheus_client keeps only the
   * latest writer. With this on, a label set written by several processes
   * keeps every process's value as its own series, labelled with that
   * process's rank labels (dp_rank, tp_rank, pp_rank, from its other series),
   * or `pid` where it has none. A label set with one writer is left as it is.
   */
  readonly perRankMostRecent?: boolean;
}

const RANK_LABELS = ['dp_rank', 'tp_rank', 'pp_rank'];

/** Rank labels each process carries on its own series. */
function rankLabelsByPid(files: readonly FileEntries[]): Map<string, [string, string][]> {
  const out = new Map<string, [string, string][]>();
  for (const f of files) {
    if (out.has(f.file.pid)) continue;
    for (const key of f.keys) {
      const ranks = key.labels.filter(([k]) => RANK_LABELS.includes(k)) as [string, string][];
      if (ranks.length) {
        out.set(f.file.pid, ranks);
        break;
      }
    }
  }
  return out;
}

export function mergeFiles(files: readonly FileEntries[], formatBound: (b: number) => string, options: MergeOptions = {}): MergedFamily[] {
  const ranks = options.perRankMostRecent ? rankLabelsByPid(files) : undefined;
  const families = new Map<string, Accumulating>();
  for (const f of files) {
    const { kind, mode, pid } = f.file;
    for (let i = 0; i < f.keys.length; i++) {
      const key = f.keys[i];
      let fam = families.get(key.metricName);
      if (!fam) {
        fam = { name: key.metricName, type: kind, help: key.help, samples: new Map(), buckets: new Map(), gauge: [] };
        families.set(key.metricName, fam);
      }
      const value = f.values[i];
      if (kind === 'gauge') {
        fam.mode = mode;
        fam.gauge.push({ key, pid, value, timestamp: f.timestamps[i] });
        continue;
      }
      if (fam.type === 'histogram') {
        const b = bucketOf(key);
        if (b) {
          let group = fam.buckets.get(b.group);
          if (!group) fam.buckets.set(b.group, (group = { labels: b.labels, byBound: new Map() }));
          group.byBound.set(b.le, (group.byBound.get(b.le) ?? 0) + value);
          continue;
        }
      }
      const sampleKey = key.sampleKey;
      const s = fam.samples.get(sampleKey);
      if (s) s.value += value;
      else fam.samples.set(sampleKey, { name: key.sampleName, labels: [...key.labels], value, timestamp: 0 });
    }
  }
  const out: MergedFamily[] = [];
  for (const fam of families.values()) {
    if (fam.type === 'gauge') reduceGauges(fam, ranks);
    const samples: MergedSample[] = fam.type === 'histogram' ? histogramSamples(fam, formatBound) : [...fam.samples.values()].map(({ name, labels, value }) => ({ name, labels, value }));
    out.push({ name: fam.name, type: fam.type, help: fam.help, mode: fam.mode, samples });
  }
  return out;
}

/**
 * `mostrecent` gauges, one series per rank where processes of several ranks
 * write one label set. A rank is identified by the rank labels its process
 * carries (or its pid when it has none), so the files of a dead process and of
 * its replacement (same rank) give one series: the latest writer of that rank.
 */
function perRankMostRecent(fam: Accumulating, ranks: Map<string, [string, string][]>): void {
  const writers = new Map<string, Accumulating['gauge']>();
  for (const g of fam.gauge) {
    if (!(g.timestamp > 0)) continue; // never set
    const k = g.key.sampleKey;
    let list = writers.get(k);
    if (!list) writers.set(k, (list = []));
    list.push(g);
  }
  for (const [k, list] of writers) {
    const key = list[0].key;
    const extraOf = (pid: string): [string, string][] => {
      const own = ranks.get(pid)?.filter(([name]) => !key.labels.some(([l]) => l === name)) ?? [];
      return own.length ? own : [['pid', pid]];
    };
    const identity = (pid: string) => extraOf(pid).map(([n, v]) => `${n}\u0000${v}`).join('\u0001');
    const several = new Set(list.map((w) => identity(w.pid))).size > 1;
    // Per rank (or for the one label set when a single rank writes it): greatest timestamp, ties to the first read.
    const latest = new Map<string, Accumulating['gauge'][number]>();
    for (const w of list) {
      const id = several ? identity(w.pid) : '';
      const cur = latest.get(id);
      if (!cur || cur.timestamp < w.timestamp) latest.set(id, w);
    }
    for (const [id, { pid, value, timestamp }] of latest) {
      const labels = several ? [...key.labels, ...extraOf(pid)] : [...key.labels];
      fam.samples.set(several ? `${k}\u0003${id}` : k, { name: key.sampleName, labels, value, timestamp });
    }
  }
  fam.gauge = [];
}

/** Per label set: `_sum`, the cumulative buckets by bound, `_count` (the +Inf total). */
function histogramSamples(fam: Accumulating, formatBound: (b: number) => string): MergedSample[] {
  const out: MergedSample[] = [];
  const emitted = new Set<string>();
  const emitGroup = (groupKey: string) => {
    if (emitted.has(groupKey)) return;
    emitted.add(groupKey);
    const sum = fam.samples.get(`${fam.name}_sum\u0002${groupKey}`);
    if (sum) out.push({ name: sum.name, labels: sum.labels, value: sum.value });
    const group = fam.buckets.get(groupKey);
    if (!group) return;
    let acc = 0;
    for (const bound of [...group.byBound.keys()].sort((a, b) => a - b)) {
      acc += group.byBound.get(bound)!;
      out.push({ name: `${fam.name}_bucket`, labels: [...group.labels, ['le', formatBound(bound)]], value: acc });
    }
    out.push({ name: `${fam.name}_count`, labels: group.labels, value: acc });
  };
  for (const [key, s] of fam.samples) {
    if (s.name === `${fam.name}_sum`) emitGroup(key.slice(key.indexOf('\u0002') + 1));
    else out.push({ name: s.name, labels: s.labels, value: s.value });
  }
  for (const groupKey of fam.buckets.keys()) emitGroup(groupKey);
  return out;
}

/** Gauges by the family's (last seen) mode; the type may be gauge only because the first file said so. */
function reduceGauges(fam: Accumulating, ranks: Map<string, [string, string][]> | undefined): void {
  const mode = fam.mode ?? 'all';
  if (ranks && (mode === 'mostrecent' || mode === 'livemostrecent')) return perRankMostRecent(fam, ranks);
  for (const g of fam.gauge) {
    const { key, pid, value } = g;
    if (mode === 'all' || mode === 'liveall') {
      fam.samples.set(`${key.sampleKey}pid\u0000${pid}\u0001`, { name: key.sampleName, labels: [...key.labels, ['pid', pid]], value, timestamp: 0 });
      continue;
    }
    const sampleKey = key.sampleKey;
    const current = fam.samples.get(sampleKey);
    if (mode === 'mostrecent' || mode === 'livemostrecent') {
      const ts = g.timestamp || 0;
      if (!current) {
        // Timestamps start at 0.0 and only a strictly greater one wins: a never-set series is left out.
        if (0 < ts) fam.samples.set(sampleKey, { name: key.sampleName, labels: [...key.labels], value, timestamp: ts });
      } else if (current.timestamp < ts) {
        current.value = value;
        current.timestamp = ts;
      }
      continue;
    }
    if (!current) {
      fam.samples.set(sampleKey, { name: key.sampleName, labels: [...key.labels], value, timestamp: 0 });
      continue;
    }
    if (mode === 'min' || mode === 'livemin') current.value = Math.min(current.value, value);
    else if (mode === 'max' || mode === 'livemax') current.value = Math.max(current.value, value);
    else current.value += value;
  }
  fam.gauge = [];
}
