import type { Attributes } from '../../model/metrics.js';
import { labelsToAttributes, type Labels } from './attributes.js';
import type { DbFileName, FileKind, GaugeMode } from './filename.js';
import { labelsKeyWithout, sampleKeyOf, type ParsedKey } from './key.js';

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
 * MergeEngine keeps its state between reads of one directory: every counter,
 * summary and histogram entry is resolved once to the shared accumulator
 * ("slot") it adds to, every gauge entry to its series (one per key, shared by
 * all processes; the processes' values are noted where they stand, not kept
 * in an object each), so a read of an unchanged directory costs one addition
 * or one note per entry. `mergeFiles` is the one-shot form (gauges in mode
 * all/liveall then also readable as per-process values, see `perProcess`).
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
  /**
   * With MergeOptions.attributes: those attributes plus `labels`, the same
   * object read after read for a label set (made once); else undefined. Per-rank
   * mostrecent samples (labels made at each read) have none.
   */
  readonly attributes: Attributes | undefined;
}

export interface MergedFamily {
  readonly name: string;
  readonly type: FileKind;
  readonly help: string;
  readonly mode?: GaugeMode;
  readonly samples: MergedSample[];
  /**
   * A gauge in mode all or liveall from a one-shot merge (`mergeFiles`): the
   * same samples in the same order, one per process and series, readable
   * without an object each (`samples` is then made on first use).
   */
  readonly perProcess?: ProcessValues;
  /**
   * A histogram family's label sets as the conversion to the pipeline's
   * model takes them (MergeOptions.attributes given; undefined when the
   * family also holds samples other than `_sum` and buckets, which only the
   * samples show): the same data as `samples`, without regrouping them.
   */
  readonly histograms?: HistogramGroup[];
}

/** One histogram label set of a read: bounds in order with their cumulative counts (as `_bucket` samples), `_sum`, `_count`. */
export interface HistogramGroup {
  /** The label set without `le`. */
  readonly labels: readonly (readonly [string, string])[];
  readonly attributes: Attributes | undefined;
  /** 0 when no `_sum` was written. */
  readonly sum: number;
  /** The +Inf total (0 without buckets). */
  readonly count: number;
  readonly les: number[];
  readonly cumulative: number[];
}

/** One value per process and series, in output order: sample j is series(j) with a `pid` label pid(j) appended, valued value(j). */
export interface ProcessValues {
  readonly length: number;
  /** The series' sample name and labels (without `pid`); the same object for every process writing the series. */
  series(j: number): { readonly name: string; readonly labels: Labels };
  pid(j: number): string;
  value(j: number): number;
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
  /**
   * The directory's attributes: each sample then carries them plus its
   * labels as `attributes`, made once per label set (the conversion to the
   * pipeline's model looks nothing up).
   */
  readonly attributes?: Attributes;
}

/** Python's float() of a bucket bound: "+Inf", "inf", "1.0", "0.005". */
export function parseBound(text: string): number {
  const t = text.trim().toLowerCase();
  if (t === '+inf' || t === 'inf' || t === 'infinity' || t === '+infinity') return Infinity;
  if (t === '-inf' || t === '-infinity') return -Infinity;
  return Number(t);
}

const RANK_LABELS = ['dp_rank', 'tp_rank', 'pp_rank'];
/** One accumulator shared by every process: a merged sample (counters, summaries) or a histogram bucket. */
interface Slot {
  readonly family: Family;
  readonly name: string;
  readonly labels: Labels;
  readonly sampleKey: string;
  /** Where its value is in the engine's slot values (a typed array: an addition stores no number object). */
  readonly id: number;
  /** Read generation of the last update; a slot not touched in the current read is not emitted. */
  gen: number;
  /** Order of first touch in the current read (prometheus_client's insertion order). */
  seq: number;
  /** Output labels made once (with `le`), so that they are the same array read after read. */
  outLabels?: Labels;
  /** The histogram label set this bucket slot belongs to (bucket slots only). */
  readonly group?: BucketGroup;
  /** The sample last output for this slot: given again while its value is unchanged. */
  sample?: MergedSample;
  /** Its sample's attributes (MergeOptions.attributes), made on first use. */
  attributes?: Attributes;
  /** Canonical text of its label set without `le` (ParsedKey.labelsKey; a histogram's `_sum` finds its buckets' group by it). */
  readonly labelsKey: string;
}

