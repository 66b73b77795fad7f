import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Consumer, CreateSettings, Receiver } from '../../component/contracts.js';
import { countPoints, type Attributes, type Metric } from '../../model/metrics.js';
import type { Cell } from '../../telemetry/self-telemetry.js';
import type { MultiprocConfig } from './config.js';
import { diagnoseMissing, diagnoseReading, type Diagnosis } from './diagnose.js';
import type { DbFileName } from './filename.js';
import { resolveDirectories } from './directories.js';
import { MergeEngine, type FileEntries } from './merge.js';
import { floatToGoString } from '../../encoding/python-float.js';
import { MultiprocReader, SKIP_REASONS, type SkipReason } from './reader.js';
import { processRanksMetric } from './process-ranks.js';
import { CumulativeClock, familiesToMetrics } from './to-metrics.js';

/**
 * Reads prometheus_client multiprocess directories every `interval` and
 * sends their merged metrics downstream: the /metrics that sgl.Engine lacks.
 * Damaged files are skipped and counted, missing directories waited for,
 * and what is wrong is diagnosed once, with its fix.
 */
export class MultiprocReceiver implements Receiver {
  private readonly reader: MultiprocReader;
  private readonly clocks = new Map<string, CumulativeClock>();
  private readonly engines = new Map<string, MergeEngine>();
  private readonly subdirAttributes = new Map<string, { base: Attributes; attributes: Attributes }>();
  /** Each directory's counter, histogram and summary files as last read, in read order. */
  private readonly cumulativeFiles = new Map<string, DbFileName[]>();
  private readonly warnedFiles = new Set<string>();
  private readonly active = new Map<string, Diagnosis>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly cells: Record<'accepted' | 'files' | 'entries' | 'keys' | 'readSeconds' | 'mappedFiles' | 'mappedBytes', Cell>;
  private readonly skippedCells = new Map<SkipReason, Cell>();

  constructor(
    private readonly settings: CreateSettings,
    private readonly config: MultiprocConfig,
    private readonly next: Consumer,
  ) {
    this.reader = new MultiprocReader(config.layout, config.fileAccess);
    if (this.reader.mmapProblem) settings.logger.info('multiprocess files are read with read(2), not memory-mapped (slower at every read)', { receiver: settings.id, why: this.reader.mmapProblem });
    const t = settings.telemetry;
    const labels = { receiver: settings.id };
    this.cells = {
      accepted: t.receiverAccepted(settings.id),
      files: t.gauge('bridge_multiproc_files', 'Multiprocess .db files read in the last pass.', labels),
      entries: t.gauge('bridge_multiproc_entries', 'Entries (series values) read in the last pass.', labels),
      keys: t.gauge('bridge_multiproc_cached_keys', 'Parsed keys held in memory (bounded by the distinct series).', labels),
      readSeconds: t.gauge('bridge_multiproc_read_seconds', 'Seconds the last pass took (read, merge, convert).', labels),
      mappedFiles: t.gauge('bridge_multiproc_mapped_files', 'Files kept memory-mapped between passes (file_access mmap).', labels),
      mappedBytes: t.gauge('bridge_multiproc_mapped_bytes', 'Bytes of the files kept memory-mapped (their sizes; only the pages read count in RSS, as shared file pages).', labels),
    };
    for (const reason of SKIP_REASONS) this.skippedCells.set(reason, t.gauge('bridge_multiproc_skipped_files', 'Files skipped in the last pass, by reason (their data is missing; the rest is served).', { ...labels, reason }));
  }

