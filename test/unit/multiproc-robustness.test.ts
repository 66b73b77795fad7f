/**
 * A damaged file costs its own data and nothing else (shared/spec/multiproc.md §3).
 * Each case damages ONE file of a writable copy of a fixture directory; the
 * reader must skip exactly that file, with the right reason, and serve the
 * rest exactly as prometheus_client would print the directory without it:
 * for the current-layout fixtures that is this reader on a clean copy (their
 * byte-exactness is proven against expected.prom in multiproc-fixtures),
 * for legacy-0.16 it is Debian's real prometheus_client 0.16. prometheus_client
 * itself fails the whole scrape on a 0-byte file, which is shown too. Then
 * the `multiproc` CLI on damaged copies.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs, { copyFileSync, existsSync, readFileSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import path from 'node:path';
import { pidAlive } from '../../src/receivers/prometheus_multiproc/diagnose.js';
import { renderPythonExposition } from '../../src/receivers/prometheus_multiproc/exposition.js';
import { mergeFiles } from '../../src/receivers/prometheus_multiproc/merge.js';
import { floatToGoString } from '../../src/encoding/python-float.js';
import { MappedFiles } from '../../src/receivers/prometheus_multiproc/mapped-files.js';
import { MultiprocReader, type SkipReason } from '../../src/receivers/prometheus_multiproc/reader.js';
import { ROOT } from '../helpers/paths.js';
import { dbFiles, FILE_ACCESS, expectedProm, locate, multiprocReader, otlpJsonSamples, parseProm, patchBytes, pythonCollect, pythonExposition, runWriter, scratchDirectories, tempDir, toTriples, type DbLayout, type FileAccessMethod } from '../helpers/multiproc.js';

const { copy, keep } = scratchDirectories();

function readDir(dir: string, reader = new MultiprocReader()) {
  const reading = reader.read(dir);
  return { reading, text: renderPythonExposition(mergeFiles(reading.files, floatToGoString)) };
}

const LAYOUT: Record<string, DbLayout> = { sglang: 'current', basic: 'current', 'legacy-0.16': 'legacy' };

/** What prometheus_client prints for a clean directory (see the header). */
function truth(fixture: string, clean: string): string {
  if (LAYOUT[fixture] === 'legacy') return pythonExposition(clean);
  const { reading, text } = readDir(clean);
  assert.deepEqual(reading.skipped, []);
  return text;
}

/** The first .db file of dir whose name starts with prefix (nth match). */
function pick(dir: string, prefix: string, nth = 0): string {
  const f = dbFiles(dir).filter((n) => n.startsWith(prefix))[nth];
  assert.ok(f, `${prefix}* (#${nth}) in ${dir}`);
  return f;
}

interface Damage {
  name: string;
  reason: SkipReason;
  /** The file to damage (a base name). */
  target: (dir: string) => string;
  /** Damages it in place. */
  apply: (file: string, layout: DbLayout) => void;
}

function replaceKey(file: string, layout: DbLayout, which: 'first' | 'last', make: (key: string) => string): void {
  const buf = readFileSync(file);
  const entries = locate(buf, layout);
  const e = which === 'first' ? entries[0] : entries[entries.length - 1];
  const text = make(e.key);
  assert.equal(Buffer.byteLength(text), e.keyLength, 'the patched key keeps its length');
  patchBytes(file, e.keyStart, Buffer.from(text));
}