/**
 * A gauge series (one parsed key), shared by every process that writes it:
 * the processes' values stay in their files' value arrays and are only
 * referred to (see GaugeTouches), so that no object is made per process and series.
 */
interface GaugeSeries {
  readonly family: Family;
  readonly name: string;
  readonly labels: Labels;
  readonly sampleKey: string;
  /** The merged sample this series is reduced into (min, max and sum modes; made on first use). */
  reduced?: Reduced;
  /** Attributes of its label set as a mostrecent sample (MergeOptions.attributes), made on first use. */
  attributes?: Attributes;
  /** Scratch mark for finding a series twice in one keys array. */
  mark: number;
}

/** The gauge series of one keys array (shared by the files of every process with those keys). */
interface GaugeKeys {
  readonly series: GaugeSeries[];
  /** The keys this array grew out of (a shared template's), whose files' outputs are carried over. */
  readonly base?: GaugeKeys;
  /** Distinct families of `series`, in order of first appearance. */
  readonly families: Family[];
  /** Whether one series appears twice in `series` (a damaged or hand-made file). */
  repeats: boolean;
}

/** One process's gauge file, by keys array and pid: output labels (with `pid`) and samples kept between reads. */
interface GaugeFile {
  /** Its keys; a file that grew moves to the grown keys (whose first series are its old keys' series). */
  keys: GaugeKeys;
  readonly pid: string;
  /** By entry index, made on first output (`all` and `liveall` modes). */
  readonly outLabels: (Labels | undefined)[];
  /** Attributes of outLabels (MergeOptions.attributes), made with them. */
  readonly outAttributes: (Attributes | undefined)[];
  readonly samples: (MergedSample | undefined)[];
}

/**
 * Gauge values touched by the current read in one family, in read order (the
 * order prometheus_client inserts them), as parallel arrays: which file and
 * entry, value and timestamp (ms since the epoch as written; 0 in the legacy
 * layout). A process's series written twice in one read is one touch (the
 * later value; for mostrecent the strictly newer timestamp).
 */
interface GaugeTouches {
  /** How many touches the current read made: the arrays' first `n` elements (the arrays keep their storage from read to read). */
  n: number;
  /** The gauge files of the current read, in read order (the engine's list, shared by its families): `file` indexes it. */
  readonly files: readonly GaugeFile[];
  /** Typed (outside the garbage-collected heap), grown by doubling: see roomFor. */
  file: Int32Array;
  entry: Int32Array;
  value: Float64Array;
  timestamp: Float64Array;
}

/** Makes room for touch `at` (the typed arrays doubled when full). */
function roomFor(t: GaugeTouches, at: number): void {
  if (at < t.value.length) return;
  const size = Math.max(1024, 2 * t.value.length, at + 1);
  const file = new Int32Array(size);
  file.set(t.file);
  const entry = new Int32Array(size);
  entry.set(t.entry);
  const value = new Float64Array(size);
  value.set(t.value);
  const timestamp = new Float64Array(size);
  timestamp.set(t.timestamp);
  t.file = file;
  t.entry = entry;
  t.value = value;
  t.timestamp = timestamp;
}

interface BucketGroup {
  /** Canonical text of the label set without `le`. */
  readonly key: string;
  readonly labels: Labels;
  readonly buckets: Map<number, Slot>;
  /** The bounds in order, and their slots in the same order (made again when a bound is added). */
  sortedBounds: number[] | undefined;
  sortedSlots: Slot[] | undefined;
  /** Read generation in which a bucket of the group was last touched, and the first such touch's order. */
  gen: number;
  seq: number;
  /** Attributes of `labels` (the `_count` sample's; MergeOptions.attributes), made on first use. */
  attributes?: Attributes;
  /** The `_sum` slot of the label set once found (null: none yet). */
  sum: Slot | null;
  /** Read generation in which the label set was last output. */
  emitted: number;
}

/** A gauge label set reduced over processes (min, max, sum modes), one per (family, sample key). */
interface Reduced {
  readonly name: string;
  readonly labels: Labels;
  value: number;
  gen: number;
  sample?: MergedSample;
  attributes?: Attributes;
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
   * shared non-bucket slots, gauge values, histogram bucket groups.
   */
  readonly touchedShared: Slot[];
  readonly touchedGauges: GaugeTouches;
  readonly touchedGroups: BucketGroup[];
}

