import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import { detectLayout, readUsed, walkEntries, type Layout } from './db-file.js';
import { DirectoryListings } from './directory-listings.js';
import { parseDbFileName, type DbFileName } from './filename.js';
import { parseKey, type ParsedKey } from './key.js';
import { errnoName, FileBatch, MappedFiles, nativeMaps, type InPlace, type Mapping } from './mapped-files.js';
import type { FileEntries } from './merge.js';

/**
 * Reads one multiprocess directory again and again, cheaply: entries never
 * move and keys never change, so each file's entries are located and their
 * keys parsed once; later reads take the values and only walk what was
 * appended since. Parsed keys are shared across files (every process writes
 * the same keys). A damaged file is skipped and reported by reason; the
 * others are served.
 */
export type SkipReason = 'empty' | 'truncated' | 'corrupt' | 'bad_key' | 'vanished' | 'unknown_prefix' | 'layout' | 'read_error';
export const SKIP_REASONS: readonly SkipReason[] = ['empty', 'truncated', 'corrupt', 'bad_key', 'vanished', 'unknown_prefix', 'layout', 'read_error'];

/**
 * How files are read: `mmap` keeps them mapped between reads (the native
 * module native/mapped_file.node), `read` reads them with read(2) every time,
 * `auto` maps them when the native module is built.
 */
export type FileAccess = 'auto' | 'mmap' | 'read';

interface FileReading {
  readonly entries: FileEntries;
  readonly parsed: number;
  readonly bytes: number;
  readonly layout: Layout;
}

export interface SkippedFile {
  readonly file: string;
  readonly reason: SkipReason;
  readonly detail: string;
}

export interface DirectoryReading {
  /**
   * Files read, in sorted name order (prometheus_client's order for
   * deterministic output). Their `values` and `timestamps` arrays are the
   * reader's own, reused by its next read: use them before reading again.
   */
  readonly files: FileEntries[];
  readonly skipped: SkippedFile[];
  readonly entries: number;
  /** Entries new to the reader's cache in this read: parsed, or taken from a template file (0 in a steady state without appends). */
  readonly parsedEntries: number;
  readonly layouts: Record<Layout, number>;
  readonly bytesRead: number;
}

/** A key met at an entry index: its bytes (arena[at, at + length)) and its parse. */
interface Candidate {
  readonly arena: Buffer;
  readonly at: number;
  readonly length: number;
  readonly key: ParsedKey;
}
const ARENA = 1 << 16;

/** Distinct keys remembered per entry index (label variants such as tp_rank). */
const MAX_CANDIDATES = 16;

interface CachedFile {
  ino: number;
  layout: Layout;
  used: number;
  keys: ParsedKey[];
  valueOffsets: number[];
  /** keys and valueOffsets are a template's (shared): copy before appending. */
  shared: boolean;
  /** The template keys array this file's keys were copied from (its prefix), once it grew. */
  copiedFrom?: ParsedKey[];
  /**
   * The file's values (and timestamps) as last read, refilled in place by
   * every read: views of `keys.length` entries over storage with room to
   * grow, so that appends rarely allocate. Legacy files have no timestamps:
   * theirs is a view of zeros shared by all of them.
   */
  values?: Float64Array;
  timestamps?: Float64Array;
  /** Entries `values` (and `timestamps`) have storage for. */
  room?: number;
  /** The last read's result while it still describes the file (its arrays are the ones above); cleared when they change. */
  reading?: FileReading;
}

/** A cached file with nothing read into it yet; every cached file has all the fields, in this order (one object shape). */
function cachedFile(ino: number, layout: Layout, used: number, keys: ParsedKey[], valueOffsets: number[], shared: boolean): CachedFile {
  return { ino, layout, used, keys, valueOffsets, shared, copiedFrom: undefined, values: undefined, timestamps: undefined, room: undefined, reading: undefined };
}

/**
 * `n` values of storage with room for `room`: a view of `old` (whose room is
 * `oldRoom`) while that suffices, else a new region. Regions are carved from
 * shared slabs of SLAB doubles (one allocation for many files instead of one
 * each); a region given up stays in its slab until no file uses the slab.
 */