  async start(): Promise<void> {
    if (this.timer || this.stopped) return;
    this.timer = setInterval(() => this.poll(), this.config.intervalMs);
    this.timer.unref();
    setImmediate(() => this.poll());
  }

  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.reader.close();
  }

  /** One pass over every directory; sends one batch. */
  poll(): void {
    if (this.stopped) return;
    const started = performance.now();
    const now = this.settings.now();
    const metrics: Metric[] = [];
    const found: Diagnosis[] = [];
    const skippedNow = new Map<SkipReason, number>();
    /** Directories found this pass (read or not): state is kept for these only. */
    const present = new Set<string>();
    let files = 0;
    let entries = 0;
    this.config.directories.forEach((dir, index) => {
      const resolved = resolveDirectories(dir.path, index);
      if (!resolved.length) {
        if (!/[*?]/.test(dir.path) && !existsSync(dir.path)) found.push(diagnoseMissing(dir.path));
        return;
      }
      const perRank = this.config.perRankGauges === 'on' || (this.config.perRankGauges === 'auto' && dir.sglang);
      for (const { path: d } of resolved) {
        present.add(d);
        let reading;
        try {
          reading = this.reader.read(d);
        } catch (err) {
          this.settings.logger.warn('cannot list a multiprocess directory; will try again', { directory: d, error: err });
          continue;
        }
        for (const s of reading.skipped) {
          skippedNow.set(s.reason, (skippedNow.get(s.reason) ?? 0) + 1);
          const key = `${s.file}:${s.reason}`;
          if (!this.warnedFiles.has(key)) {
            this.warnedFiles.add(key);
            this.settings.logger.warn('skipped a multiprocess file; everything else is served', { file: s.file, reason: s.reason, detail: s.detail });
          }
        }
        const attributes = resolved.length > 1 ? this.subdirectoryAttributes(dir.attributes, d) : dir.attributes;
        const engine = this.engine(d, perRank, attributes);
        const families = engine.merge(reading.files, floatToGoString);
        metrics.push(...familiesToMetrics(families, attributes, now, this.clock(d), this.lostCumulativeFile(d, reading.files)));
        const ranks = processRanksMetric(engine.processRanks, attributes, now);
        if (ranks) metrics.push(ranks);
        found.push(...diagnoseReading(d, reading, families, dir.sglang));
        files += reading.files.length;
        entries += reading.entries;
      }
    });
    for (const d of [...this.engines.keys()]) if (!present.has(d)) this.forgetDirectory(d);
    for (const clock of this.clocks.values()) clock.sweep();
    this.reader.pruneKeys();
    this.report(found);
    for (const [reason, cell] of this.skippedCells) cell.value = skippedNow.get(reason) ?? 0;
    this.cells.files.value = files;
    this.cells.entries.value = entries;
    this.cells.keys.value = this.reader.keyCount;
    const mappings = this.reader.mappings;
    this.cells.mappedFiles.value = mappings.files;
    this.cells.mappedBytes.value = mappings.bytes;
    this.cells.readSeconds.value = (performance.now() - started) / 1000;
    if (!metrics.length) return;
    this.cells.accepted.value += countPoints(metrics);
    this.next.consume({ metrics });
  }

  /**
   * The configured attributes plus `multiproc_dir` for one of several
   * directories found under a configured path: the same object pass after
   * pass (series keys and rendered labels are cached per attributes object).
   */
  private subdirectoryAttributes(base: Attributes, dir: string): Attributes {
    const known = this.subdirAttributes.get(dir);
    if (known && known.base === base) return known.attributes;
    const attributes = { ...base, multiproc_dir: path.basename(dir) };
    this.subdirAttributes.set(dir, { base, attributes });
    return attributes;
  }

  /**
   * Drops what was kept for a directory that is gone (a parent's
   * sub-directory of an engine that stopped, say): its merge state, clocks,
   * attributes and the reader's cached files. Long-lived bridges watching a
   * parent of short-lived directories keep bounded memory.
   */
  private forgetDirectory(dir: string): void {
    this.engines.delete(dir);
    this.clocks.delete(dir);
    this.cumulativeFiles.delete(dir);
    this.subdirAttributes.delete(dir);
    this.reader.forgetDirectory(dir);
  }

  /**
   * One merge engine per directory, kept between reads (the steady state
   * costs one addition per entry); it makes the samples' attributes, so a
   * directory whose attributes object changed gets a new one.
   */
  private engine(dir: string, perRank: boolean, attributes: Attributes): MergeEngine {
    let e = this.engines.get(dir);
    if (!e || e.attributes !== attributes) this.engines.set(dir, (e = new MergeEngine({ perRankMostRecent: perRank, attributes })));
    return e;
  }

  private clock(dir: string): CumulativeClock {
    let c = this.clocks.get(dir);
    if (!c) this.clocks.set(dir, (c = new CumulativeClock()));
    return c;
  }

  /** True when a counter, histogram or summary file present last time is gone: the sums went back. */
  private lostCumulativeFile(dir: string, files: readonly FileEntries[]): boolean {
    // The reader gives each file name's parse as one object read after read: compared by identity, no string per file.
    const now: DbFileName[] = [];
    for (const f of files) if (f.file.kind !== 'gauge') now.push(f.file);
    const before = this.cumulativeFiles.get(dir);
    this.cumulativeFiles.set(dir, now);
    if (!before) return false;
    // The usual pass: the same files in the same (sorted) order; only otherwise is each looked up.
    if (before.length === now.length && before.every((f, i) => now[i] === f)) return false;
    const present = new Set(now);
    return before.some((f) => !present.has(f));
  }

  /** Logs each new diagnosis once, with its fix; bridge_diagnostic{code} is 1 while it holds. */
  private report(found: Diagnosis[]): void {
    const codes = new Set(found.map((d) => d.code));
    for (const d of found) {
      if (!this.active.has(d.code)) this.settings.logger.warn(`diagnosis ${d.code}: ${d.message}`, { fix: d.fix });
      this.active.set(d.code, d);
      this.settings.telemetry.gauge('bridge_diagnostic', 'A known problem the bridge sees (1 while it holds); the log says what to do.', { receiver: this.settings.id, code: d.code }).value = 1;
    }
    for (const code of [...this.active.keys()]) {
      if (codes.has(code)) continue;
      this.active.delete(code);
      this.settings.telemetry.gauge('bridge_diagnostic', 'A known problem the bridge sees (1 while it holds); the log says what to do.', { receiver: this.settings.id, code }).value = 0;
      this.settings.logger.info(`diagnosis ${code} no longer holds`);
    }
  }

  /** Diagnoses that hold now (for the doctor and tests). */
  diagnoses(): Diagnosis[] {
    return [...this.active.values()];
  }
}
