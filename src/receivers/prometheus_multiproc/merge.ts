import type { DbFileName, FileKind, GaugeMode } from './filename.js';
import type { ParsedKey } from './key.js';

/**
 * prometheus_client's MultiProcessCollector merge (shared/spec/multiproc.md §4),
 * reproduced exactly: type and HELP from the first file that has the metric;
 * counters and summaries summed; histograms' per-bucket counts summed per
 * bound, made cumulative, `_count` added; gauges by mode (`all` keeps one
 * sample per pid with a `pid` label, `min`/`max`/`sum`, `mostrecent` keeps
 * the greatest timestamp, ties to the first file read, never-set series left
 * out). Files must be given in sorted name order; samples then come out in
 * the order prometheus_client prints them.
 *
 * MergeEngine keeps its state between reads of one directory: every file
 * entry is resolved once to the accumulator ("slot") it adds to, so a read
 * of an unchanged directory costs one addition per entry. `mergeFiles` is
 * the one-shot form.
 */
export interface FileEntries {
  readonly file: DbFileName;
  /** Parsed keys; the same array object (appended to) for as long as the file is unchanged. */
  readonly keys: readonly ParsedKey[];
  /** A keys array whose entries are this one's first entries (a shared template this file grew out of). */
  readonly copiedFrom?: readonly ParsedKey[];
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

export interface MergeOptions {
  /**
   * SGLang with data parallelism (sglang #6892): several schedulers write one
   * `mostrecent` gauge under equal labels and prometheus_client keeps only the
   * latest writer. With this on, a label set written by processes of several
   * ranks keeps each rank's latest value as its own series, labelled with the
   * rank labels (dp_rank, tp_rank, pp_rank) the process carries on its other
   * series, or `pid` where it has none. A label set one rank writes is left
   * as prometheus_client would print it.
   */
  readonly perRankMostRecent?: boolean;
}

/** Python's float() of a bucket bound: "+Inf", "inf", "1.0", "0.005". */
export function parseBound(text: string): number {
  const t = text.trim().toLowerCase();
  if (t === '+inf' || t === 'inf' || t === 'infinity' || t === '+infinity') return Infinity;
  if (t === '-inf' || t === '-infinity') return -Infinity;
  return Number(t);
}

const RANK_LABELS = ['dp_rank', 'tp_rank', 'pp_rank'];
type Labels = readonly (readonly [string, string])[];

/** One accumulator: a merged sample, a histogram bucket, or one process's gauge value. */
interface Slot {
  readonly family: Family;
  readonly name: string;
  readonly labels: Labels;
  /**
   * How values combine: `sum` (counters, summaries, histograms), or `last`:
   * one process's value of a gauge. Gauges are reduced by the family's mode
   * only when the merge is output, because the mode of the last file read wins.
   */
  readonly op: 'sum' | 'last';
  /** The process (for `last` slots). */
  readonly pid: string;
  readonly sampleKey: string;
  value: number;
  timestamp: number;
  /** Read generation of the last update; a slot not touched in the current read is not emitted. */
  gen: number;
  /** Order of first touch in the current read (prometheus_client's insertion order). */
  seq: number;
  /** Output labels made once (with `pid` or `le`), so that they are the same array read after read. */
  outLabels?: Labels;
  /** The histogram label set this bucket slot belongs to (bucket slots only). */
  readonly group?: BucketGroup;
  /** The merged sample this process's gauge value is reduced into (min, max and sum modes; made on first use). */
  reduced?: Reduced;
  /** The sample last output for this slot: given again while its value is unchanged. */
  sample?: MergedSample;
}

interface BucketGroup {
  /** Canonical text of the label set without `le`. */
  readonly key: string;
  readonly labels: Labels;
  readonly buckets: Map<number, Slot>;
  sortedBounds: number[] | undefined;
  /** Read generation in which a bucket of the group was last touched, and the first such touch's order. */
  gen: number;
  seq: number;
}

/** A gauge label set reduced over processes (min, max, sum modes), one per (family, sample key). */
interface Reduced {
  readonly name: string;
  readonly labels: Labels;
  value: number;
  gen: number;
  sample?: MergedSample;
}

interface Family {
  readonly name: string;
  readonly type: FileKind;
  readonly help: string;
  mode?: GaugeMode;
  /** Shared non-bucket slots by sample key, in creation order. */
  readonly slots: Map<string, Slot>;
  readonly groups: Map<string, BucketGroup>;
  /** Reduced gauge samples by sample key (min, max, sum modes). */
  readonly reduced: Map<string, Reduced>;
  gen: number;
  seq: number;
  /**
   * What the current read touched, in order of first touch (prometheus_client's
   * insertion order), collected while adding so that output needs no sorting:
   * shared non-bucket slots, gauge process slots, histogram bucket groups.
   */
  readonly touchedShared: Slot[];
  readonly touchedProcess: Slot[];
  readonly touchedGroups: BucketGroup[];
}

/** A label set without `le`, and the bucket bound, cached on the (shared) key object. */
interface BucketInfo {
  readonly le: number;
  readonly group: string;
  readonly labels: Labels;
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


function isMostRecent(mode: GaugeMode | undefined): boolean {
  return mode === 'mostrecent' || mode === 'livemostrecent';
}

export class MergeEngine {
  private readonly families = new Map<string, Family>();
  /**
   * Slots of each file's entries, by the reader's keys array (stable while the
   * file is unchanged, and shared by files with the same keys). Counters,
   * summaries and histograms add to shared slots whatever the process; a
   * gauge file has slots of its own, by pid.
   */
  private readonly resolved = new WeakMap<readonly ParsedKey[], Map<string, Slot[]>>();
  /** Shared slot of a key (counters, summaries, histograms): one lookup by object identity. */
  private readonly sharedSlot = new Map<ParsedKey, Slot>();
  /** Per-process slots of a gauge key, by pid. */
  private readonly processSlots = new Map<ParsedKey, Map<string, Slot>>();
  /** Rank labels each process carries on its own series (for per-rank gauges). */
  private readonly pidRanks = new Map<string, [string, string][]>();
  private gen = 0;
  private seq = 0;
  /** Families touched by the current read, in order of first touch. */
  private touchedFamilies: Family[] = [];