const SLAB = 1 << 17;
let slab = new Float64Array(SLAB);
let slabUsed = 0;
function grown(old: Float64Array | undefined, oldRoom: number, n: number, room: number): Float64Array {
  if (old !== undefined && n <= oldRoom) return new Float64Array(old.buffer, old.byteOffset, n);
  if (room > SLAB / 4) return new Float64Array(room).subarray(0, n);
  if (slabUsed + room > SLAB) {
    slab = new Float64Array(SLAB);
    slabUsed = 0;
  }
  const out = new Float64Array(slab.buffer, slabUsed * 8, n);
  slabUsed += room;
  return out;
}

/** Values are read through a Float64Array over the read buffer: platform byte order must be the files' (little-endian). */
const LITTLE_ENDIAN = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f;

/** A parsed file whose key layout other processes' files repeat byte for byte. */
interface Template {
  /** The file's first `used` bytes with every value (and timestamp) field zeroed. */
  readonly bytes: Buffer;
  readonly file: CachedFile;
}

/** Where a file's templates are kept: by kind, mode and size (made only for files read for the first time). */
function templateKey(name: DbFileName, used: number): string {
  return `${name.kind}_${name.mode ?? ''}_${used}`;
}

/** Templates kept per (kind, mode, used): label variants such as tp_rank. */
const MAX_TEMPLATES = 16;

/**
 * How files sharing one keys array grew last: processes of one program touch
 * the same new series between two reads, so they append the same keys. The
 * appended bytes of the first file to grow (value fields zeroed) and the keys
 * and offsets it ended with; a file with the same keys that appended the
 * same bytes takes those arrays instead of walking and looking up each new
 * entry, and the files keep sharing one keys array (which the merge engine's
 * caches are keyed by) read after read.
 */
interface Growth {
  readonly fromUsed: number;
  /** Bytes [fromUsed, toUsed) of the first file that grew this way, value fields zeroed. */
  readonly bytes: Buffer;
  readonly keys: ParsedKey[];
  readonly valueOffsets: number[];
}

/** Growths kept per keys array. */
const MAX_GROWTHS = 16;

export class MultiprocReader {
  private readonly files = new Map<string, CachedFile>();
  /**
   * The `.db` names each directory listed, with their paths and what the
   * names say, made once per name; `pass` is the read that last listed it
   * (names not listed by the current read are files gone).
   */
  private readonly listed = new Map<string, Map<string, { readonly name: string; readonly file: string; readonly parsed: DbFileName | { problem: string }; pass: number }>>();
  private passes = 0;
  /** Each directory's last listing, kept while the directory is unchanged. */
  private readonly listings: DirectoryListings;
  /** Key text -> parsed key, shared by every file of every directory this reader reads. */
  private readonly keys = new Map<string, ParsedKey>();
  /**
   * Keys met at each entry index, as bytes: processes of one program write
   * the same keys in the same order, so a new file's key is usually found by
   * comparing bytes with these (no string made, no hashing).
   */
  private byIndex: Candidate[][] = [];
  /** Where candidates' key bytes are kept: appended to, a new one when full (no Buffer object per key). */
  private arena = Buffer.alloc(ARENA);
  private arenaUsed = 0;
  private lastCandidate = 0;
  /** A cached file went away since the last pruneKeys(). */
  private filesDropped = false;
  /**
   * Files of one program's processes hold the same keys at the same offsets;
   * only values differ. A new file equal to a template outside its value
   * fields takes the template's parsed keys without walking or parsing.
   */
  private templates = new Map<string, Template[]>();
  /** Growths by the keys array the files grew from (forgotten with it). */
  private growths = new WeakMap<readonly ParsedKey[], Growth[]>();
  /** The read buffer (8-byte aligned: its own ArrayBuffer) and a float64 view of it; values sit at multiples of 8. */
  private buffer = Buffer.alloc(1 << 16);
  private doubles = new Float64Array(this.buffer.buffer, this.buffer.byteOffset, this.buffer.length >> 3);
  /** Value fields set aside while a file is compared with a template. */
  private saved = new Float64Array(1024);
  /** Zeros: the timestamps of legacy-layout files (never written). */
  private zeros = new Float64Array(1024);

