import { constants } from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The native module (native/mapped_file.c) as the reader uses it.
 *
 * Multiprocess files kept memory-mapped between reads, so that a read of an
 * unchanged file takes its values from the page cache: no open, read(2) or
 * close, no copy of the keys. One mapping per file, made at its first read
 * and kept while the file stays the same (the inode the directory lists, and
 * a `used` that fits: prometheus_client only grows a file, by doubling it). A
 * file that shrinks while mapped cannot crash the process: the native module
 * counts the pages found past the end (`faults`) and the reader skips that
 * file. Mapped pages count in the process's RSS (as shared file pages, not
 * memory of its own): about the bytes the processes have written (`used`),
 * less than the files' sizes.
 *
 * Also, for files mapped or not: values taken and files compared with their
 * templates in C (`gather`, `sameOutsideValues`), and files read with read(2)
 * in batches (`readFiles`, FileBatch: one call for many files), the next
 * batch while the last one is worked on (`readFilesAhead`: on a thread of
 * the native module's own).
 */
interface NativeMaps {
  map(file: string): [errno: number, size: number, ino: number, buffer: ArrayBuffer | null];
  list(dir: string): [errno: number, names: string[], inodes: number[]];
  gather(buffer: ArrayBuffer, base: number, limit: number, offsets: Int32Array, count: number, values: Float64Array, timestamps: Float64Array | null): number;
  sameOutsideValues(buffer: ArrayBuffer, base: number, end: number, from: number, other: Uint8Array, otherStart: number, offsets: Int32Array, first: number, width: number): number;
  readFiles(dir: string, names: Uint8Array, starts: Int32Array, from: number, buffer: ArrayBuffer, meta: Float64Array): number;
  readFilesAhead(dir: string, names: Uint8Array, starts: Int32Array, from: number, buffer: ArrayBuffer, meta: Float64Array): ReadAhead;
  filesRead(handle: ReadAhead): number;
  unmap(buffer: ArrayBuffer): void;
  faults(): number;
  /** 4 bytes over the module's count of pages found past the end of their file (an int32, read in place). */
  faultCount: ArrayBuffer;
}

/** The native module's handle on reads started by readFilesAhead. */
declare const readAhead: unique symbol;
type ReadAhead = { readonly [readAhead]: true };

/** native/build/mapped_file.node, from src/receivers/prometheus_multiproc or dist/receivers/prometheus_multiproc. */
const ADDON = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../native/build/mapped_file.node');

let loaded: { native?: NativeMaps; problem?: string } | undefined;

/** The native module, or why it cannot be used (not built: `native/build.sh`; not Linux). */
export function nativeMaps(): { native?: NativeMaps; problem?: string } {
  if (loaded) return loaded;
  if (!new Uint8Array(new Float64Array([1]).buffer)[7]) loaded = { problem: 'this platform is not little-endian' };
  else
    try {
      const native = createRequire(import.meta.url)(ADDON) as NativeMaps;
      loaded = native.faultCount instanceof ArrayBuffer ? { native } : { problem: `${ADDON} is an older build (no faultCount); build it again with native/build.sh` };
    } catch (err) {
      loaded = { problem: `${ADDON} cannot be loaded (${(err as Error).message.split('\n')[0]}); build it with native/build.sh` };
    }
  return loaded;
}

/** A file's bytes where the native functions can read them: `bytes` is buffer[base, base + bytes.length). */
export interface InPlace {
  readonly buffer: ArrayBuffer;
  /** A multiple of 8. */
  readonly base: number;
  readonly bytes: Buffer;
}

export interface Mapping extends InPlace {
  readonly file: string;
  /** The inode as the directory listing gives it (overlayfs may give another number than stat). */
  readonly listedIno: number;
  readonly ino: number;
  /** The file's size when mapped: the bytes readable through `bytes`. */
  readonly size: number;
  /** The header's first field (`used`) is words[0]. */
  readonly words: Int32Array;
  /** The directory read when it was last opened, and that read's number (see sweep). */
  dir: string;
  pass: number;
}

/** Why a file could not be mapped: its errno's name (ENOENT: it is gone). */
export interface MapFailure {
  readonly code: string;
}

/**
 * Mappings are bounded (each is one of the kernel's vm.max_map_count areas,
 * 65,530 by default, shared with everything else in the process): files
 * beyond the bound are read with read(2).
 */
export const MAX_MAPPINGS = 20_000;

const ERRNO_NAMES = new Map(Object.entries(constants.errno).map(([name, n]) => [n, name]));

export class MappedFiles {
  private readonly maps = new Map<string, Mapping>();
  /** Offsets arrays as the native gather takes them, by the reader's array (shared by files with the same keys). */
  private readonly packedOffsets = new WeakMap<readonly number[], Int32Array>();
  /** Listings' names as readFiles takes them, by the listing's array. */
  private readonly packedListings = new WeakMap<readonly string[], { bytes: Buffer; starts: Int32Array }>();
  private mappedBytes = 0;
  private pass = 0;

  /** The native module's fault count, read in place (no call per file read). */
  private readonly faultCount: Int32Array;

  constructor(private readonly native: NativeMaps) {
    this.faultCount = new Int32Array(native.faultCount);
  }

  /** Files mapped now. */
  get count(): number {
    return this.maps.size;
  }

  /** Bytes mapped now (the files' sizes; only pages read count in RSS). */
  get bytes(): number {
    return this.mappedBytes;
  }

  /** How many pages past the end of a file reads have met so far (a file truncated while mapped). */
  faults(): number {
    return this.faultCount[0];
  }

  /**
   * The `.db` entries of a directory (unsorted) with their inode numbers,
   * from the directory alone. Throws as readdirSync does (err.code).
   */
  list(dir: string): { names: string[]; inodes: number[] } {
    const [errno, names, inodes] = this.native.list(dir);
    if (errno !== 0) {
      const code = errnoName(errno);
      throw Object.assign(new Error(`${code}: cannot list ${dir}`), { code });
    }
    return { names, inodes };
  }

  /**
   * The file mapped as it is now: the mapping kept from before while the
   * directory lists the same inode and the header's `used` fits in it (a
   * file only grows), else a new one. `undefined` when the bound is reached
   * (read it another way); a 0-byte file maps to an empty mapping.
   */
  open(file: string, listedIno: number, dir: string): Mapping | MapFailure | undefined {
    const known = this.maps.get(file);
    if (known !== undefined) {
      if (known.listedIno === listedIno && known.words[0] <= known.size) {
        known.dir = dir;
        known.pass = this.pass;
        return known;
      }
      this.forget(file);
    }
    if (this.maps.size >= MAX_MAPPINGS) return undefined;
    const [errno, size, ino, buffer] = this.native.map(file);
    if (errno !== 0) return { code: errnoName(errno) };
    if (buffer === null || size < 8) {
      if (buffer !== null) this.native.unmap(buffer);
      return { file, listedIno, ino, size, buffer: new ArrayBuffer(0), base: 0, bytes: Buffer.alloc(0), words: new Int32Array(1), dir, pass: this.pass };
    }
    const mapping = { file, listedIno, ino, size, buffer, base: 0, bytes: Buffer.from(buffer), words: new Int32Array(buffer, 0, 1), dir, pass: this.pass };
    this.maps.set(file, mapping);
    this.mappedBytes += size;
    return mapping;
  }

  /**
   * Copies the values (and with `timestamps`, the float64 after each) at
   * `offsets` of a file into `values` (and `timestamps`), for the
   * first `count` offsets. False when an offset lies outside the file.
   */
  gather(file: InPlace, offsets: readonly number[], count: number, values: Float64Array, timestamps: Float64Array | null): boolean {
    return this.native.gather(file.buffer, file.base, file.bytes.length, this.packed(offsets), count, values, timestamps) === 0;
  }

  /**
   * Whether bytes [from, end) of a file equal `other` from
   * `other[otherStart]` on, outside the value fields of the entries `first`..
   * of `offsets` (`width` bytes each: 8, or 16 with timestamps), which
   * `other` has zeroed. Compared in place (a mapping is read-only).
   */
  sameOutsideValues(file: InPlace, end: number, from: number, other: Uint8Array, otherStart: number, offsets: readonly number[], first: number, width: number): boolean {
    return this.native.sameOutsideValues(file.buffer, file.base, end, from, other, otherStart, this.packed(offsets), first, width) === 1;
  }

  /**
   * Reads files of `dir` into `batch` (see native readFiles): names[from],
   * names[from + 1], ... as long as they fit. The index after the last one read.
   */
  readFiles(dir: string, names: readonly string[], from: number, batch: FileBatch): number {
    const { bytes, starts } = this.packedNames(names);
    return this.native.readFiles(dir, bytes, starts, from, batch.buffer, batch.meta);
  }

  /**
   * Starts reading files of `dir` into `batch` as readFiles does, on a
   * thread of the native module's own: the batch is being written until
   * filesRead(batch), and not to be read before.
   */
  readFilesAhead(dir: string, names: readonly string[], from: number, batch: FileBatch): void {
    if (batch.pending !== undefined) throw new Error('the batch is being read already');
    const { bytes, starts } = this.packedNames(names);
    batch.pending = this.native.readFilesAhead(dir, bytes, starts, from, batch.buffer, batch.meta);
  }

  /** Waits for the reads readFilesAhead started into `batch`: the index after the last name read. */
  filesRead(batch: FileBatch): number {
    const handle = batch.pending;
    if (handle === undefined) throw new Error('no reads were started into the batch');
    batch.pending = undefined;
    return this.native.filesRead(handle);
  }

  /**
   * A listing's names as readFiles takes them: NUL-terminated in one buffer,
   * with where each starts (made once per listing array: listings are kept
   * while the directory is unchanged).
   */
  private packedNames(names: readonly string[]): { bytes: Buffer; starts: Int32Array } {
    let packed = this.packedListings.get(names);
    if (packed === undefined) {
      const bytes = Buffer.from(names.join('\0') + '\0');
      const starts = new Int32Array(names.length);
      let at = 0;
      for (let i = 0; i < names.length; i++) {
        starts[i] = at;
        at += Buffer.byteLength(names[i]) + 1;
      }
      this.packedListings.set(names, (packed = { bytes, starts }));
    }
    return packed;
  }

  /** `offsets` as the native functions take them (cached while the array keeps its length: arrays only grow). */
  private packed(offsets: readonly number[]): Int32Array {
    let packed = this.packedOffsets.get(offsets);
    if (packed === undefined || packed.length !== offsets.length) this.packedOffsets.set(offsets, (packed = Int32Array.from(offsets)));
    return packed;
  }

  /** Unmaps a file (gone, replaced, or damaged). */
  forget(file: string): void {
    const m = this.maps.get(file);
    if (m === undefined) return;
    this.maps.delete(file);
    this.mappedBytes -= m.size;
    this.native.unmap(m.buffer);
  }

  /** Unmaps every file. */
  forgetAll(): void {
    for (const file of [...this.maps.keys()]) this.forget(file);
  }

  /** Starts a read of a directory: files opened until sweep() are the ones it lists. */
  beginRead(): void {
    this.pass++;
  }

  /** Unmaps the files of `dir` the read begun last did not open (gone from the directory). */
  sweep(dir: string): void {
    // forEach: no iterator result per file, every pass
    this.maps.forEach((m) => {
      if (m.pass !== this.pass && m.dir === dir) this.forget(m.file);
    });
  }

  /** Unmaps every file of `dir`. */
  forgetDirectory(dir: string): void {
    this.maps.forEach((m) => {
      if (m.dir === dir) this.forget(m.file);
    });
  }
}

/** Where readFiles puts files: their bytes, and five numbers per file (errno, size, inode, where its bytes start, how many). */
export class FileBatch {
  readonly buffer: ArrayBuffer;
  readonly bytes: Buffer;
  readonly meta: Float64Array;

  /** `size` bytes (files larger are read one by one), at most `files` files a batch. */
  constructor(size = 4 << 20, files = 1024) {
    // Not zeroed: every byte read from it was written by readFiles first.
    this.bytes = Buffer.allocUnsafeSlow(size);
    this.buffer = this.bytes.buffer as ArrayBuffer;
    this.meta = new Float64Array(5 * files);
  }

  /** Reads started by MappedFiles.readFilesAhead and not yet waited for: the batch is being written. */
  pending: ReadAhead | undefined;

  /** The errno of file `k` of the batch (0: read; -1: larger than the batch, not read). */
  errno(k: number): number {
    if (this.pending !== undefined) throw new Error('the batch is being read: wait for it with filesRead');
    return this.meta[5 * k];
  }

  size(k: number): number {
    return this.meta[5 * k + 1];
  }

  ino(k: number): number {
    return this.meta[5 * k + 2];
  }

  /** The bytes read of file `k`, where the native functions find them. */
  file(k: number): InPlace {
    const base = this.meta[5 * k + 3];
    return { buffer: this.buffer, base, bytes: this.bytes.subarray(base, base + this.meta[5 * k + 4]) };
  }
}

/** An errno's name (ENOENT), as Node's errors give it. */
export function errnoName(errno: number): string {
  return ERRNO_NAMES.get(errno) ?? `errno ${errno}`;
}
