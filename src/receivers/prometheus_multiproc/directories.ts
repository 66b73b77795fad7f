import { opendirSync, readdirSync, statSync, type Dir } from 'node:fs';
import path from 'node:path';

/**
 * Turns configured directory patterns into multiprocess directories:
 * `*` and `?` match within one path segment; a directory that holds `.db`
 * files is a multiprocess directory; one that holds none but has
 * sub-directories with `.db` files stands for those (a parent of several
 * engines' directories). A directory with neither is returned as it is
 * (an empty multiprocess directory, diagnosed by the caller).
 */
export interface ResolvedDirectory {
  readonly path: string;
  /** The configured pattern it came from (index into the receiver's list). */
  readonly source: number;
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Whether `dir` holds a `.db` file: entries are read until the first one (not the whole listing of thousands of files, at every pass). */
function hasDbFiles(dir: string): boolean {
  let entries: Dir;
  try {
    entries = opendirSync(dir);
  } catch {
    return false;
  }
  try {
    for (let e = entries.readSync(); e !== null; e = entries.readSync()) if (e.name.endsWith('.db')) return true;
    return false;
  } catch {
    return false;
  } finally {
    entries.closeSync();
  }
}

function segmentPattern(segment: string): RegExp {
  return new RegExp('^' + segment.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]') + '$');
}

/** Paths matching a pattern with `*`/`?` segments (only existing directories). */
export function expandPattern(pattern: string): string[] {
  const absolute = path.resolve(pattern);
  const segments = absolute.split(path.sep).filter(Boolean);
  let current: string[] = [path.sep];
  for (const segment of segments) {
    const next: string[] = [];
    for (const base of current) {
      if (!/[*?]/.test(segment)) {
        next.push(path.join(base, segment));
        continue;
      }
      let names: string[];
      try {
        names = readdirSync(base);
      } catch {
        continue;
      }
      const re = segmentPattern(segment);
      for (const n of names.sort()) if (re.test(n)) next.push(path.join(base, n));
    }
    current = next;
  }
  return current.filter(isDir);
}

/** Multiprocess directories of one configured pattern; empty when nothing exists yet. */
export function resolveDirectories(pattern: string, source: number): ResolvedDirectory[] {
  const out: ResolvedDirectory[] = [];
  for (const dir of expandPattern(pattern)) {
    if (hasDbFiles(dir)) {
      out.push({ path: dir, source });
      continue;
    }
    const children = readdirSync(dir)
      .sort()
      .map((n) => path.join(dir, n))
      .filter((p) => isDir(p) && hasDbFiles(p));
    if (children.length) for (const c of children) out.push({ path: c, source });
    else out.push({ path: dir, source });
  }
  return out;
}