  /** The files kept mapped between reads (access mmap). */
  private readonly mapped: MappedFiles | undefined;
  /**
   * The native module's functions (files read in batches, values taken and
   * files compared in C) when it is loaded; else everything is done here.
   */
  private readonly native: MappedFiles | undefined;
  /** Files read by the native module in one call (access read): which names of which directory the batch holds. */
  private batch: { files: FileBatch; dir: string; names: readonly string[]; start: number; end: number } | undefined;
  /** The next batch, being read by the native module while the current one is worked on. */
  private ahead: { files: FileBatch; dir: string; names: readonly string[]; start: number } | undefined;
  /** Why files are read with read(2) although access is auto (the native module is missing). */
  readonly mmapProblem: string | undefined;

  /**
   * Throws when access is `mmap` and the native module cannot be loaded.
   * `native: false` does without it whatever the access (read(2) from here:
   * what runs where it is not built).
   */
  constructor(
    private readonly layout: Layout | 'auto' = 'auto',
    access: FileAccess = 'auto',
    options: { native?: boolean } = {},
  ) {
    const { native, problem } = options.native === false ? { native: undefined, problem: 'not used (native: false)' } : nativeMaps();
    if (access === 'mmap' && !native) throw new Error(`file access mmap: ${problem}`);
    this.native = native ? new MappedFiles(native) : undefined;
    this.mapped = access !== 'read' ? this.native : undefined;
    this.listings = new DirectoryListings(this.mapped);
    this.mmapProblem = access === 'auto' && !native ? problem : undefined;
  }

  /** How files are read. */
  get access(): 'mmap' | 'read' {
    return this.mapped ? 'mmap' : 'read';
  }

  /** Files mapped now, and their bytes (pages read count in RSS as shared file pages). */
  get mappings(): { files: number; bytes: number } {
    return { files: this.mapped?.count ?? 0, bytes: this.mapped?.bytes ?? 0 };
  }

  /** Parsed keys held (bounded by the distinct series in the directories). */
  get keyCount(): number {
    return this.keys.size;
  }

  /** Files whose entries are cached. */
  get cachedFiles(): number {
    return this.files.size;
  }

  /** Reads every `.db` file of `dir`. Throws only when the directory itself cannot be listed. */
  read(dir: string): DirectoryReading {
    this.mapped?.beginRead();
    const { names, inodes } = this.listings.list(dir);
    const files: FileEntries[] = [];
    const skipped: SkippedFile[] = [];
    const layouts: Record<Layout, number> = { current: 0, legacy: 0 };
    let entries = 0;
    let parsedEntries = 0;
    let bytesRead = 0;
    let listed = this.listed.get(dir);
    if (listed === undefined) this.listed.set(dir, (listed = new Map()));
    const pass = ++this.passes;
    // path.join(dir, name) for every name, joined once: names are single segments.
    const prefix = path.join(dir, '_').slice(0, -1);
    for (let i = 0; i < names.length; i++) {
      const name = names[i];
      let known = listed.get(name);
      if (known === undefined) listed.set(name, (known = { name, file: prefix + name, parsed: parseDbFileName(name), pass }));
      else known.pass = pass;
      const { file, parsed: parsedName } = known;
      if ('problem' in parsedName) {
        skipped.push({ file, reason: 'unknown_prefix', detail: parsedName.problem });
        continue;
      }
      const result = this.readFile(file, parsedName, dir, inodes?.[i], names, i);
      if ('reason' in result) {
        if (this.files.delete(file)) this.filesDropped = true;
        this.mapped?.forget(file);
        skipped.push({ file, reason: result.reason, detail: result.detail });
        continue;
      }
      files.push(result.entries);
      entries += result.entries.keys.length;
      parsedEntries += result.parsed;
      bytesRead += result.bytes;
      layouts[result.layout]++;
    }
    // Files listed before and not now are gone: forget them.
    // forEach: no iterator result per file, every pass
    listed.forEach((known) => {
      if (known.pass === pass) return;
      listed.delete(known.name);
      if (this.files.delete(known.file)) this.filesDropped = true;
    });
    this.mapped?.sweep(dir);
    return { files, skipped, entries, parsedEntries, layouts, bytesRead };
  }