const DAMAGES: Damage[] = [
  {
    name: 'a 0-byte file',
    reason: 'empty',
    target: (d) => pick(d, 'counter_'),
    apply: (f) => truncateSync(f, 0),
  },
  {
    name: 'a file cut in the middle of an entry',
    reason: 'truncated',
    target: (d) => pick(d, 'histogram_'),
    apply: (f, layout) => {
      const entries = locate(readFileSync(f), layout);
      const e = entries[Math.floor(entries.length / 2)];
      truncateSync(f, e.keyStart + Math.floor(e.keyLength / 2));
    },
  },
  {
    name: 'garbage bytes over the entries (used kept)',
    reason: 'corrupt',
    target: (d) => pick(d, 'gauge_all_'),
    apply: (f) => {
      const buf = readFileSync(f);
      const used = buf.readInt32LE(0);
      const junk = Buffer.alloc(used - 8);
      for (let i = 0; i < junk.length; i++) junk[i] = (i * 167 + 89) & 0xff;
      patchBytes(f, 8, junk);
    },
  },
  {
    name: 'a whole file of garbage, header included',
    reason: 'corrupt',
    target: (d) => pick(d, 'counter_', 1),
    apply: (f) => {
      const size = statSync(f).size;
      writeFileSync(f, Buffer.alloc(size, 0xab)); // used = 0xabababab: negative
    },
  },
  {
    name: '`used` past the end of the file',
    reason: 'truncated',
    target: (d) => pick(d, 'gauge_', 1),
    apply: (f) => {
      const b = Buffer.alloc(4);
      b.writeInt32LE(statSync(f).size + 64, 0);
      patchBytes(f, 0, b);
    },
  },
  {
    name: 'a key turned from ["... into {"... (same length)',
    // A key that is not a 4-element JSON array is a bad key (spec §3), whichever check notices it.
    reason: 'bad_key',
    target: (d) => pick(d, 'histogram_', 1),
    apply: (f, layout) => replaceKey(f, layout, 'first', (k) => `{${k.slice(1)}`),
  },
  {
    name: 'a key that is a JSON array of 2 numbers (same length)',
    reason: 'bad_key',
    target: (d) => pick(d, 'counter_', 1),
    apply: (f, layout) => replaceKey(f, layout, 'last', (k) => '[1, 2]'.padEnd(k.length, ' ')),
  },
  {
    name: 'a key whose help is a number (same length)',
    reason: 'bad_key',
    target: (d) => pick(d, 'counter_'),
    apply: (f, layout) =>
      replaceKey(f, layout, 'first', (k) => {
        const help = k.lastIndexOf(', "');
        return `${k.slice(0, help)}, 0`.padEnd(k.length - 1, ' ') + ']';
      }),
  },
  {
    name: 'a key that is no longer JSON (same length)',
    reason: 'bad_key',
    target: (d) => pick(d, 'histogram_'),
    apply: (f, layout) => replaceKey(f, layout, 'last', (k) => `${k.slice(0, -1)} `),
  },
];

/**
 * Runs `read` with `target` deleted just before the reader opens it (after
 * listing it): mmap access maps it right after MappedFiles.list, read access
 * reads it in a batch of the native module (MappedFiles.readFiles), read(2)
 * from JavaScript opens it with fs.openSync. `onRemoved` is called when it
 * was deleted.
 */
function removeBeforeOpening<T>(access: FileAccessMethod, target: string, onRemoved: () => void, read: () => T): T {
  if (access !== 'read-js') {
    const method = access === 'mmap' ? 'list' : 'readFiles';
    const original = MappedFiles.prototype[method] as (...args: unknown[]) => unknown;
    const remove = () => {
      if (!existsSync(target)) return;
      unlinkSync(target);
      onRemoved();
    };
    (MappedFiles.prototype as unknown as Record<string, unknown>)[method] = function (this: MappedFiles, ...args: unknown[]) {
      if (method === 'readFiles') remove(); // listed already: gone before the batch is read
      const result = original.apply(this, args);
      if (method === 'list') remove(); // listed, then gone before it is mapped
      return result;
    };
    try {
      return read();
    } finally {
      (MappedFiles.prototype as unknown as Record<string, unknown>)[method] = original;
    }
  }
  const original = fs.openSync;
  let removed = false;
  fs.openSync = ((file: fs.PathLike, ...rest: unknown[]) => {
    if (String(file) === target && !removed) {
      removed = true;
      unlinkSync(target);
      onRemoved();
    }
    return (original as (...a: unknown[]) => number)(file, ...rest);
  }) as typeof fs.openSync;
  syncBuiltinESMExports();
  try {
    return read();
  } finally {
    fs.openSync = original;
    syncBuiltinESMExports();
  }
}