  constructor(private readonly options: MergeOptions = {}) {}

  /** Merges one read of a directory (files in sorted name order). */
  merge(files: readonly FileEntries[], formatBound: (b: number) => string): MergedFamily[] {
    this.gen++;
    this.seq = 0;
    this.touchedFamilies = [];
    for (const f of files) this.add(f);
    return this.output(formatBound);
  }

  private add(f: FileEntries): void {
    const slots = this.slotsOf(f);
    const { values, timestamps } = f;
    const gen = this.gen;
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i];
      const v = values[i];
      const fam = s.family;
      if (fam.gen !== gen) {
        fam.gen = gen;
        fam.seq = ++this.seq;
        fam.touchedShared.length = 0;
        fam.touchedProcess.length = 0;
        fam.touchedGroups.length = 0;
        this.touchedFamilies.push(fam);
      }
      if (s.gen !== gen) {
        s.gen = gen;
        s.seq = ++this.seq;
        s.value = v;
        s.timestamp = timestamps[i];
        const group = s.group;
        if (s.op === 'last') fam.touchedProcess.push(s);
        else if (group === undefined) fam.touchedShared.push(s);
        else if (group.gen !== gen) {
          group.gen = gen;
          group.seq = s.seq;
          fam.touchedGroups.push(group);
        }
        continue;
      }
      if (s.op === 'sum') s.value += v;
      else if (!isMostRecent(fam.mode) || s.timestamp < timestamps[i]) {
        // one process's series written twice: the later entry, or for mostrecent the strictly newer timestamp
        s.value = v;
        s.timestamp = timestamps[i];
      }
    }
  }