  /** Forgets the cached files of a directory that is gone (their keys go at the next pruneKeys). */
  forgetDirectory(dir: string): void {
    this.listed.delete(dir);
    this.listings.forget(dir);
    for (const cached of this.files.keys()) {
      if (path.dirname(cached) === dir) {
        this.files.delete(cached);
        this.filesDropped = true;
      }
    }
    this.mapped?.forgetDirectory(dir);
  }

  /** Unmaps every mapped file now (otherwise they go when collected) and waits for reads still under way; the reader may read again. */
  close(): void {
    if (this.ahead !== undefined) this.native!.filesRead(this.ahead.files);
    this.ahead = undefined;
    this.batch = undefined;
    this.mapped?.forgetAll();
    this.files.clear();
    this.listed.clear();
    this.listings.forgetAll();
    this.filesDropped = true;
  }

  /** Forgets parsed keys no cached file uses any more (after files were removed; otherwise free). */
  pruneKeys(): void {
    if (!this.filesDropped) return;
    this.filesDropped = false;
    const used = new Set<ParsedKey>();
    for (const f of this.files.values()) for (const k of f.keys) used.add(k);
    let dropped = false;
    for (const [text, key] of this.keys) {
      if (!used.has(key)) {
        this.keys.delete(text);
        dropped = true;
      }
    }
    if (dropped) {
      this.byIndex = [];
      this.templates = new Map();
    }
  }

  /**
   * The parsed key of the entry at `index` whose key bytes are buf[start, start + length).
   * `lastCandidate` is the variant the file's previous entry matched, or -1
   * when it matched none (a new variant: its later entries will not match
   * either, so they are looked up by text without comparing).
   */
  private keyAt(buf: Buffer, start: number, length: number, index: number): ParsedKey | { problem: string } {
    const candidates = this.byIndex[index];
    const tried = candidates !== undefined && this.lastCandidate >= 0;
    if (tried) {
      // A file keeps to one label variant: try the variant its previous entry matched first.
      const n = candidates.length;
      for (let j = 0; j < n; j++) {
        const at = (this.lastCandidate + j) % n;
        const c = candidates[at];
        if (c.length === length && buf.compare(c.arena, c.at, c.at + length, start, start + length) === 0) {
          this.lastCandidate = at;
          return c.key;
        }
      }
      this.lastCandidate = -1;
    }
    const text = buf.toString('utf8', start, start + length);
    let key = this.keys.get(text);
    const fresh = key === undefined;
    if (key === undefined) {
      const parsed = parseKey(text);
      if ('problem' in parsed) return { problem: `${parsed.problem}: ${text.slice(0, 120)}` };
      key = parsed;
      this.keys.set(text, key);
    }
    // A key found by text without comparing may be a candidate here already: only a new key is added then.
    const list = candidates ?? (this.byIndex[index] = []);
    if (list.length < MAX_CANDIDATES && (tried || fresh || candidates === undefined)) list.push(this.candidate(buf, start, length, key));
    return key;
  }

  /** A candidate holding a copy of buf[start, start + length). */
  private candidate(buf: Buffer, start: number, length: number, key: ParsedKey): Candidate {
    if (this.arenaUsed + length > this.arena.length) {
      this.arena = Buffer.alloc(Math.max(ARENA, length));
      this.arenaUsed = 0;
    }
    const at = this.arenaUsed;
    // A view and set(): Buffer#copy's checks cost more than the copy of a key's bytes.
    this.arena.set(new Uint8Array(buf.buffer, buf.byteOffset + start, length), at);
    this.arenaUsed += length;
    return { arena: this.arena, at, length, key };
  }