for (const access of FILE_ACCESS) {
  const reader = () => multiprocReader(access);
  for (const fixture of ['sglang', 'basic', 'legacy-0.16']) {
    const layout = LAYOUT[fixture];
    describe(`${fixture} (${layout} layout, file access ${access}): one damaged file is skipped, the rest served exactly`, () => {
      for (const damage of DAMAGES) {
        test(`${damage.name} -> ${damage.reason}`, () => {
          const damaged = copy(fixture);
          const target = damage.target(damaged);
          damage.apply(path.join(damaged, target), layout);
          const clean = copy(fixture);
          unlinkSync(path.join(clean, target));

          const { reading, text } = readDir(damaged, reader());
          assert.equal(reading.skipped.length, 1, JSON.stringify(reading.skipped));
          assert.equal(reading.skipped[0].file, path.join(damaged, target));
          assert.equal(reading.skipped[0].reason, damage.reason, reading.skipped[0].detail);
          assert.ok(reading.skipped[0].detail.length > 0);
          assert.equal(reading.files.length, dbFiles(clean).length);

          const want = truth(fixture, clean);
          assert.notEqual(want, expectedProm(fixture), 'the damaged file held data (the case is meaningful)');
          const got = parseProm(text);
          const exp = parseProm(want);
          assert.deepEqual(got.triples, exp.triples);
          assert.deepEqual(got.help, exp.help);
          assert.deepEqual(got.type, exp.type);
          assert.equal(text, want);
        });
      }

      test('a file that vanishes between listing and reading -> vanished', () => {
        const dir = copy(fixture);
        const target = path.join(dir, pick(dir, 'counter_'));
        const clean = copy(fixture);
        unlinkSync(path.join(clean, path.basename(target)));
        let removed = false;
        // The reader lists the directory, then opens each file: delete this one just before it is opened.
        const result = removeBeforeOpening(access, target, () => {
          removed = true;
        }, () => readDir(dir, reader()));
        assert.ok(removed, 'the reader opened the file after listing it');
        assert.deepEqual(result.reading.skipped.map((s) => [s.file, s.reason]), [[target, 'vanished']]);
        assert.equal(result.text, truth(fixture, clean));
      });

      test('a file removed between two reads of one reader: gone from the second, nothing skipped, no stale data', () => {
        const dir = copy(fixture);
        const once = reader();
        const first = readDir(dir, once);
        assert.equal(first.text, expectedProm(fixture));
        const cached = once.cachedFiles;
        const target = pick(dir, 'counter_');
        unlinkSync(path.join(dir, target));
        const clean = copy(fixture);
        unlinkSync(path.join(clean, target));
        const second = readDir(dir, once);
        assert.deepEqual(second.reading.skipped, []);
        assert.equal(second.reading.files.length, first.reading.files.length - 1);
        assert.equal(once.cachedFiles, cached - 1);
        assert.equal(second.text, truth(fixture, clean));
      });

      test('an unknown file prefix (weird_1234.db) -> unknown_prefix, the directory otherwise exactly expected.prom', () => {
        const dir = copy(fixture);
        copyFileSync(path.join(dir, pick(dir, 'counter_')), path.join(dir, 'weird_1234.db'));
        const { reading, text } = readDir(dir, reader());
        assert.deepEqual(reading.skipped.map((s) => [path.basename(s.file), s.reason]), [['weird_1234.db', 'unknown_prefix']]);
        assert.equal(text, expectedProm(fixture));
      });

      test('a new 0-byte file beside the others (a process killed while creating it) -> empty, the rest exactly expected.prom', () => {
        const dir = copy(fixture);
        writeFileSync(path.join(dir, 'counter_99999.db'), '');
        const { reading, text } = readDir(dir, reader());
        assert.deepEqual(reading.skipped.map((s) => [path.basename(s.file), s.reason]), [['counter_99999.db', 'empty']]);
        assert.equal(text, expectedProm(fixture));
      });
    });
  }
}

describe('the real prometheus_client 0.16 on a legacy directory with a 0-byte file', () => {
  test('prometheus_client fails the whole collection (struct.error); this reader serves everything else', () => {
    const dir = copy('legacy-0.16');
    const clean = copy('legacy-0.16');
    // sanity: prometheus_client's own collector reads the clean copy
    const ok = pythonCollect(clean);
    assert.equal(ok.status, 0, ok.stderr);
    assert.deepEqual(parseProm(ok.stdout).triples, parseProm(expectedProm('legacy-0.16')).triples);

    writeFileSync(path.join(dir, 'counter_1003.db'), '');
    const failed = pythonCollect(dir);
    assert.notEqual(failed.status, 0, `prometheus_client was expected to fail:\n${failed.stdout}`);
    assert.match(failed.stderr, /struct\.error/);
    assert.equal(failed.stdout, '', 'no partial output');

    const { reading, text } = readDir(dir);
    assert.deepEqual(reading.skipped.map((s) => s.reason), ['empty']);
    assert.equal(text, pythonExposition(clean));
  });

  test('the same with an existing file truncated to 0 bytes', () => {
    const dir = copy('legacy-0.16');
    truncateSync(path.join(dir, 'gauge_all_1002.db'), 0);
    const clean = copy('legacy-0.16');
    unlinkSync(path.join(clean, 'gauge_all_1002.db'));
    assert.notEqual(pythonCollect(dir).status, 0);
    const { text } = readDir(dir);
    assert.equal(text, pythonExposition(clean));
    assert.match(text, /sglang:gpu_mem_bytes\{gpu="0",pid="1001"\} 1024\.0/);
    assert.doesNotMatch(text, /pid="1002"/);
  });
});

// ------------------------------------------------------------------ CLI