  /** The slots of a file's entries, resolving only entries not seen before. */
  private slotsOf(f: FileEntries): Slot[] {
    if (!this.pidRanks.has(f.file.pid)) this.learnRanks(f);
    let byOwner = this.resolved.get(f.keys);
    if (!byOwner) this.resolved.set(f.keys, (byOwner = new Map()));
    const owner = f.file.kind === 'gauge' ? f.file.pid : '';
    let slots = byOwner.get(owner);
    if (!slots) {
      // A file that grew out of a shared template starts from the template's resolved slots.
      const base = f.copiedFrom ? this.resolved.get(f.copiedFrom)?.get(owner) : undefined;
      slots = base ? base.slice() : [];
      byOwner.set(owner, slots);
    }
    for (let i = slots.length; i < f.keys.length; i++) slots.push(this.resolve(f.file, f.keys[i]));
    return slots;
  }

  /** The rank labels (dp_rank, tp_rank, pp_rank) each process carries on its series, by pid. */
  get processRanks(): ReadonlyMap<string, readonly (readonly [string, string])[]> {
    return this.pidRanks;
  }

  /** Records the rank labels a process carries on its series, from one of its files. */
  private learnRanks(f: FileEntries): void {
    for (const key of f.keys) {
      const ranks = key.labels.filter(([k]) => RANK_LABELS.includes(k)) as [string, string][];
      if (ranks.length) {
        this.pidRanks.set(f.file.pid, ranks);
        return;
      }
    }
  }

  private resolve(file: DbFileName, key: ParsedKey): Slot {
    if (file.kind !== 'gauge') {
      const shared = this.sharedSlot.get(key);
      if (shared) return shared;
    } else {
      const mine = this.processSlots.get(key)?.get(file.pid);
      if (mine) {
        mine.family.mode = file.mode;
        return mine;
      }
    }
    const slot = this.createSlot(file, key);
    if (file.kind !== 'gauge') this.sharedSlot.set(key, slot);
    else {
      let byPid = this.processSlots.get(key);
      if (!byPid) this.processSlots.set(key, (byPid = new Map()));
      byPid.set(file.pid, slot);
    }
    return slot;
  }

  private createSlot(file: DbFileName, key: ParsedKey): Slot {
    let fam = this.families.get(key.metricName);
    if (!fam) {
      fam = { name: key.metricName, type: file.kind, help: key.help, slots: new Map(), groups: new Map(), reduced: new Map(), gen: 0, seq: 0, touchedShared: [], touchedProcess: [], touchedGroups: [] };
      this.families.set(key.metricName, fam);
    }
    if (file.kind === 'gauge') fam.mode = file.mode;
    const op: Slot['op'] = file.kind === 'gauge' ? 'last' : 'sum';
    if (fam.type === 'histogram' && file.kind !== 'gauge') {
      const b = bucketOf(key);
      if (b) {
        let group = fam.groups.get(b.group);
        if (!group) fam.groups.set(b.group, (group = { key: b.group, labels: b.labels, buckets: new Map(), sortedBounds: undefined, gen: 0, seq: 0 }));
        let slot = group.buckets.get(b.le);
        if (!slot) {
          slot = makeSlot(fam, `${fam.name}_bucket`, b.labels, op, file.pid, b.group, group);
          group.buckets.set(b.le, slot);
          group.sortedBounds = undefined;
        }
        return slot;
      }
    }
    if (op === 'last') {
      // one process's gauge value; the engine's processSlots keeps it unique per (key, pid)
      return makeSlot(fam, key.sampleName, key.labels, op, file.pid, key.sampleKey, undefined);
    }
    let slot = fam.slots.get(key.sampleKey);
    if (!slot) {
      slot = makeSlot(fam, key.sampleName, key.labels, op, file.pid, key.sampleKey, undefined);
      fam.slots.set(key.sampleKey, slot);
    }
    return slot;
  }

