/**
 * The merge keeps gauge values where they stand (file, entry) and finds a
 * process's series written twice in one read only when the keys of that
 * process's files can overlap (checked once per combination of keys arrays).
 * These directories make such repeats: a series in two files of one process,
 * a key repeated within a file, many processes sharing each pattern (so the
 * cached checks are reused), processes without repeats in between. The
 * output must be prometheus_client 0.16's, in a one-shot merge and in a
 * long-lived engine after values changed in place. A one-shot merge gives
 * gauges in mode all and liveall as per-process values (`perProcess`) that
 * the text writer reads without a sample object each: that text and the
 * samples made on demand must say the same as the engine's samples.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { floatToGoString } from '../../src/encoding/python-float.js';
import { renderPythonExposition } from '../../src/receivers/prometheus_multiproc/exposition.js';
import { MergeEngine, mergeFiles } from '../../src/receivers/prometheus_multiproc/merge.js';
import { MultiprocReader } from '../../src/receivers/prometheus_multiproc/reader.js';
import { pyKey, pythonExposition, setValue, tempDir, writeDb, type DbEntry } from '../helpers/multiproc.js';

const temps: string[] = [];
after(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

const key = (metric: string, labels: Record<string, string>) => pyKey(metric, metric, labels, `Gauge ${metric}.`);

/**
 * Pids 1-6: gauge_all_<pid> has g{a=x}, g{a=y}, h{}; gauge_liveall_<pid> has g{a=x} again
 * (the same series in two files of one process: the later file's value, the first position).
 * Pids 7-8: g{a=x} only in gauge_all (no repeat). Pid 9: a key repeated within one file.
 */
function writeRepeats(dir: string): void {
  for (let pid = 1; pid <= 8; pid++) {
    const all: DbEntry[] = [{ key: key('g', { a: 'x' }), value: pid }, { key: key('g', { a: 'y' }), value: 100 + pid }, { key: key('h', {}), value: -pid }];
    writeDb(path.join(dir, `gauge_all_${pid}.db`), all, 'legacy');
    if (pid <= 6) writeDb(path.join(dir, `gauge_liveall_${pid}.db`), [{ key: key('g', { a: 'x' }), value: 1000 + pid }], 'legacy');
  }
  writeDb(path.join(dir, 'gauge_all_9.db'), [{ key: key('h', {}), value: 1 }, { key: key('g', { a: 'y' }), value: 2 }, { key: key('h', {}), value: 3 }], 'legacy');
}

function oneShot(dir: string): string {
  return renderPythonExposition(mergeFiles(new MultiprocReader('legacy').read(dir).files, floatToGoString));
}

describe('merge.ts: a process writing one gauge series twice in one read', () => {
  const dir = tempDir('gauge-repeats');
  temps.push(dir);
  writeRepeats(dir);

  test('one-shot: prometheus_client 0.16 prints the same', () => {
    const got = oneShot(dir);
    assert.match(got, /^g\{a="x",pid="3"\} 1003\.0$/m);
    assert.match(got, /^h\{pid="9"\} 3\.0$/m);
    assert.equal(got, pythonExposition(dir));
  });

  test('a long-lived engine: the same after values change in place, read after read', () => {
    const reader = new MultiprocReader('legacy');
    const engine = new MergeEngine();
    for (let step = 0; step < 3; step++) {
      if (step > 0) {
        setValue(path.join(dir, 'gauge_liveall_2.db'), key('g', { a: 'x' }), 5000 + step, undefined, 'legacy');
        setValue(path.join(dir, 'gauge_all_7.db'), key('g', { a: 'x' }), 7000 + step, undefined, 'legacy');
      }
      const text = renderPythonExposition(engine.merge(reader.read(dir).files, floatToGoString));
      assert.equal(text, pythonExposition(dir), `step ${step}`);
      if (step > 0) {
        assert.match(text, new RegExp(`^g\\{a="x",pid="2"\\} ${5000 + step}\\.0$`, 'm'));
        assert.match(text, new RegExp(`^g\\{a="x",pid="7"\\} ${7000 + step}\\.0$`, 'm'));
      }
    }
  });
});

describe('mergeFiles: all and liveall gauges as per-process values', () => {
  const dir = tempDir('gauge-per-process');
  temps.push(dir);
  // label names sorting before and after `pid` (p, q: next to it); values needing escapes
  const labelSets: Record<string, string>[] = [{}, { a: 'x' }, { zz: 'q"uote', a: 'back\\slash' }, { p: '1', q: 'new\nline' }];
  for (const [n, pid] of ['1', '22', '333'].entries()) {
    writeDb(path.join(dir, `gauge_all_${pid}.db`), labelSets.map((labels, i) => ({ key: key('g', labels), value: n * 10 + i + 0.5 })), 'legacy');
    writeDb(path.join(dir, `gauge_liveall_${pid}.db`), [{ key: key('l', { tp_rank: String(n) }), value: -n }], 'legacy');
  }

  test('the text, the samples made on demand and the engine\'s samples agree, and prometheus_client prints the same', () => {
    const files = new MultiprocReader('legacy').read(dir).files;
    const once = mergeFiles(files, floatToGoString);
    for (const f of once) assert.ok(f.perProcess, `${f.name} has per-process values`);
    const text = renderPythonExposition(once);
    const eager = new MergeEngine().merge(new MultiprocReader('legacy').read(dir).files, floatToGoString);
    assert.equal(eager.some((f) => f.perProcess), false);
    assert.equal(text, renderPythonExposition(eager));
    assert.deepEqual(once.map((f) => f.samples), eager.map((f) => f.samples));
    assert.equal(text, pythonExposition(dir));
  });
});
