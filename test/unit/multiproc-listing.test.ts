/**
 * A directory is listed again only when it changed: its modification time
 * moves whenever a file is created, removed or renamed in it. A listing is
 * trusted only when the directory had not changed for a second before it
 * (a change within the timestamp granularity of an earlier one would not
 * move the time). Each case counts the listings the reader makes and checks
 * that every created, removed or replaced file shows at the next read.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs, { statSync, unlinkSync, utimesSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import path from 'node:path';
import { MappedFiles } from '../../src/receivers/prometheus_multiproc/mapped-files.js';
import { MultiprocReader } from '../../src/receivers/prometheus_multiproc/reader.js';
import { FILE_ACCESS, multiprocReader, pyKey, scratchDirectories, writeDb, type FileAccessMethod } from '../helpers/multiproc.js';

const { temp } = scratchDirectories();

/** Counts the reader's listings while `run` runs (readdirSync for read(2) access, the native listing for mmap). */
function countListings<T>(access: FileAccessMethod, run: () => T): { result: T; listings: number } {
  let listings = 0;
  if (access === 'mmap') {
    const original = MappedFiles.prototype.list;
    MappedFiles.prototype.list = function (this: MappedFiles, dir: string) {
      listings++;
      return original.call(this, dir);
    };
    try {
      return { result: run(), listings };
    } finally {
      MappedFiles.prototype.list = original;
    }
  }
  const original = fs.readdirSync;
  fs.readdirSync = ((...args: unknown[]) => {
    listings++;
    return (original as (...a: unknown[]) => unknown)(...args);
  }) as typeof fs.readdirSync;
  syncBuiltinESMExports();
  try {
    return { result: run(), listings };
  } finally {
    fs.readdirSync = original;
    syncBuiltinESMExports();
  }
}

function counter(dir: string, pid: number, value: number): void {
  writeDb(path.join(dir, `counter_${pid}.db`), [{ key: pyKey('app:requests', 'app:requests_total', { shard: '0' }, 'Requests.'), value }], 'legacy');
}

/** Sets the directory's modification time `seconds` back, as if nothing had changed in it since. */
function age(dir: string, seconds: number): void {
  const st = statSync(dir);
  utimesSync(dir, st.atime, new Date(st.mtimeMs - seconds * 1000));
}

const pids = (reader: MultiprocReader, dir: string) => reader.read(dir).files.map((f) => f.file.pid);

for (const access of FILE_ACCESS) {
  describe(`directory listings (file access ${access})`, () => {
    test('a directory unchanged for a second is not listed again; a file created, replaced or removed since shows at the next read', () => {
      const dir = temp(`listing-${access}`);
      counter(dir, 1, 10);
      counter(dir, 2, 20);
      age(dir, 5);
      const reader = multiprocReader(access, 'legacy');
      const quiet = countListings(access, () => [pids(reader, dir), pids(reader, dir), pids(reader, dir)]);
      assert.deepEqual(quiet.result, [['1', '2'], ['1', '2'], ['1', '2']]);
      assert.equal(quiet.listings, 1, 'listed once, then trusted');

      counter(dir, 3, 30); // created: the directory's time moves
      const created = countListings(access, () => pids(reader, dir));
      assert.deepEqual(created.result, ['1', '2', '3']);
      assert.equal(created.listings, 1);

      age(dir, 5);
      pids(reader, dir);
      counter(dir, 1, 11); // replaced (written beside and renamed over): a new inode
      const values = reader.read(dir).files.map((f) => f.values[0]);
      assert.deepEqual(values, [11, 20, 30]);

      age(dir, 5);
      pids(reader, dir);
      unlinkSync(path.join(dir, 'counter_2.db'));
      assert.deepEqual(pids(reader, dir), ['1', '3']);
    });

    test('a listing made less than a second after the directory changed is not trusted: it is listed again at every read', () => {
      const dir = temp(`listing-recent-${access}`);
      counter(dir, 1, 10);
      const reader = multiprocReader(access, 'legacy');
      const recent = countListings(access, () => [pids(reader, dir), pids(reader, dir)]);
      assert.deepEqual(recent.result, [['1'], ['1']]);
      assert.equal(recent.listings, 2);
    });
  });
}