  private output(formatBound: (b: number) => string): MergedFamily[] {
    const gen = this.gen;
    const out: MergedFamily[] = [];
    for (const fam of this.touchedFamilies) {
      let samples: MergedSample[];
      if (fam.type === 'gauge' && isMostRecent(fam.mode)) samples = this.mostRecent(fam);
      else if (fam.type === 'gauge') samples = reduceGauges(fam, gen);
      else if (fam.type === 'histogram') samples = histogramSamples(fam, gen, formatBound);
      else samples = fam.touchedShared.map((s) => sampleOf(s, s.name, s.labels, s.value));
      out.push({ name: fam.name, type: fam.type, help: fam.help, mode: fam.mode, samples });
    }
    return out;
  }

  /** mostrecent: per label set the greatest timestamp (ties: first read); per rank when asked. */
  private mostRecent(fam: Family): MergedSample[] {
    const bySample = new Map<string, Slot[]>();
    for (const s of fam.touchedProcess) {
      if (!(s.timestamp > 0)) continue; // never set
      let list = bySample.get(s.sampleKey);
      if (!list) bySample.set(s.sampleKey, (list = []));
      list.push(s); // in read order: touchedProcess is
    }
    const chosen: { slot: Slot; labels: Labels }[] = [];
    for (const list of bySample.values()) {
      const perRank = this.options.perRankMostRecent ? this.byRank(list) : undefined;
      if (!perRank || perRank.size < 2) {
        chosen.push({ slot: latest(list), labels: list[0].labels });
        continue;
      }
      for (const [, { extra, slots }] of perRank) chosen.push({ slot: latest(slots), labels: [...list[0].labels, ...extra] });
    }
    // prometheus_client inserts a mostrecent sample when a timestamp first beats 0: the first writer in read order
    const firstSeq = (c: { slot: Slot }) => c.slot.seq;
    return chosen.sort((a, b) => firstSeq(a) - firstSeq(b)).map(({ slot, labels }) => ({ name: slot.name, labels, value: slot.value }));
  }

  /** Writers of one label set grouped by rank identity (rank labels not already in the set, or pid). */
  private byRank(list: Slot[]): Map<string, { extra: [string, string][]; slots: Slot[] }> {
    const out = new Map<string, { extra: [string, string][]; slots: Slot[] }>();
    for (const s of list) {
      const own = (this.pidRanks.get(s.pid) ?? []).filter(([name]) => !s.labels.some(([l]) => l === name));
      const extra: [string, string][] = own.length ? own : [['pid', s.pid]];
      const id = extra.map(([n, v]) => `${n}\u0000${v}`).join('\u0001');
      let g = out.get(id);
      if (!g) out.set(id, (g = { extra, slots: [] }));
      g.slots.push(s);
    }
    return out;
  }
}

/** One `pid` label pair per process, shared by all its `all` gauge samples (label pairs are read-only). */
const pidLabels = new Map<string, readonly [string, string]>();
function pidLabel(pid: string): readonly [string, string] {
  let pair = pidLabels.get(pid);
  if (pair === undefined) {
    if (pidLabels.size > 100_000) pidLabels.clear();
    pidLabels.set(pid, (pair = ['pid', pid]));
  }
  return pair;
}

/** `labels` with `pair` appended, as a new array. */
function withLabel(labels: Labels, pair: readonly [string, string]): Labels {
  const out = labels.slice();
  out.push(pair);
  return out;
}

/** A new slot; every slot has the same fields in the same order (one object shape). */
function makeSlot(family: Family, name: string, labels: Labels, op: Slot['op'], pid: string, sampleKey: string, group: BucketGroup | undefined): Slot {
  return { family, name, labels, op, pid, sampleKey, value: 0, timestamp: 0, gen: 0, seq: 0, outLabels: undefined, group, reduced: undefined, sample: undefined };
}

/**
 * The sample to output for `holder` (a slot or a reduced label set): the one
 * given last time while name, labels and value are unchanged, else a new one
 * (samples are read-only once output).
 */