/**
 * The slots of a keys array (the shared accumulators its entries add to, in
 * entry order), their ids as a typed array, and the read in which a file
 * with these keys was last added in full (every slot then touched: later
 * files of that read with the same keys only add).
 */
interface ResolvedKeys {
  readonly slots: Slot[];
  ids: Int32Array;
  added: number;
}
const EMPTY_IDS = new Int32Array(0);

/** A histogram key's bucket bound, and its label set without `le`. */
interface BucketInfo {
  readonly le: number;
  /** Canonical text of the label set without `le` (the key's labelsKey with the `le` pair cut out). */
  readonly group: string;
  readonly labels: Labels;
}

/** The bucket a key counts in; null when it has no `le` label. Made once per key (its slot is then kept). */
function bucketOf(key: ParsedKey): BucketInfo | null {
  const pairs = key.labels;
  for (let i = 0; i < pairs.length; i++) {
    if (pairs[i][0] !== 'le') continue;
    const labels = pairs.slice(0, i);
    for (let j = i + 1; j < pairs.length; j++) labels.push(pairs[j]);
    return { le: parseBound(pairs[i][1]), group: labelsKeyWithout(key, i), labels };
  }
  return null;
}


function isMostRecent(mode: GaugeMode | undefined): boolean {
  return mode === 'mostrecent' || mode === 'livemostrecent';
}

export class MergeEngine {
  private readonly families = new Map<string, Family>();
  /**
   * Slots of each counter, summary and histogram file's entries, by the
   * reader's keys array (stable while the file is unchanged, and shared by
   * files with the same keys): they add to shared slots whatever the process.
   */
  private readonly resolved = new WeakMap<readonly ParsedKey[], ResolvedKeys>();
  /** Shared slot of a key (counters, summaries, histograms): one lookup by object identity. */
  private readonly sharedSlot = new Map<ParsedKey, Slot>();
  /** Gauge series of each gauge keys array (shared by the processes whose files have those keys). */
  private readonly gaugeKeys = new WeakMap<readonly ParsedKey[], GaugeKeys>();
  /** Gauge series by parsed key. */
  private readonly gaugeSeries = new Map<ParsedKey, GaugeSeries>();
  /** Each process's gauge files, by keys array and pid. */
  private readonly gaugeFiles = new WeakMap<GaugeKeys, Map<string, GaugeFile>>();
  private markSeq = 0;
  /** The gauge families each process's files brought in the current read (to find a series written twice). */
  private readonly pidFamilies = new Map<string, { gen: number; families: Family[] }>();
  /** Rank labels each process carries on its own series (for per-rank gauges). */
  private readonly pidRanks = new Map<string, [string, string][]>();
  private gen = 0;
  private seq = 0;
  /** Every slot's value of the current read, by slot id (grown by doubling); and how many slots there are. */
  private slotValues = new Float64Array(1024);
  private slotCount = 0;
  /** Families touched by the current read, in order of first touch. */
  private touchedFamilies: Family[] = [];
  /** The gauge files of the current read in read order (GaugeTouches.file indexes it; entries past this read's are left over). */
  private readonly readGaugeFiles: GaugeFile[] = [];
  private readGaugeFileCount = 0;

  constructor(private readonly options: MergeOptions = {}) {}

  /** The attributes its samples carry (MergeOptions.attributes). */
  get attributes(): Attributes | undefined {
    return this.options.attributes;
  }

  /** Merges one read of a directory (files in sorted name order). */
  merge(files: readonly FileEntries[], formatBound: (b: number) => string): MergedFamily[] {
    return this.mergeRead(files, formatBound, false);
  }

  /**
   * One merge of an engine that is not used again: families in mode all or
   * liveall carry `perProcess` and make `samples` only when asked (the
   * engine's state, which they read, is never reset).
   */
  mergeOnce(files: readonly FileEntries[], formatBound: (b: number) => string): MergedFamily[] {
    return this.mergeRead(files, formatBound, true);
  }

  private mergeRead(files: readonly FileEntries[], formatBound: (b: number) => string, once: boolean): MergedFamily[] {
    this.gen++;
    this.seq = 0;
    this.touchedFamilies = [];
    this.readGaugeFileCount = 0;
    for (const f of files) {
      if (!this.pidRanks.has(f.file.pid)) this.learnRanks(f);
      if (f.file.kind === 'gauge') this.addGauge(f);
      else this.add(f);
    }
    return this.output(formatBound, once);
  }

