/**
 * Files kept memory-mapped between reads (file access mmap, native/mapped_file.c):
 * what a mapping must survive that a read(2) never meets. A file truncated
 * while mapped (SIGBUS on its lost pages) is skipped and the process lives;
 * a file replaced under the same name, or grown past its mapped size, is
 * mapped again; mappings go with their files; a SIGBUS that is not about a
 * mapping still kills the process. Every value read through a mapping is
 * compared with a fresh read(2) reader on the same bytes. Files read with
 * read(2) in batches, the next one on the native module's thread, read as
 * a reader without the module reads them.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { floatToGoString } from '../../src/encoding/python-float.js';
import { renderPythonExposition } from '../../src/receivers/prometheus_multiproc/exposition.js';
import { FileBatch, MappedFiles, nativeMaps } from '../../src/receivers/prometheus_multiproc/mapped-files.js';
import { mergeFiles } from '../../src/receivers/prometheus_multiproc/merge.js';
import { MultiprocReader } from '../../src/receivers/prometheus_multiproc/reader.js';
import { ROOT } from '../helpers/paths.js';
import { appendDb, dbFiles, expectedProm, pyKey, scratchDirectories, writeDb } from '../helpers/multiproc.js';

const { copy } = scratchDirectories();

function text(reader: MultiprocReader, dir: string) {
  const reading = reader.read(dir);
  return { reading, text: renderPythonExposition(mergeFiles(reading.files, floatToGoString)) };
}

/** What a fresh reader that copies every file with read(2) prints for `dir`. */
function truth(dir: string): string {
  return text(new MultiprocReader('auto', 'read'), dir).text;
}

describe('the native module', () => {
  test('is built and loads (npm run build builds it; mmap access needs it)', () => {
    const { native, problem } = nativeMaps();
    assert.ok(native, problem);
    const reader = new MultiprocReader('auto', 'auto');
    assert.equal(reader.access, 'mmap');
    assert.equal(reader.mmapProblem, undefined);
  });
});

describe('file access read: files read in batches, the next batch read ahead on a thread of the native module', () => {
  test('readFilesAhead then filesRead: the same bytes and numbers as readFiles; the batch cannot be read meanwhile', () => {
    const dir = copy('sglang');
    const names = dbFiles(dir);
    const files = new MappedFiles(nativeMaps().native!);
    const now = new FileBatch();
    const ahead = new FileBatch();
    for (const from of [0, 3, names.length - 1, names.length]) {
      const end = files.readFiles(dir, names, from, now);
      files.readFilesAhead(dir, names, from, ahead);
      assert.throws(() => ahead.errno(0), /being read/);
      assert.throws(() => files.readFilesAhead(dir, names, from, ahead), /being read already/);
      assert.equal(files.filesRead(ahead), end);
      assert.equal(end, names.length);
      for (let k = 0; k < end - from; k++) {
        assert.equal(ahead.errno(k), now.errno(k));
        assert.equal(ahead.size(k), now.size(k));
        assert.equal(ahead.ino(k), now.ino(k));
        assert.deepEqual(ahead.file(k).bytes, now.file(k).bytes);
        assert.deepEqual(ahead.file(k).bytes, readFileSync(path.join(dir, names[from + k])).subarray(0, ahead.file(k).bytes.length));
      }
    }
    assert.throws(() => files.filesRead(ahead), /no reads were started/);
  });

  test('more files than a batch holds: read batch after batch (each next one read ahead), as a reader without the native module reads them', () => {
    const dir = copy('sglang');
    for (const name of dbFiles(dir)) {
      // 250 more processes' files for each (copies under other pids): more than the 1,024 files of a batch.
      for (let p = 0; p < 250; p++) copyFileSync(path.join(dir, name), path.join(dir, name.replace(/_(\d+)\.db$/, (_m, pid) => `_${Number(pid) * 1000 + p}.db`)));
    }
    assert.ok(dbFiles(dir).length > 2 * 1024, `${dbFiles(dir).length} files`);
    const plain = text(new MultiprocReader('auto', 'read', { native: false }), dir);
    const batched = new MultiprocReader('auto', 'read');
    for (let pass = 0; pass < 2; pass++) {
      const got = text(batched, dir);
      assert.deepEqual(got.reading.skipped, []);
      assert.equal(got.reading.files.length, plain.reading.files.length);
      assert.equal(got.text, plain.text);
    }
    batched.close();
  });

  test('reads started and never waited for: the handle, once collected, waits for them and lets go (no crash)', () => {
    const dir = copy('sglang');
    const module = pathToFileURL(path.join(ROOT, 'src/receivers/prometheus_multiproc/mapped-files.ts')).href;
    const code = `
      const { MappedFiles, FileBatch, nativeMaps } = await import(${JSON.stringify(module)});
      const { readdirSync } = await import('node:fs');
      const names = readdirSync(${JSON.stringify(dir)}).filter((n) => n.endsWith('.db'));
      const files = new MappedFiles(nativeMaps().native);
      for (let i = 0; i < 50; i++) files.readFilesAhead(${JSON.stringify(dir)}, names, 0, new FileBatch(1 << 16, 64));
      for (let i = 0; i < 5; i++) { globalThis.gc(); await new Promise((r) => setImmediate(r)); }
      console.log('alive');
    `;
    const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', code], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'alive');
  });
});

