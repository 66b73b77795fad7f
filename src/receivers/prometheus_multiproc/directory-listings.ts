import { readdirSync, statSync } from 'node:fs';
import type { MappedFiles } from './mapped-files.js';

/** A directory's `.db` files as last listed, and what tells whether the directory changed since. */
export interface Listing {
  /** In sorted order; never changed once listed (the native module's packed copy of the names is kept by this array). */
  readonly names: readonly string[];
  /** Their inodes as the native listing gives them (files mapped). */
  readonly inodes?: number[];
  /** The native listing's names in the directory's order, and the order that sorts them (files mapped). */
  readonly raw?: readonly string[];
  readonly order?: readonly number[];
  readonly mtimeNs: bigint;
  readonly ctimeNs: bigint;
  readonly ino: bigint;
  /** The directory had not changed for a second when it was listed: while mtime, ctime and inode stay, so does the listing. */
  readonly trusted: boolean;
}

/**
 * The `.db` files of multiprocess directories in sorted name order, with
 * their inodes when files are mapped (the native listing gives them without
 * a stat per file). A directory is not listed again while it is unchanged:
 * its modification time moves whenever a file is created, removed or renamed
 * in it. A listing is trusted that long only when that time was a second or
 * more older than the listing (a change within the file system's timestamp
 * granularity of an earlier one would not move it).
 */
export class DirectoryListings {
  private readonly listings = new Map<string, Listing>();

  /** `mapped`: list through the native module (inodes included); else readdir. */
  constructor(private readonly mapped: MappedFiles | undefined) {}

  /** Throws as readdirSync does when the directory cannot be listed. */
  list(dir: string): Listing {
    const st = statSync(dir, { bigint: true });
    const last = this.listings.get(dir);
    if (last !== undefined && last.trusted && last.mtimeNs === st.mtimeNs && last.ctimeNs === st.ctimeNs && last.ino === st.ino) return last;
    const listedAtNs = BigInt(Date.now()) * 1_000_000n;
    const stamp = { mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs, ino: st.ino, trusted: listedAtNs - st.mtimeNs >= 1_000_000_000n };
    let listing: Listing;
    if (!this.mapped) listing = { names: readdirSync(dir).filter((n) => n.endsWith('.db')).sort(), ...stamp };
    else {
      const listed = this.mapped.list(dir);
      // A directory lists its entries in the same order while they stay the same: sorted once, not at every listing.
      const same = last?.order !== undefined && sameStrings(last.raw!, listed.names);
      const order = same ? last.order! : listed.names.map((_, i) => i).sort((a, b) => (listed.names[a] < listed.names[b] ? -1 : listed.names[a] > listed.names[b] ? 1 : 0));
      listing = { names: same ? last.names : order.map((i) => listed.names[i]), inodes: order.map((i) => listed.inodes[i]), raw: listed.names, order, ...stamp };
    }
    this.listings.set(dir, listing);
    return listing;
  }

  forget(dir: string): void {
    this.listings.delete(dir);
  }

  forgetAll(): void {
    this.listings.clear();
  }
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