function cli(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/main.ts'), 'multiproc', ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('sglang-otel-bridge multiproc DIR', { timeout: 60_000 }, () => {
  /** sglang copy with counter_4101.db at 0 bytes and an unknown weird_1.db; and its clean truth. */
  function damagedSglang() {
    const dir = copy('sglang');
    const clean = copy('sglang');
    truncateSync(path.join(dir, 'counter_4101.db'), 0);
    copyFileSync(path.join(clean, 'counter_4102.db'), path.join(dir, 'weird_1.db'));
    unlinkSync(path.join(clean, 'counter_4101.db'));
    return { dir, clean, truth: truth('sglang', clean) };
  }

  test('a damaged copy: exit 0, the exposition of the rest on stdout, a warning naming the damaged file on stderr', () => {
    const { dir, truth: want } = damagedSglang();
    const r = cli([dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, want);
    assert.deepEqual(parseProm(r.stdout).triples, parseProm(want).triples);
    const warnings = r.stderr.split('\n').filter((l) => /warn/i.test(l));
    assert.ok(warnings.some((l) => l.includes(path.join(dir, 'counter_4101.db')) && l.includes('empty')), r.stderr);
    assert.ok(warnings.some((l) => l.includes(path.join(dir, 'weird_1.db')) && l.includes('unknown_prefix')), r.stderr);
  });

  test('--stats: a JSON line with skipped_files by reason', () => {
    const { dir, clean } = damagedSglang();
    const r = cli([dir, '--stats']);
    assert.equal(r.code, 0, r.stderr);
    const line = r.stderr.split('\n').find((l) => l.startsWith('{'));
    assert.ok(line, r.stderr);
    const stats = JSON.parse(line!);
    assert.deepEqual(stats.skipped_files, { empty: 1, unknown_prefix: 1 });
    assert.equal(stats.files_read, dbFiles(clean).length);
    assert.equal(stats.directories, 1);
    assert.equal(typeof stats.milliseconds, 'number');
  });

  test('a clean fixture: stdout is expected.prom byte for byte, no warnings', () => {
    const dir = copy('sglang');
    const r = cli([dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, expectedProm('sglang'));
    assert.doesNotMatch(r.stderr, /warning/);
  });

  test('a large directory through a pipe read slowly: every line arrives, as prometheus_client prints them', async () => {
    const dir = keep(tempDir('large'));
    runWriter([dir, '--pids', '40', '--series', '100', '--layout', 'legacy']);
    // The reader starts late: the pipe fills and the rest waits in the process, which must not exit before it is written.
    const child = spawn(process.execPath, [path.join(ROOT, 'dist/main.js'), 'multiproc', dir], { stdio: ['ignore', 'pipe', 'ignore'] });
    child.stdout.pause();
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stdout.resume();
    assert.equal(await exited, 0);
    const stdout = Buffer.concat(chunks).toString('utf8');
    const lines = stdout.split('\n').length;
    assert.ok(lines > 5000, `${lines} lines: more than one piece`);
    // The same samples (prometheus_client orders a histogram's samples of this writer's files otherwise: order may differ).
    const want = pythonExposition(dir);
    assert.equal(lines, want.split('\n').length);
    assert.deepEqual(parseProm(stdout).triples, parseProm(want).triples);
  });

  test('a missing directory: exit 1 with a message', () => {
    const missing = path.join(tempDir('gone'), 'nope');
    keep(path.dirname(missing));
    const r = cli([missing]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /nope/);
    assert.equal(r.stdout, '');
  });

  test('--format otlp-json: metric names and values match (damaged copy against the clean truth)', () => {
    const { dir, truth: want } = damagedSglang();
    const r = cli([dir, '--format', 'otlp-json']);
    assert.equal(r.code, 0, r.stderr);
    const request = JSON.parse(r.stdout);
    const got = toTriples(otlpJsonSamples(request), { normalizeLe: true });
    assert.deepEqual(got, parseProm(want, { normalizeLe: true }).triples);
    // One OTLP metric per Prometheus family, named as its TYPE line (counters with _total).
    const names = (request.resourceMetrics[0].scopeMetrics[0].metrics as { name: string }[]).map((m) => m.name).sort();
    assert.deepEqual(names, Object.keys(parseProm(want).type).sort());
    assert.ok(names.includes('sglang:time_to_first_token_seconds') && names.includes('sglang:num_running_reqs') && names.includes('sglang:realtime_tokens_total'));
  });
});

// ------------------------------------------------------------------ liveness

describe('diagnose.ts: pidAlive (from a listing of /proc)', () => {
  test('this process is alive; an exited child is not; a pid that is not a number is unknown', () => {
    const child = spawnSync('/bin/true');
    assert.equal(child.status, 0);
    assert.equal(pidAlive(String(process.pid)), true);
    assert.equal(pidAlive(String(child.pid)), false);
    assert.equal(pidAlive('4194305'), false); // above Linux's largest pid
    assert.equal(pidAlive('abc'), undefined);
  });
});