describe('file access mmap', () => {
  test('reads map every file once; later reads of unchanged files map nothing new and print the same', () => {
    const dir = copy('sglang');
    const reader = new MultiprocReader('auto', 'mmap');
    assert.equal(text(reader, dir).text, expectedProm('sglang'));
    const mapped = reader.mappings;
    assert.equal(mapped.files, dbFiles(dir).length);
    assert.ok(mapped.bytes > 0);
    const again = text(reader, dir);
    assert.equal(again.reading.parsedEntries, 0);
    assert.equal(again.text, expectedProm('sglang'));
    assert.deepEqual(reader.mappings, mapped);
  });

  test('a file truncated while mapped: that read skips it (truncated), the process lives, the rest is served; once whole again it is read again', () => {
    const dir = copy('sglang');
    const reader = new MultiprocReader('auto', 'mmap');
    text(reader, dir);
    const target = path.join(dir, dbFiles(dir).find((n) => n.startsWith('histogram_'))!);
    const whole = readFileSync(target);
    const used = whole.readInt32LE(0);
    const faultsBefore = nativeMaps().native!.faults();
    // Cut below `used`, keeping the header page: the mapping still says the entries are there.
    truncateSync(target, 4096);
    assert.ok(used > 8192, `the file's entries reach past its second page (used ${used})`);
    const cut = text(reader, dir);
    assert.deepEqual(cut.reading.skipped.map((s) => [s.file, s.reason]), [[target, 'truncated']]);
    assert.ok(nativeMaps().native!.faults() > faultsBefore, 'pages past the end were met and counted');
    const withoutIt = copy('sglang');
    unlinkSync(path.join(withoutIt, path.basename(target)));
    assert.equal(cut.text, truth(withoutIt));

    writeFileSync(target, whole);
    assert.equal(text(reader, dir).text, expectedProm('sglang'));
  });

  test('a file replaced under the same name (new inode, other keys and values): the new one is read', () => {
    const dir = copy('sglang');
    const reader = new MultiprocReader('auto', 'mmap');
    text(reader, dir);
    const name = dbFiles(dir).find((n) => n.startsWith('counter_'))!;
    writeDb(path.join(dir, name), [{ key: pyKey('sglang:replaced', 'sglang:replaced_total', { tp_rank: '0' }, 'Replaced.'), value: 42 }]);
    const got = text(reader, dir);
    assert.deepEqual(got.reading.skipped, []);
    assert.match(got.text, /^sglang:replaced_total\{tp_rank="0"\} 42\.0$/m);
    assert.equal(got.text, truth(dir));
  });

  test('a file grown past its mapped size (prometheus_client doubles it): mapped again, old and new values exact', () => {
    const dir = copy('sglang');
    const reader = new MultiprocReader('auto', 'mmap');
    text(reader, dir);
    const name = dbFiles(dir).find((n) => n.startsWith('gauge_all_'))!;
    const file = path.join(dir, name);
    const sizeBefore = readFileSync(file).length;
    const entries = Array.from({ length: 600 }, (_, i) => ({ key: pyKey('sglang:grown', 'sglang:grown', { shard: String(i), filler: 'x'.repeat(80) }, 'Grown.'), value: i + 0.5, timestamp: 0 }));
    appendDb(file, entries);
    assert.ok(readFileSync(file).length > sizeBefore, 'the file was doubled');
    const got = text(reader, dir);
    assert.deepEqual(got.reading.skipped, []);
    assert.match(got.text, /^sglang:grown\{filler="x+",pid="\d+",shard="599"\} 599\.5$/m);
    assert.equal(got.text, truth(dir));
  });

  test('files removed from the directory are unmapped; close() unmaps the rest', () => {
    const dir = copy('sglang');
    const reader = new MultiprocReader('auto', 'mmap');
    text(reader, dir);
    const before = reader.mappings.files;
    unlinkSync(path.join(dir, dbFiles(dir)[0]));
    text(reader, dir);
    assert.equal(reader.mappings.files, before - 1);
    reader.close();
    assert.deepEqual(reader.mappings, { files: 0, bytes: 0 });
    assert.equal(text(reader, dir).text, truth(dir), 'a closed reader reads again');
  });

  test('past the bound on mappings, files are read with read(2): the same output', () => {
    const dir = copy('sglang');
    const original = MappedFiles.prototype.open;
    let refused = 0;
    // As when MAX_MAPPINGS files are mapped already: every other counter file is refused a mapping.
    MappedFiles.prototype.open = function (this: MappedFiles, file: string, listedIno: number, d: string) {
      if (path.basename(file).startsWith('counter_') && refused++ % 2 === 0) return undefined;
      return original.call(this, file, listedIno, d);
    };
    try {
      const reader = new MultiprocReader('auto', 'mmap');
      assert.equal(text(reader, dir).text, expectedProm('sglang'));
      assert.ok(refused > 0);
      assert.equal(reader.mappings.files, dbFiles(dir).length - Math.ceil(refused / 2));
      assert.equal(text(reader, dir).text, expectedProm('sglang'));
    } finally {
      MappedFiles.prototype.open = original;
    }
  });

  test('a SIGBUS that is not about a mapping still kills the process (the handler passes it on)', () => {
    const script = `require(${JSON.stringify(path.join(ROOT, 'native/build/mapped_file.node'))}); process.kill(process.pid, 'SIGBUS'); setTimeout(() => console.log('survived'), 500);`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 10_000 });
    assert.equal(r.signal, 'SIGBUS', `status ${r.status}, stdout ${r.stdout}, stderr ${r.stderr}`);
    assert.doesNotMatch(r.stdout, /survived/);
  });
});

describe('without the native module', () => {
  test('nativeMaps() says why and how to build it (auto then reads with read(2); mmap is refused with that text)', async () => {
    // The built module, copied where no native/build/mapped_file.node is three levels up.
    const tree = path.join(copy('basic'), 'a/b/c');
    mkdirSync(tree, { recursive: true });
    copyFileSync(path.join(ROOT, 'dist/receivers/prometheus_multiproc/mapped-files.js'), path.join(tree, 'mapped-files.js'));
    const { nativeMaps: elsewhere } = (await import(pathToFileURL(path.join(tree, 'mapped-files.js')).href)) as typeof import('../../src/receivers/prometheus_multiproc/mapped-files.js');
    const { native, problem } = elsewhere();
    assert.equal(native, undefined);
    assert.match(problem ?? '', /mapped_file\.node cannot be loaded .*build it with native\/build\.sh/);
  });
});