  /** Marks a family touched by the current read (its touch lists start empty). */
  private touch(fam: Family): void {
    fam.gen = this.gen;
    fam.seq = ++this.seq;
    fam.touchedShared.length = 0;
    fam.touchedGroups.length = 0;
    fam.touchedGauges.n = 0;
    this.touchedFamilies.push(fam);
  }

  /** Counters, summaries, histograms: one addition per entry into a shared slot. */
  private add(f: FileEntries): void {
    const resolved = this.slotsOf(f);
    const { values } = f;
    const gen = this.gen;
    const sums = this.slotValues;
    if (resolved.added === gen) {
      // An earlier file of this read with the same keys touched every slot already: additions only.
      const ids = resolved.ids;
      for (let i = 0; i < ids.length; i++) sums[ids[i]] += values[i];
      return;
    }
    const slots = resolved.slots;
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i];
      const v = values[i];
      const fam = s.family;
      if (fam.gen !== gen) this.touch(fam);
      if (s.gen !== gen) {
        s.gen = gen;
        s.seq = ++this.seq;
        sums[s.id] = v;
        const group = s.group;
        if (group === undefined) fam.touchedShared.push(s);
        else if (group.gen !== gen) {
          group.gen = gen;
          group.seq = s.seq;
          fam.touchedGroups.push(group);
        }
        continue;
      }
      sums[s.id] += v;
    }
    resolved.added = gen;
  }

  /** Gauges: each entry's value is noted where it stands (file and entry); modes are applied at output. */
  private addGauge(f: FileEntries): void {
    const keys = this.gaugeKeysOf(f);
    const file = this.readGaugeFileCount++;
    this.readGaugeFiles[file] = this.gaugeFileOf(keys, f.file.pid);
    const gen = this.gen;
    // The mode of the last file read wins (prometheus_client keeps the last one it reads).
    for (const fam of keys.families) {
      fam.mode = f.file.mode;
      if (fam.gen !== gen) this.touch(fam);
    }
    const { values, timestamps } = f;
    const series = keys.series;
    const n = series.length;
    const written = this.writtenBefore(f.file.pid, keys);
    for (let i = 0; i < n; i++) {
      const t = series[i].family.touchedGauges;
      if (written !== undefined) {
        const at = written.get(series[i]);
        if (at !== undefined) {
          // one process's series written twice: the later entry, or for mostrecent the strictly newer timestamp
          if (!isMostRecent(series[i].family.mode) || t.timestamp[at] < timestamps[i]) {
            t.value[at] = values[i];
            t.timestamp[at] = timestamps[i];
          }
          continue;
        }
        written.set(series[i], t.n);
      }
      const at = t.n++;
      if (at >= t.value.length) roomFor(t, at);
      t.file[at] = file;
      t.entry[at] = i;
      t.value[at] = values[i];
      t.timestamp[at] = timestamps[i];
    }
  }

  /**
   * Undefined when no series of `keys` can have been written by `pid` already
   * in this read (the usual case: the process's earlier gauge files hold
   * other families, and the keys repeat no series); otherwise where each
   * series this process wrote stands in its family's touches.
   */
  private writtenBefore(pid: string, keys: GaugeKeys): Map<GaugeSeries, number> | undefined {
    let state = this.pidFamilies.get(pid);
    if (state === undefined) this.pidFamilies.set(pid, (state = { gen: this.gen, families: [] }));
    else if (state.gen !== this.gen) {
      state.gen = this.gen;
      state.families.length = 0;
    }
    let overlap = keys.repeats;
    for (const fam of keys.families) {
      if (state.families.includes(fam)) overlap = true;
      else state.families.push(fam);
    }
    if (!overlap) return undefined;
    const written = new Map<GaugeSeries, number>();
    for (const fam of keys.families) {
      const t = fam.touchedGauges;
      for (let j = 0; j < t.n; j++) if (t.files[t.file[j]].pid === pid) written.set(seriesAt(t, j), j);
    }
    return written;
  }

  /** The gauge series of a file's keys, resolving only keys not seen before. */
  private gaugeKeysOf(f: FileEntries): GaugeKeys {
    let keys = this.gaugeKeys.get(f.keys);
    if (keys === undefined) {
      // A file that grew out of a shared template starts from the template's series.
      const base = f.copiedFrom ? this.gaugeKeys.get(f.copiedFrom) : undefined;
      keys = { series: base ? base.series.slice() : [], base, families: base ? base.families.slice() : [], repeats: base ? base.repeats : false };
      this.gaugeKeys.set(f.keys, keys);
    }
    const from = keys.series.length;
    if (from < f.keys.length) {
      for (let i = from; i < f.keys.length; i++) {
        const s = this.seriesOf(f.file, f.keys[i]);
        keys.series.push(s);
        if (!keys.families.includes(s.family)) keys.families.push(s.family);
      }
      const mark = ++this.markSeq;
      let repeats = false;
      for (const s of keys.series) {
        if (s.mark === mark) repeats = true;
        s.mark = mark;
      }
      keys.repeats = repeats;
    }
    return keys;
  }

  private gaugeFileOf(keys: GaugeKeys, pid: string): GaugeFile {
    let byPid = this.gaugeFiles.get(keys);
    if (byPid === undefined) this.gaugeFiles.set(keys, (byPid = new Map()));
    let file = byPid.get(pid);
    if (file === undefined) {
      // A file that grew out of a template keeps the outputs made for it so far (same labels, samples while
      // unchanged): moved to the grown keys, not copied (the process's file no longer has the old keys).
      const grewFrom = keys.base ? this.gaugeFiles.get(keys.base) : undefined;
      const before = grewFrom?.get(pid);
      if (before !== undefined) {
        grewFrom!.delete(pid);
        before.keys = keys;
        file = before;
      } else file = { keys, pid, outLabels: [], outAttributes: [], samples: [] };
      byPid.set(pid, file);
    }
    return file;
  }

  private seriesOf(file: DbFileName, key: ParsedKey): GaugeSeries {
    let s = this.gaugeSeries.get(key);
    if (s === undefined) {
      const family = this.familyOf(file, key);
      family.mode = file.mode;
      // A gauge's samples are named as its family: one string for all of them (compared sample after sample downstream).
      const name = key.sampleName === family.name ? family.name : key.sampleName;
      this.gaugeSeries.set(key, (s = { family, name, labels: key.labels, sampleKey: key.sampleKey, reduced: undefined, mark: 0 }));
    }
    return s;
  }

  /** The slots of a counter, summary or histogram file's entries, resolving only entries not seen before. */
  private slotsOf(f: FileEntries): ResolvedKeys {
    let resolved = this.resolved.get(f.keys);
    if (!resolved) {
      // A file that grew out of a shared template starts from the template's resolved slots.
      const base = f.copiedFrom ? this.resolved.get(f.copiedFrom) : undefined;
      resolved = { slots: base ? base.slots.slice() : [], ids: EMPTY_IDS, added: 0 };
      this.resolved.set(f.keys, resolved);
    }
    const slots = resolved.slots;
    if (slots.length < f.keys.length) {
      for (let i = slots.length; i < f.keys.length; i++) slots.push(this.resolve(f.file, f.keys[i]));
      resolved.added = 0;
    }
    if (resolved.ids.length !== slots.length) {
      const ids = new Int32Array(slots.length);
      for (let i = 0; i < ids.length; i++) ids[i] = slots[i].id;
      resolved.ids = ids;
    }
    return resolved;
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
    let slot = this.sharedSlot.get(key);
    if (slot === undefined) this.sharedSlot.set(key, (slot = this.createSlot(file, key)));
    return slot;
  }

  private familyOf(file: DbFileName, key: ParsedKey): Family {
    let fam = this.families.get(key.metricName);
    if (!fam) {
      fam = { name: key.metricName, type: file.kind, help: key.help, slots: new Map(), groups: new Map(), reduced: new Map(), gen: 0, seq: 0, touchedShared: [], touchedGauges: { n: 0, files: this.readGaugeFiles, file: new Int32Array(0), entry: new Int32Array(0), value: new Float64Array(0), timestamp: new Float64Array(0) }, touchedGroups: [] };
      this.families.set(key.metricName, fam);
    }
    return fam;
  }

  /** A new slot's id, with room for its value. */
  private slotId(): number {
    const id = this.slotCount++;
    if (id >= this.slotValues.length) {
      const grown = new Float64Array(2 * this.slotValues.length);
      grown.set(this.slotValues);
      this.slotValues = grown;
    }
    return id;
  }

  private createSlot(file: DbFileName, key: ParsedKey): Slot {
    const fam = this.familyOf(file, key);
    if (fam.type === 'histogram') {
      const b = bucketOf(key);
      if (b) {
        let group = fam.groups.get(b.group);
        if (!group) fam.groups.set(b.group, (group = { key: b.group, labels: b.labels, buckets: new Map(), sortedBounds: undefined, sortedSlots: undefined, gen: 0, seq: 0, attributes: undefined, sum: null, emitted: 0 }));
        let slot = group.buckets.get(b.le);
        if (!slot) {
          slot = makeSlot(fam, `${fam.name}_bucket`, b.labels, b.group, b.group, group, this.slotId());
          group.buckets.set(b.le, slot);
          group.sortedBounds = undefined;
        }
        return slot;
      }
    }
    let slot = fam.slots.get(key.sampleKey);
    if (!slot) {
      slot = makeSlot(fam, key.sampleName, key.labels, key.sampleKey, key.labelsKey, undefined, this.slotId());
      fam.slots.set(key.sampleKey, slot);
    }
    return slot;
  }

  private output(formatBound: (b: number) => string, once: boolean): MergedFamily[] {
    const gen = this.gen;
    const out: MergedFamily[] = [];
    for (const fam of this.touchedFamilies) {
      if (once && fam.type === 'gauge' && (fam.mode === 'all' || fam.mode === 'liveall' || fam.mode === undefined)) {
        out.push(perProcessFamily(fam, gen));
        continue;
      }
      let samples: MergedSample[];
      const extra = this.options.attributes;
      if (fam.type === 'gauge' && isMostRecent(fam.mode)) samples = this.mostRecent(fam);
      else if (fam.type === 'gauge') samples = reduceGauges(fam, gen, extra);
      else if (fam.type === 'histogram') {
        const histograms: HistogramGroup[] | undefined = extra === undefined ? undefined : [];
        const others = histogramSamples(fam, gen, formatBound, extra, this.slotValues, (samples = []), histograms);
        out.push({ name: fam.name, type: fam.type, help: fam.help, mode: fam.mode, samples, histograms: others ? undefined : histograms });
        continue;
      }
      else samples = fam.touchedShared.map((s) => sampleOf(s, s.name, s.labels, this.slotValues[s.id], extra));
      out.push({ name: fam.name, type: fam.type, help: fam.help, mode: fam.mode, samples });
    }
    return out;
  }

  /** mostrecent: per label set the greatest timestamp (ties: first read); per rank when asked. */
  private mostRecent(fam: Family): MergedSample[] {
    const t = fam.touchedGauges;
    const bySample = new Map<string, number[]>();
    for (let j = 0; j < t.n; j++) {
      if (!(t.timestamp[j] > 0)) continue; // never set
      const key = seriesAt(t, j).sampleKey;
      let list = bySample.get(key);
      if (!list) bySample.set(key, (list = []));
      list.push(j); // in read order: the touches are
    }
    /** `series`: the series whose labels the sample has (undefined for per-rank labels, made here). */
    const chosen: { at: number; labels: Labels; series: GaugeSeries | undefined }[] = [];
    for (const list of bySample.values()) {
      const series = seriesAt(t, list[0]);
      const perRank = this.options.perRankMostRecent ? this.byRank(t, list) : undefined;
      if (!perRank || perRank.size < 2) {
        chosen.push({ at: latest(t, list), labels: series.labels, series });
        continue;
      }
      for (const [, { extra, touches }] of perRank) chosen.push({ at: latest(t, touches), labels: [...series.labels, ...extra], series: undefined });
    }
    // prometheus_client inserts a mostrecent sample when a timestamp first beats 0: the first writer in read order
    const extra = this.options.attributes;
    return chosen.sort((a, b) => a.at - b.at).map(({ at, labels, series }) => ({ name: seriesAt(t, at).name, labels, value: t.value[at], attributes: series && extra ? (series.attributes ??= labelsToAttributes(labels, extra)) : undefined }));
  }

  /** Writers of one label set grouped by rank identity (rank labels not already in the set, or pid). */
  private byRank(t: GaugeTouches, list: number[]): Map<string, { extra: [string, string][]; touches: number[] }> {
    const out = new Map<string, { extra: [string, string][]; touches: number[] }>();
    for (const j of list) {
      const pid = t.files[t.file[j]].pid;
      const labels = seriesAt(t, j).labels;
      const own = (this.pidRanks.get(pid) ?? []).filter(([name]) => !labels.some(([l]) => l === name));
      const extra: [string, string][] = own.length ? own : [['pid', pid]];
      const id = extra.map(([n, v]) => `${n}\u0000${v}`).join('\u0001');
      let g = out.get(id);
      if (!g) out.set(id, (g = { extra, touches: [] }));
      g.touches.push(j);
    }
    return out;
  }
}