function sampleOf(holder: { sample?: MergedSample }, name: string, labels: Labels, value: number): MergedSample {
  const last = holder.sample;
  if (last !== undefined && last.value === value && last.labels === labels && last.name === name) return last;
  return (holder.sample = { name, labels, value });
}

/** Gauges in the modes all, min, max and sum, from each process's value, in read order. */
function reduceGauges(fam: Family, gen: number): MergedSample[] {
  const live = fam.touchedProcess;
  const mode = fam.mode ?? 'all';
  if (mode === 'all' || mode === 'liveall') {
    const out = new Array<MergedSample>(live.length);
    for (let i = 0; i < live.length; i++) {
      const s = live[i];
      out[i] = sampleOf(s, s.name, (s.outLabels ??= withLabel(s.labels, pidLabel(s.pid))), s.value);
    }
    return out;
  }
  const isMin = mode === 'min' || mode === 'livemin';
  const isMax = mode === 'max' || mode === 'livemax';
  const merged: Reduced[] = [];
  for (const s of live) {
    let r = s.reduced;
    if (r === undefined) {
      r = fam.reduced.get(s.sampleKey);
      if (r === undefined) fam.reduced.set(s.sampleKey, (r = { name: s.name, labels: s.labels, value: 0, gen: 0, sample: undefined }));
      s.reduced = r;
    }
    if (r.gen !== gen) {
      r.gen = gen;
      r.value = s.value;
      merged.push(r);
    } else if (isMin) {
      if (s.value < r.value) r.value = s.value; // comparisons as Python's (NaN never replaces)
    } else if (isMax) {
      if (s.value > r.value) r.value = s.value;
    } else r.value += s.value;
  }
  return merged.map((r) => sampleOf(r, r.name, r.labels, r.value));
}

/** The slot with the greatest timestamp; the first in read order on ties. */
function latest(slots: readonly Slot[]): Slot {
  let best = slots[0];
  for (const s of slots) if (best.timestamp < s.timestamp) best = s;
  return best;
}

/** Per label set: `_sum`, the cumulative buckets by bound, `_count` (the +Inf total). */
function histogramSamples(fam: Family, gen: number, formatBound: (b: number) => string): MergedSample[] {
  const out: MergedSample[] = [];
  const emitted = new Set<string>();
  const emitGroup = (groupKey: string) => {
    if (emitted.has(groupKey)) return;
    emitted.add(groupKey);
    const sum = fam.slots.get(`${fam.name}_sum\u0002${groupKey}`);
    if (sum && sum.gen === gen) out.push(sampleOf(sum, sum.name, sum.labels, sum.value));
    const group = fam.groups.get(groupKey);
    if (!group) return;
    group.sortedBounds ??= [...group.buckets.keys()].sort((a, b) => a - b);
    let acc = 0;
    let any = false;
    for (const bound of group.sortedBounds) {
      const slot = group.buckets.get(bound)!;
      if (slot.gen !== gen) continue;
      any = true;
      acc += slot.value;
      out.push(sampleOf(slot, slot.name, (slot.outLabels ??= [...group.labels, ['le', formatBound(bound)]]), acc));
    }
    if (any) out.push({ name: `${fam.name}_count`, labels: group.labels, value: acc });
  };
  // Groups are emitted where their _sum stood (prometheus_client's order), else after the other samples in order of first touch.
  const sumName = `${fam.name}_sum`;
  for (const s of fam.touchedShared) {
    if (s.name === sumName) emitGroup(s.sampleKey.slice(s.sampleKey.indexOf('\u0002') + 1));
    else out.push(sampleOf(s, s.name, s.labels, s.value));
  }
  for (const g of fam.touchedGroups) emitGroup(g.key);
  return out;
}

/** One-shot merge of files read in sorted order. */
export function mergeFiles(files: readonly FileEntries[], formatBound: (b: number) => string, options: MergeOptions = {}): MergedFamily[] {
  return new MergeEngine(options).merge(files, formatBound);
}