  /**
   * Reads one file of `dir`: through its mapping when files are mapped
   * (`listedIno` from the listing), else from the batch the native module
   * read it in (file `index` of `names`), else with read(2) from here.
   */
  private readFile(file: string, name: DbFileName, dir: string, listedIno: number | undefined, names: readonly string[], index: number): FileReading | { reason: SkipReason; detail: string } {
    const known = this.files.get(file);
    const mapping = listedIno === undefined ? undefined : this.mapped?.open(file, listedIno, dir);
    if (mapping !== undefined) {
      if ('code' in mapping) return openFailure(mapping.code);
      const faults = this.mapped!.faults();
      // The steady state: a file read before, nothing appended since: only its values are taken.
      const unchanged = known?.reading !== undefined && known.ino === mapping.ino && mapping.words[0] === known.used && known.reading.entries.file === name;
      const result = unchanged ? this.refill(known, mapping) : this.readBytes(file, name, known, mapping.size, mapping.ino, mapping);
      if (this.mapped!.faults() === faults) return result;
      // Pages past the end of the file: it was truncated while mapped.
      this.mapped!.forget(file);
      if (this.files.delete(file)) this.filesDropped = true;
      return { reason: 'truncated', detail: 'the file shrank while it was read' };
    }
    if (this.native !== undefined) {
      const batched = this.readBatched(file, name, known, dir, names, index);
      if (batched !== undefined) return batched;
    }
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch (err) {
      return openFailure(String((err as NodeJS.ErrnoException).code ?? err));
    }
    try {
      const stat = fstatSync(fd);
      return this.readBytes(file, name, known, stat.size, stat.ino, (length, from) => this.fill(fd, length, from));
    } catch (err) {
      return { reason: 'read_error', detail: (err as Error).message };
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Reads file `index` of `names` (of `dir`) from the batch the native module
   * read it in, reading the next batch first when needed; undefined when it
   * was too large for a batch (read it another way).
   */
  private readBatched(file: string, name: DbFileName, known: CachedFile | undefined, dir: string, names: readonly string[], index: number): FileReading | { reason: SkipReason; detail: string } | undefined {
    let b = this.batch;
    if (b === undefined || b.names !== names || b.dir !== dir || index < b.start || index >= b.end) b = this.batchOf(dir, names, index);
    const k = index - b.start;
    const errno = b.files.errno(k);
    if (errno === -1) return undefined;
    if (errno !== 0) return openFailure(errnoName(errno));
    return this.readBytes(file, name, known, b.files.size(k), b.files.ino(k), b.files.file(k));
  }

  /**
   * The batch holding file `index` of `names`: the one read ahead when it
   * starts there, else one read now; and the reads of the batch after it
   * started, into the batch given up (two batches take turns).
   */
  private batchOf(dir: string, names: readonly string[], index: number): NonNullable<MultiprocReader['batch']> {
    const native = this.native!;
    const ahead = this.ahead;
    this.ahead = undefined;
    let b: NonNullable<MultiprocReader['batch']>;
    if (ahead !== undefined) {
      const end = native.filesRead(ahead.files);
      if (ahead.dir === dir && ahead.names === names && ahead.start === index) b = { files: ahead.files, dir, names, start: index, end };
      else b = { files: ahead.files, dir, names, start: index, end: native.readFiles(dir, names, index, ahead.files) };
    } else {
      const files = this.batch?.files ?? new FileBatch();
      b = { files, dir, names, start: index, end: native.readFiles(dir, names, index, files) };
    }
    if (b.end < names.length) {
      const spare = this.batch !== undefined && this.batch.files !== b.files ? this.batch.files : new FileBatch();
      native.readFilesAhead(dir, names, b.end, spare);
      this.ahead = { files: spare, dir, names, start: b.end };
    }
    this.batch = b;
    return b;
  }

  /** Takes the values of a mapped file whose entries are as last read, into its arrays; its last result then holds again. */
  private refill(known: CachedFile, mapping: Mapping): FileReading | { reason: SkipReason; detail: string } {
    const n = known.keys.length;
    if (!this.native!.gather(mapping, known.valueOffsets, n, known.values!, known.layout === 'current' ? known.timestamps! : null)) return { reason: 'corrupt', detail: 'a value lies past the end of the file' };
    return known.reading!;
  }

  /**
   * Reads one file of `size` bytes (`known`: its cached entries, if any), from where the native module has its
   * bytes (a mapping, or a batch it read; read in place, never written:
   * values are compared and taken by the native module) or with
   * `load(length, from)`, which puts its first `length` bytes (fewer at its
   * end) in the shared read buffer, the first `from` being there already.
   */
  private readBytes(file: string, name: DbFileName, known: CachedFile | undefined, size: number, ino: number, source: InPlace | ((length: number, from: number) => Buffer)): FileReading | { reason: SkipReason; detail: string } {
    if (size === 0) return { reason: 'empty', detail: '0 bytes (a process killed while creating it); prometheus_client fails every scrape on such a file: remove it' };
    const inPlace = typeof source === 'function' ? undefined : source;
    const load = typeof source === 'function' ? source : undefined;
    // A file read before is read in one call up to its known `used` (entries are only appended); others header first.
    const first = inPlace ? inPlace.bytes : load!(known !== undefined && known.ino === ino ? Math.min(Math.max(known.used, 8), size) : Math.min(8, size), 0);
    const used = readUsed(first);
    if (used === undefined) return { reason: 'truncated', detail: `${size} bytes: shorter than the header` };
    if (used > size) return { reason: 'truncated', detail: `used is ${used}, past the end of the file (${size} bytes)` };
    if (used < 8) return { reason: 'corrupt', detail: `used is ${used}, below the 8-byte header` };
    let cached = known;
    if (cached && (cached.ino !== ino || used < cached.used)) cached = undefined; // replaced or reset
    const buf = first.length === used ? first : inPlace || used <= first.length ? first.subarray(0, used) : load!(used, first.length);
    let parsed = 0;
    if (!cached) {
      cached = this.fromTemplate(templateKey(name, used), buf, ino, inPlace);
      if (cached) parsed = cached.keys.length;
    }
    if (!cached) {
      const layout = this.layout === 'auto' ? detectLayout(buf) : this.layout;
      if (!layout) {
        // Neither layout walks: the file is damaged. Say how, as the layout SGLang writes sees it.
        const walk = walkEntries(buf, 'current');
        return walk.ok ? { reason: 'layout', detail: 'entries fit neither layout' } : { reason: walk.reason, detail: `${walk.detail} (the file fits neither the current nor the legacy layout)` };
      }
      cached = cachedFile(ino, layout, 8, [], [], false);
    }
    const growth = used > cached.used && cached.shared ? this.fromGrowth(cached, buf, inPlace) : undefined;
    if (growth) {
      parsed += growth.keys.length - cached.keys.length;
      cached.copiedFrom = cached.keys;
      cached.keys = growth.keys;
      cached.valueOffsets = growth.valueOffsets;
      cached.used = used;
    } else if (used > cached.used) {
      const walk = walkEntries(buf, cached.layout, cached.used);
      if (!walk.ok) return { reason: walk.reason, detail: walk.detail };
      const grewFrom = cached.shared && cached.used > 8 ? { keys: cached.keys, used: cached.used } : undefined;
      if (cached.shared) {
        cached.copiedFrom = cached.keys;
        cached.keys = [...cached.keys];
        cached.valueOffsets = [...cached.valueOffsets];
        cached.shared = false;
      }
      this.lastCandidate = 0;
      const n = walk.keyStarts.length;
      for (let i = 0; i < n; i++) {
        const key = this.keyAt(buf, walk.keyStarts[i], walk.keyLengths[i], cached.keys.length);
        if ('problem' in key) return { reason: 'bad_key', detail: key.problem };
        cached.keys.push(key);
        cached.valueOffsets.push(walk.valueOffsets[i]);
      }
      parsed += n;
      const fresh = cached.used === 8;
      if (grewFrom) this.addGrowth(grewFrom.keys, grewFrom.used, buf, cached);
      cached.used = used;
      if (fresh) this.addTemplate(templateKey(name, used), buf, cached);
    }
    this.files.set(file, cached);
    const n = cached.keys.length;
    const current = cached.layout === 'current';
    if (cached.values === undefined || cached.values.length !== n) {
      const oldRoom = cached.room ?? 0;
      const room = n <= oldRoom ? oldRoom : Math.ceil(n * 1.5 + 16);
      cached.values = grown(cached.values, oldRoom, n, room);
      cached.room = room;
      if (current) cached.timestamps = grown(cached.timestamps, oldRoom, n, room);
      else {
        if (this.zeros.length < n) this.zeros = new Float64Array(2 * n);
        cached.timestamps = this.zeros.subarray(0, n);
      }
    }
    const values = cached.values;
    const timestamps = cached.timestamps!;
    const offsets = cached.valueOffsets;
    if (inPlace) {
      if (!this.native!.gather(inPlace, offsets, n, values, current ? timestamps : null)) return { reason: 'corrupt', detail: 'a value lies past the end of the file' };
    } else if (LITTLE_ENDIAN) {
      const doubles = this.doubles;
      for (let i = 0; i < n; i++) values[i] = doubles[offsets[i] >> 3];
      if (current) for (let i = 0; i < n; i++) timestamps[i] = doubles[(offsets[i] >> 3) + 1];
    } else {
      for (let i = 0; i < n; i++) values[i] = buf.readDoubleLE(offsets[i]);
      if (current) for (let i = 0; i < n; i++) timestamps[i] = buf.readDoubleLE(offsets[i] + 8);
    }
    const entries = { file: name, keys: cached.keys, copiedFrom: cached.copiedFrom, values, timestamps };
    // The result a later read of the file unchanged gives again (nothing parsed then).
    cached.reading = { entries, parsed: 0, bytes: used, layout: cached.layout };
    return parsed === 0 ? cached.reading : { entries, parsed, bytes: used, layout: cached.layout };
  }

  /**
   * A cached file for `buf` (the shared read buffer, or the native module's
   * `inPlace` bytes) from a template it equals outside the value fields, if any.
   */
  private fromTemplate(signature: string, buf: Buffer, ino: number, inPlace: InPlace | undefined): CachedFile | undefined {
    const list = this.templates.get(signature);
    if (!list) return undefined;
    const used = buf.length;
    for (const t of list) {
      if (t.bytes.length !== used) continue; // a short read: the walk will tell what is wrong
      const { valueOffsets, layout } = t.file;
      // Label variants (tp_rank="0", "1", ...) differ in the first key already: a cheap first test (the native comparison stops there by itself).
      if (!inPlace && valueOffsets.length && buf.compare(t.bytes, 8, valueOffsets[0], 8, valueOffsets[0]) !== 0) continue;
      if (this.equalOutsideValues(buf, 8, t.bytes, 0, valueOffsets, 0, layout, inPlace)) return cachedFile(ino, layout, t.file.used, t.file.keys, valueOffsets, true);
    }
    return undefined;
  }

  /** The growth `file` (its keys shared) made to reach `buf.length` bytes, if another file with the same keys grew the same way. */
  private fromGrowth(file: CachedFile, buf: Buffer, inPlace: InPlace | undefined): Growth | undefined {
    const list = this.growths.get(file.keys);
    if (!list) return undefined;
    for (const g of list) {
      if (g.fromUsed !== file.used || g.fromUsed + g.bytes.length !== buf.length) continue;
      if (this.equalOutsideValues(buf, g.fromUsed, g.bytes, g.fromUsed, g.valueOffsets, file.keys.length, file.layout, inPlace)) return g;
    }
    return undefined;
  }

  /** Remembers how `file` grew from `keys` (`fromUsed` bytes) to `buf`; its new arrays are shared from now on. */
  private addGrowth(keys: readonly ParsedKey[], fromUsed: number, buf: Buffer, file: CachedFile): void {
    let list = this.growths.get(keys);
    if (!list) this.growths.set(keys, (list = []));
    if (list.length >= MAX_GROWTHS) return;
    const bytes = Buffer.alloc(buf.length - fromUsed);
    buf.copy(bytes, 0, fromUsed);
    const valueBytes = file.layout === 'current' ? 16 : 8;
    for (let i = keys.length; i < file.valueOffsets.length; i++) bytes.fill(0, file.valueOffsets[i] - fromUsed, file.valueOffsets[i] - fromUsed + valueBytes);
    file.shared = true;
    list.push({ fromUsed, bytes, keys: file.keys, valueOffsets: file.valueOffsets });
  }

  /**
   * Whether buf[from, buf.length) equals `bytes` (whose first byte stands
   * for buf[bytesAt]) outside the value fields of entries `first`.. of
   * `valueOffsets`, which `bytes` has zeroed. A file the native module holds
   * (`inPlace`: a mapping, read-only, or a batch) is compared by it in place;
   * in the shared read buffer those fields are zeroed for one comparison,
   * then put back.
   */
  private equalOutsideValues(buf: Buffer, from: number, bytes: Buffer, bytesAt: number, valueOffsets: readonly number[], first: number, layout: Layout, inPlace: InPlace | undefined): boolean {
    const wide = layout === 'current';
    if (inPlace) return this.native!.sameOutsideValues(inPlace, buf.length, from, bytes, from - bytesAt, valueOffsets, first, wide ? 16 : 8);
    const doubles = this.doubles;
    const n = valueOffsets.length - first;
    if (this.saved.length < 2 * n) this.saved = new Float64Array(4 * n);
    const saved = this.saved;
    for (let i = 0; i < n; i++) {
      const at = valueOffsets[first + i] >> 3;
      saved[2 * i] = doubles[at];
      doubles[at] = 0;
      if (wide) {
        saved[2 * i + 1] = doubles[at + 1];
        doubles[at + 1] = 0;
      }
    }
    const same = buf.compare(bytes, from - bytesAt, buf.length - bytesAt, from, buf.length) === 0;
    for (let i = 0; i < n; i++) {
      const at = valueOffsets[first + i] >> 3;
      doubles[at] = saved[2 * i];
      if (wide) doubles[at + 1] = saved[2 * i + 1];
    }
    return same;
  }

  private addTemplate(signature: string, buf: Buffer, file: CachedFile): void {
    let list = this.templates.get(signature);
    if (!list) this.templates.set(signature, (list = []));
    if (list.length >= MAX_TEMPLATES) return;
    const bytes = Buffer.alloc(buf.length);
    buf.copy(bytes);
    const valueBytes = file.layout === 'current' ? 16 : 8;
    for (const at of file.valueOffsets) bytes.fill(0, at, at + valueBytes);
    // The file and the template share the keys and offsets arrays from now on: the file copies them before it grows.
    file.shared = true;
    list.push({ bytes, file: cachedFile(file.ino, file.layout, file.used, file.keys, file.valueOffsets, true) });
  }

  /** Reads the first `length` bytes of the file into the shared buffer; the first `from` bytes are there already. */
  private fill(fd: number, length: number, from = 0): Buffer {
    if (this.buffer.length < length) {
      const old = this.buffer;
      this.buffer = Buffer.alloc(Math.max(length, this.buffer.length * 2));
      old.copy(this.buffer, 0, 0, from);
      this.doubles = new Float64Array(this.buffer.buffer, this.buffer.byteOffset, this.buffer.length >> 3);
    }
    let got = from;
    while (got < length) {
      const n = readSync(fd, this.buffer, got, length - got, got);
      if (n === 0) break;
      got += n;
    }
    return this.buffer.subarray(0, got);
  }
}

/** A file that could not be opened: gone since the listing (ENOENT), or unreadable. */
function openFailure(code: string): { reason: SkipReason; detail: string } {
  return code === 'ENOENT' ? { reason: 'vanished', detail: 'removed between listing and reading' } : { reason: 'read_error', detail: code };
}