/** The series of touch `j`. */
function seriesAt(t: GaugeTouches, j: number): GaugeSeries {
  return t.files[t.file[j]].keys.series[t.entry[j]];
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
function makeSlot(family: Family, name: string, labels: Labels, sampleKey: string, labelsKey: string, group: BucketGroup | undefined, id: number): Slot {
  return { family, name, labels, sampleKey, labelsKey, id, gen: 0, seq: 0, outLabels: undefined, group, sample: undefined, attributes: undefined };
}

/**
 * The sample to output for `holder` (a slot or a reduced label set): the one
 * given last time while name, labels and value are unchanged, else a new one
 * (samples are read-only once output).
 */
function sampleOf(holder: { sample?: MergedSample; attributes?: Attributes }, name: string, labels: Labels, value: number, extra: Attributes | undefined): MergedSample {
  const last = holder.sample;
  if (last !== undefined && last.value === value && last.labels === labels && last.name === name) return last;
  return (holder.sample = { name, labels, value, attributes: extra === undefined ? undefined : (holder.attributes ??= labelsToAttributes(labels, extra)) });
}

/** Gauges in the modes all, min, max and sum, from each process's value, in read order (`extra`: MergeOptions.attributes). */
function reduceGauges(fam: Family, gen: number, extra: Attributes | undefined): MergedSample[] {
  const t = fam.touchedGauges;
  const n = t.n;
  const mode = fam.mode ?? 'all';
  if (mode === 'all' || mode === 'liveall') {
    const out = new Array<MergedSample>(n);
    for (let j = 0; j < n; j++) {
      const file = t.files[t.file[j]];
      const i = t.entry[j];
      const value = t.value[j];
      // Entry i of a file's keys is always the same series: its last sample holds while its value is the same.
      const last = file.samples[i];
      if (last !== undefined && last.value === value) {
        out[j] = last;
        continue;
      }
      const s = file.keys.series[i];
      const labels = (file.outLabels[i] ??= withLabel(s.labels, pidLabel(file.pid)));
      out[j] = file.samples[i] = { name: s.name, labels, value, attributes: extra === undefined ? undefined : (file.outAttributes[i] ??= labelsToAttributes(labels, extra)) };
    }
    return out;
  }
  const isMin = mode === 'min' || mode === 'livemin';
  const isMax = mode === 'max' || mode === 'livemax';
  const merged: Reduced[] = [];
  for (let j = 0; j < n; j++) {
    const s = seriesAt(t, j);
    const v = t.value[j];
    let r = s.reduced;
    if (r === undefined) {
      r = fam.reduced.get(s.sampleKey);
      if (r === undefined) fam.reduced.set(s.sampleKey, (r = { name: s.name, labels: s.labels, value: 0, gen: 0, sample: undefined }));
      s.reduced = r;
    }
    if (r.gen !== gen) {
      r.gen = gen;
      r.value = v;
      merged.push(r);
    } else if (isMin) {
      if (v < r.value) r.value = v; // comparisons as Python's (NaN never replaces)
    } else if (isMax) {
      if (v > r.value) r.value = v;
    } else r.value += v;
  }
  return merged.map((r) => sampleOf(r, r.name, r.labels, r.value, extra));
}

/** A family in mode all or liveall whose samples are made on first use; `perProcess` reads the touches. */
function perProcessFamily(fam: Family, gen: number): MergedFamily {
  const t = fam.touchedGauges;
  const perProcess: ProcessValues = {
    length: t.n,
    series: (j) => seriesAt(t, j),
    pid: (j) => t.files[t.file[j]].pid,
    value: (j) => t.value[j],
  };
  let samples: MergedSample[] | undefined;
  return {
    name: fam.name,
    type: fam.type,
    help: fam.help,
    mode: fam.mode,
    perProcess,
    get samples() {
      return (samples ??= reduceGauges(fam, gen, undefined));
    },
  };
}

/** The touch with the greatest timestamp among `list`; the first in read order on ties. */
function latest(t: GaugeTouches, list: readonly number[]): number {
  let best = list[0];
  for (const j of list) if (t.timestamp[best] < t.timestamp[j]) best = j;
  return best;
}

/**
 * Per label set into `out`: `_sum`, the cumulative buckets by bound,
 * `_count` (the +Inf total). With `histograms`, each label set is also
 * pushed there as the conversion takes it. True when the family holds other
 * samples too (only `out` shows those).
 */
function histogramSamples(fam: Family, gen: number, formatBound: (b: number) => string, extra: Attributes | undefined, sums: Float64Array, out: MergedSample[], histograms: HistogramGroup[] | undefined): boolean {
  let others = false;
  // A label set is output once a read: where its _sum stood, or (no _sum) where its first bucket was touched.
  const emitGroup = (group: BucketGroup | undefined, sum: Slot | undefined) => {
    if (group !== undefined) {
      if (group.emitted === gen) return;
      group.emitted = gen;
      // (looked up again while none: a process may write the _sum after the buckets)
      if (group.sum === null) group.sum = fam.slots.get(sampleKeyOf(`${fam.name}_sum`, group.key)) ?? null;
      sum = group.sum ?? undefined;
    }
    const sumSample = sum !== undefined && sum.gen === gen ? sampleOf(sum, sum.name, sum.labels, sums[sum.id], extra) : undefined;
    if (sumSample) out.push(sumSample);
    if (!group) {
      // A _sum without buckets: its labels are the label set's.
      if (histograms && sumSample) histograms.push({ labels: sumSample.labels, attributes: sumSample.attributes, sum: sumSample.value, count: 0, les: [], cumulative: [] });
      return;
    }
    if (group.sortedBounds === undefined || group.sortedSlots === undefined) {
      const bounds: number[] = [];
      group.buckets.forEach((_slot, b) => bounds.push(b));
      bounds.sort((a, b) => a - b);
      group.sortedBounds = bounds;
      group.sortedSlots = bounds.map((b) => group.buckets.get(b)!);
    }
    const bounds = group.sortedBounds;
    const slots = group.sortedSlots;
    let acc = 0;
    let any = false;
    const les: number[] = [];
    const cumulative: number[] = [];
    for (let k = 0; k < bounds.length; k++) {
      const bound = bounds[k];
      const slot = slots[k];
      if (slot.gen !== gen) continue;
      any = true;
      acc += sums[slot.id];
      out.push(sampleOf(slot, slot.name, (slot.outLabels ??= withLabel(group.labels, ['le', formatBound(bound)])), acc, extra));
      les.push(bound);
      cumulative.push(acc);
    }
    const attributes = extra === undefined ? undefined : (group.attributes ??= labelsToAttributes(group.labels, extra));
    if (any) out.push({ name: `${fam.name}_count`, labels: group.labels, value: acc, attributes });
    // The label set as the conversion of the samples groups it: by its _sum's labels when there is one (the first sample of the set).
    if (histograms) histograms.push({ labels: sumSample ? sumSample.labels : group.labels, attributes: sumSample ? sumSample.attributes : attributes, sum: sumSample ? sumSample.value : 0, count: acc, les, cumulative });
  };
  // Groups are emitted where their _sum stood (prometheus_client's order), else after the other samples in order of first touch.
  const sumName = `${fam.name}_sum`;
  for (const s of fam.touchedShared) {
    if (s.name === sumName) {
      const group = fam.groups.get(s.labelsKey);
      emitGroup(group, group === undefined ? s : undefined);
    } else {
      others = true;
      out.push(sampleOf(s, s.name, s.labels, sums[s.id], extra));
    }
  }
  for (const g of fam.touchedGroups) emitGroup(g, undefined);
  return others;
}

/** One-shot merge of files read in sorted order. */
export function mergeFiles(files: readonly FileEntries[], formatBound: (b: number) => string, options: MergeOptions = {}): MergedFamily[] {
  return new MergeEngine(options).mergeOnce(files, formatBound);
}
