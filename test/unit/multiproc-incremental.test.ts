/**
 * The steady state keeps state between passes (resolved slots, reused
 * samples, the exporter store's positions, cached rendered lines, reused value
 * arrays). Whatever changes in the directory between two scrapes must show
 * in the next one: a value rewritten in place (same size, perhaps the same
 * mtime), a series appended in the middle of the output order, a new
 * process's files, a file that goes away. After every change the long-lived
 * receiver + exporter store + render must print exactly what a fresh one
 * prints for the same directory, and the changed values themselves are
 * checked by name.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import type { Metric } from '../../src/model/metrics.js';
import { render } from '../../src/exporters/prometheus/render.js';
import { MetricStore } from '../../src/exporters/prometheus/store.js';
import { multiprocFactory } from '../../src/receivers/prometheus_multiproc/factory.js';
import type { MultiprocReceiver } from '../../src/receivers/prometheus_multiproc/receiver.js';
import { MultiprocReader } from '../../src/receivers/prometheus_multiproc/reader.js';
import { MergeEngine, mergeFiles, type MergedFamily } from '../../src/receivers/prometheus_multiproc/merge.js';
import { CumulativeClock, familiesToMetrics } from '../../src/receivers/prometheus_multiproc/to-metrics.js';
import { floatToGoString } from '../../src/encoding/python-float.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { SelfTelemetry } from '../../src/telemetry/self-telemetry.js';
import { appendDb, FILE_ACCESS, pyKey, setValue, tempDir, writeDb, type DbEntry, type DbLayout, type FileAccessMethod } from '../helpers/multiproc.js';

const temps: string[] = [];
after(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

/** A store expiring series 5 s after their last update; every pass is 10 s after the previous one. */
class Scraper {
  private nowMs = 1_700_000_000_000;
  private readonly store = new MetricStore(5_000);
  private readonly receiver: MultiprocReceiver;

  constructor(dir: string, fileAccess: FileAccessMethod = 'read') {
    const { config, issues } = multiprocFactory.schema.validate({ directories: [dir], interval: '1h', file_access: fileAccess }, 'test');
    if (!config) throw new Error(JSON.stringify(issues));
    const settings = { id: 'prometheus_multiproc', logger: silentLogger, telemetry: new SelfTelemetry({ processMetrics: false }), now: () => this.nowMs };
    this.receiver = multiprocFactory.create(settings, config, { consume: (b) => b.metrics && this.store.put(b.metrics, this.nowMs) }) as MultiprocReceiver;
  }

  scrape(): string {
    this.nowMs += 10_000;
    this.receiver.poll();
    return render(this.store.snapshot(this.nowMs), 'text');
  }
}

/** The exposition's lines as a sorted list (series order may differ between a long-lived and a fresh store). */
function lines(text: string): string[] {
  return text.split('\n').filter(Boolean).sort();
}

function valueOf(text: string, series: string): string | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line?.slice(series.length + 1);
}

const HELP = { c: 'Requests.', h: 'Latency.', a: 'KV blocks.', m: 'Queue depth.' };
const lab = (shard: number, pid: number) => ({ model_name: 'm', shard: String(shard), tp_rank: String(pid % 2) });

function counterEntries(pid: number, shards: number[]): DbEntry[] {
  return shards.map((s) => ({ key: pyKey('app:requests', 'app:requests_total', lab(s, pid), HELP.c), value: 10 * pid + s }));
}
function histogramEntries(pid: number, shards: number[]): DbEntry[] {
  const out: DbEntry[] = [];
  for (const s of shards) {
    for (const le of ['0.1', '1.0', '+Inf']) out.push({ key: pyKey('app:latency_seconds', 'app:latency_seconds_bucket', { ...lab(s, pid), le }, HELP.h), value: pid + 1 });
    out.push({ key: pyKey('app:latency_seconds', 'app:latency_seconds_sum', lab(s, pid), HELP.h), value: 0.25 * (pid + s) });
  }
  return out;
}
function gaugeEntries(metric: 'app:kv_blocks' | 'app:queue_depth', pid: number, shards: number[], layout: DbLayout): DbEntry[] {
  const help = metric === 'app:kv_blocks' ? HELP.a : HELP.m;
  return shards.map((s) => ({ key: pyKey(metric, metric, lab(s, pid), help), value: 100 * pid + s, timestamp: layout === 'current' ? 1.7e9 + pid : undefined }));
}

function writeProcess(dir: string, pid: number, shards: number[], layout: DbLayout): void {
  writeDb(path.join(dir, `counter_${pid}.db`), counterEntries(pid, shards), layout);
  writeDb(path.join(dir, `histogram_${pid}.db`), histogramEntries(pid, shards), layout);
  writeDb(path.join(dir, `gauge_all_${pid}.db`), gaugeEntries('app:kv_blocks', pid, shards, layout), layout);
  const mode = layout === 'current' ? 'mostrecent' : 'max';
  writeDb(path.join(dir, `gauge_${mode}_${pid}.db`), gaugeEntries('app:queue_depth', pid, shards, layout), layout);
}

// The receiver's file_access settings (read(2) without the native module is the reader tests' concern).
const RECEIVER_ACCESS = FILE_ACCESS.filter((a): a is 'read' | 'mmap' => a !== 'read-js');
for (const [layout, access] of (['current', 'legacy'] as const).flatMap((l) => RECEIVER_ACCESS.map((a) => [l, a] as const))) {
  describe(`a long-lived receiver and exporter see every change (${layout} layout, file access ${access})`, () => {
    const dir = tempDir(`incremental-${layout}-${access}`);
    temps.push(dir);
    const pids = [11, 12, 13, 14];
    for (const pid of pids) writeProcess(dir, pid, [0, 1, 2], layout);
    const live = new Scraper(dir, access);
    const fresh = () => new Scraper(dir).scrape();
    const mode = layout === 'current' ? 'mostrecent' : 'max';
    const v = (x: number) => ({ value: x, timestamp: layout === 'current' ? 1.8e9 : undefined });

    test('first scrape equals a fresh one', () => {
      assert.deepEqual(lines(live.scrape()), lines(fresh()));
    });

    test('unchanged directory: the same exposition again', () => {
      const a = live.scrape();
      assert.deepEqual(lines(live.scrape()), lines(a));
    });

    test('values rewritten in place (8-byte writes, file size unchanged) show at the next scrape', () => {
      live.scrape();
      const set = (file: string, key: string, x: number) => setValue(path.join(dir, file), key, v(x).value, v(x).timestamp, layout);
      set('counter_12.db', pyKey('app:requests', 'app:requests_total', lab(1, 12), HELP.c), 5000);
      set('gauge_all_13.db', pyKey('app:kv_blocks', 'app:kv_blocks', lab(2, 13), HELP.a), 4242);
      set('histogram_11.db', pyKey('app:latency_seconds', 'app:latency_seconds_bucket', { ...lab(0, 11), le: '0.1' }, HELP.h), 70);
      set(`gauge_${mode}_14.db`, pyKey('app:queue_depth', 'app:queue_depth', lab(0, 14), HELP.m), 9999);
      const text = live.scrape();
      assert.deepEqual(lines(text), lines(fresh()));
      // shard 1, tp_rank 0: pids 12 (5000) and 14 (141)
      assert.equal(valueOf(text, 'app:requests_total{model_name="m",shard="1",tp_rank="0"}'), String(5000 + 141));
      assert.equal(valueOf(text, 'app:kv_blocks{model_name="m",pid="13",shard="2",tp_rank="1"}'), '4242');
      assert.equal(valueOf(text, 'app:latency_seconds_bucket{model_name="m",shard="0",tp_rank="1",le="0.1"}'), String(70 + 14)); // pids 11 (now 70) and 13
      assert.equal(valueOf(text, 'app:queue_depth{model_name="m",shard="0",tp_rank="0"}'), '9999');
    });

    test('a value changed and changed back shows each time', () => {
      const key = pyKey('app:kv_blocks', 'app:kv_blocks', lab(0, 11), HELP.a);
      const series = 'app:kv_blocks{model_name="m",pid="11",shard="0",tp_rank="1"}';
      for (const x of [1, 2, 2, 1, NaN, 3]) {
        setValue(path.join(dir, 'gauge_all_11.db'), key, x, undefined, layout);
        assert.equal(valueOf(live.scrape(), series), Number.isNaN(x) ? 'NaN' : String(x));
      }
    });

    test('series appended to the first files (inserted in the middle of the output order) show, with their values', () => {
      live.scrape();
      appendDb(path.join(dir, 'gauge_all_11.db'), gaugeEntries('app:kv_blocks', 11, [7], layout), layout);
      appendDb(path.join(dir, 'counter_11.db'), counterEntries(11, [7]), layout);
      appendDb(path.join(dir, 'histogram_12.db'), histogramEntries(12, [7]), layout);
      const text = live.scrape();
      assert.deepEqual(lines(text), lines(fresh()));
      assert.equal(valueOf(text, 'app:kv_blocks{model_name="m",pid="11",shard="7",tp_rank="1"}'), String(1107));
      assert.equal(valueOf(text, 'app:requests_total{model_name="m",shard="7",tp_rank="1"}'), String(117));
      assert.equal(valueOf(text, 'app:latency_seconds_count{model_name="m",shard="7",tp_rank="0"}'), String(3 * 13)); // three buckets of pid 12
    });

    test('a new process (files sorting first and last) shows', () => {
      live.scrape();
      writeProcess(dir, 10, [0, 5], layout);
      writeProcess(dir, 99, [0, 5], layout);
      const text = live.scrape();
      assert.deepEqual(lines(text), lines(fresh()));
      assert.equal(valueOf(text, 'app:kv_blocks{model_name="m",pid="10",shard="5",tp_rank="0"}'), '1005');
      assert.equal(valueOf(text, 'app:kv_blocks{model_name="m",pid="99",shard="0",tp_rank="1"}'), '9900');
    });

    test('a file that went away: its series leave once expired, sums drop its values', () => {
      live.scrape();
      unlinkSync(path.join(dir, 'gauge_all_12.db'));
      unlinkSync(path.join(dir, 'counter_12.db'));
      const text = live.scrape();
      assert.deepEqual(lines(text), lines(fresh()));
      assert.equal(valueOf(text, 'app:kv_blocks{model_name="m",pid="12",shard="0",tp_rank="0"}'), undefined);
    });

    test('a file replaced by one with other keys at the same offsets', () => {
      live.scrape();
      writeDb(path.join(dir, 'gauge_all_13.db'), gaugeEntries('app:kv_blocks', 13, [2, 1, 0], layout).map((e, i) => ({ ...e, value: 7000 + i })), layout);
      const text = live.scrape();
      assert.deepEqual(lines(text), lines(fresh()));
      assert.equal(valueOf(text, 'app:kv_blocks{model_name="m",pid="13",shard="2",tp_rank="1"}'), '7000');
      assert.equal(valueOf(text, 'app:kv_blocks{model_name="m",pid="13",shard="0",tp_rank="1"}'), '7002');
    });

    test('every process appends the same new series, twice (one walk per label variant, the rest take its growth): values exact', () => {
      live.scrape();
      const present = [10, 11, 13, 14, 99];
      for (const step of [[20, 21], [22]]) {
        for (const pid of present) {
          appendDb(path.join(dir, `gauge_all_${pid}.db`), gaugeEntries('app:kv_blocks', pid, step, layout), layout);
          appendDb(path.join(dir, `histogram_${pid}.db`), histogramEntries(pid, step), layout);
        }
        const text = live.scrape();
        assert.deepEqual(lines(text), lines(fresh()));
        for (const pid of present) assert.equal(valueOf(text, `app:kv_blocks{model_name="m",pid="${pid}",shard="${step[0]}",tp_rank="${pid % 2}"}`), String(100 * pid + step[0]));
      }
      assert.equal(valueOf(live.scrape(), 'app:latency_seconds_count{model_name="m",shard="22",tp_rank="1"}'), String(3 * (12 + 14 + 100))); // three buckets each of pids 11, 13 and 99
    });

  });
}

describe('the merge engine, given the directory\'s attributes, makes each label set\'s attributes once', () => {
  test('every sample carries them (extra plus labels), the same object read after read and after its value changed; the conversion uses them', () => {
    const dir = tempDir('engine-attributes');
    temps.push(dir);
    for (const pid of [31, 32]) writeProcess(dir, pid, [0, 1], 'current');
    const extra = { worker_id: 'w0' };
    const reader = new MultiprocReader();
    const engine = new MergeEngine({ attributes: extra });
    const merge = () => engine.merge(reader.read(dir).files, floatToGoString);
    const byLine = (families: readonly MergedFamily[]) => new Map(families.flatMap((f) => f.samples.map((x) => [`${x.name}${JSON.stringify(x.labels)}`, x] as const)));
    const first = byLine(merge());
    assert.ok(first.size > 20);
    for (const sample of first.values()) assert.deepEqual(sample.attributes, { ...extra, ...Object.fromEntries(sample.labels) });
    setValue(path.join(dir, 'counter_31.db'), pyKey('app:requests', 'app:requests_total', lab(0, 31), HELP.c), 999, undefined, 'current');
    setValue(path.join(dir, 'gauge_all_32.db'), pyKey('app:kv_blocks', 'app:kv_blocks', lab(1, 32), HELP.a), 7, 1.8e9, 'current');
    const families = merge();
    const second = byLine(families);
    assert.equal(second.size, first.size);
    for (const [line, sample] of second) assert.equal(sample.attributes, first.get(line)!.attributes, line);
    const counter = `app:requests_total${JSON.stringify(Object.entries(lab(0, 31)).sort())}`;
    const gauge = `app:kv_blocks${JSON.stringify([...Object.entries(lab(1, 32)).sort(), ['pid', '32']])}`;
    for (const [line, value] of [[counter, 999], [gauge, 7]] as const) {
      assert.notEqual(second.get(line), first.get(line), `${line}: a new sample for the new value`);
      assert.equal(second.get(line)!.value, value);
    }
    const metrics = familiesToMetrics(families, extra, 1_700_000_000_000, new CumulativeClock(), false);
    const points = metrics.flatMap((m) => m.points.map((p) => p.attributes));
    const made = new Set([...second.values()].map((x) => x.attributes));
    assert.ok(points.length > 0);
    for (const a of points) assert.ok(made.has(a), `a point's attributes are a sample's: ${JSON.stringify(a)}`);
  });

  test('without attributes (the one-shot merge) samples carry none', () => {
    const dir = tempDir('engine-no-attributes');
    temps.push(dir);
    writeProcess(dir, 41, [0], 'legacy');
    for (const f of mergeFiles(new MultiprocReader().read(dir).files, floatToGoString)) for (const x of f.samples) assert.equal(x.attributes, undefined);
  });
});

describe('files of several processes that grow alike keep sharing their parsed keys', () => {
  test('one keys array per label variant after each append, and values per file', () => {
    const dir = tempDir('growth-shared');
    temps.push(dir);
    const pids = [21, 22, 23, 24, 25, 26];
    for (const pid of pids) writeDb(path.join(dir, `gauge_all_${pid}.db`), gaugeEntries('app:kv_blocks', pid, [0, 1], 'current'), 'current');
    const reader = new MultiprocReader();
    const distinctKeys = () => new Set(reader.read(dir).files.map((f) => f.keys)).size;
    assert.equal(distinctKeys(), 2); // tp_rank 0 and 1
    for (const step of [[2], [3, 4]]) {
      for (const pid of pids) appendDb(path.join(dir, `gauge_all_${pid}.db`), gaugeEntries('app:kv_blocks', pid, step, 'current'), 'current');
      const reading = reader.read(dir);
      assert.equal(new Set(reading.files.map((f) => f.keys)).size, 2);
      for (const f of reading.files) {
        const pid = Number(f.file.pid);
        assert.deepEqual([...f.values], [0, 1, 2, 3, 4].slice(0, f.keys.length).map((s) => 100 * pid + s));
      }
    }
    // Same length appended by processes of one variant (tp_rank 1: 21, 23, 25): other keys (shard 8 for 9), or the same keys with other values.
    appendDb(path.join(dir, 'gauge_all_21.db'), gaugeEntries('app:kv_blocks', 21, [9], 'current'), 'current');
    appendDb(path.join(dir, 'gauge_all_23.db'), gaugeEntries('app:kv_blocks', 23, [8], 'current'), 'current');
    appendDb(path.join(dir, 'gauge_all_25.db'), gaugeEntries('app:kv_blocks', 25, [9], 'current').map((e) => ({ ...e, value: -5, timestamp: 7 })), 'current');
    const reading = reader.read(dir);
    const byPid = new Map(reading.files.map((f) => [f.file.pid, f]));
    const shardOf = (pid: string) => byPid.get(pid)!.keys.at(-1)!.labels.find(([k]) => k === 'shard')?.[1];
    assert.deepEqual([shardOf('21'), shardOf('23'), shardOf('25')], ['9', '8', '9']);
    assert.equal(byPid.get('21')!.values.at(-1), 2109);
    assert.equal(byPid.get('23')!.values.at(-1), 2308);
    assert.equal(byPid.get('25')!.values.at(-1), -5);
    assert.equal(byPid.get('25')!.timestamps.at(-1), 7);
    assert.equal(byPid.get('25')!.keys, byPid.get('21')!.keys); // same keys appended: shared
    assert.equal(distinctKeys(), 3); // tp_rank 0, and two for tp_rank 1 now
  });
});

describe('render reuses a line only while its value is unchanged', () => {
  const attributes = { a: '1' };
  const gauge = (name: string, value: number): Metric => ({ kind: 'gauge', name, description: '', unit: '', points: [{ attributes, startTimeMs: 0, timeMs: 0, value }] });
  test('value changes, NaN, and one attributes object under two names', () => {
    const expectations: [string, number, string][] = [
      ['g', 1, 'g{a="1"} 1'],
      ['g', 1, 'g{a="1"} 1'],
      ['g', 2, 'g{a="1"} 2'],
      ['g', NaN, 'g{a="1"} NaN'],
      ['g', NaN, 'g{a="1"} NaN'],
      ['g', 0, 'g{a="1"} 0'],
      ['h', 0, 'h{a="1"} 0'],
      ['g', 0, 'g{a="1"} 0'],
      ['g', Infinity, 'g{a="1"} +Inf'],
    ];
    for (const [name, value, line] of expectations) assert.equal(render([gauge(name, value)], 'text').split('\n')[1], line, `${name} ${value}`);
  });
});

describe('the exporter store finds series by position, and by key when they moved', () => {
  const point = (attributes: Record<string, string>, value: number) => ({ attributes, startTimeMs: 0, timeMs: 0, value });
  const metric = (points: ReturnType<typeof point>[]): Metric => ({ kind: 'gauge', name: 'g', description: '', unit: '', points });
  const values = (store: MetricStore, now: number) => Object.fromEntries(store.snapshot(now)[0].points.map((p) => [(p.attributes as Record<string, string>).k, (p as { value: number }).value]));
  test('inserted, left out, reordered and new attributes objects for old series', () => {
    const store = new MetricStore(60_000);
    const a = { k: 'a' };
    const b = { k: 'b' };
    const c = { k: 'c' };
    store.put([metric([point(a, 1), point(b, 2), point(c, 3)])], 0);
    assert.deepEqual(values(store, 0), { a: 1, b: 2, c: 3 });
    const x = { k: 'x' };
    store.put([metric([point(a, 10), point(x, 99), point(b, 20), point(c, 30)])], 1);
    assert.deepEqual(values(store, 1), { a: 10, b: 20, c: 30, x: 99 });
    store.put([metric([point(a, 11), point(c, 31)])], 2);
    assert.deepEqual(values(store, 2), { a: 11, b: 20, c: 31, x: 99 });
    store.put([metric([point(c, 32), point(x, 98), point(b, 22), point(a, 12)])], 3);
    assert.deepEqual(values(store, 3), { a: 12, b: 22, c: 32, x: 98 });
    store.put([metric([point({ k: 'a' }, 13), point({ k: 'b' }, 23), point(c, 33), point(x, 97)])], 4);
    assert.deepEqual(values(store, 4), { a: 13, b: 23, c: 33, x: 97 });
    assert.equal(store.seriesCount, 4);
  });
  test('an expired series comes back when it is put again', () => {
    const store = new MetricStore(1_000);
    const a = { k: 'a' };
    const b = { k: 'b' };
    store.put([metric([point(a, 1), point(b, 2)])], 0);
    store.put([metric([point(a, 5)])], 1_500);
    assert.deepEqual(values(store, 2_000), { a: 5 });
    store.put([metric([point(a, 6), point(b, 7)])], 2_100);
    assert.deepEqual(values(store, 2_100), { a: 6, b: 7 });
  });
});

describe('a directory that goes away is forgotten', () => {
  test('the sub-directory of a watched parent removed: its cached files and keys are dropped', async () => {
    const parent = tempDir('forget-parent');
    temps.push(parent);
    for (const [sub, metric] of [['a', 'app:alpha'], ['b', 'app:beta']] as const) {
      mkdirSync(path.join(parent, sub));
      writeDb(path.join(parent, sub, 'counter_7.db'), [{ key: pyKey(metric, `${metric}_total`, { shard: '0' }, 'Help.'), value: 1 }], 'current');
    }
    const telemetry = new SelfTelemetry({ processMetrics: false });
    const { config, issues } = multiprocFactory.schema.validate({ directories: [parent], interval: '1h' }, 'test');
    if (!config) throw new Error(JSON.stringify(issues));
    const receiver = multiprocFactory.create({ id: 'prometheus_multiproc', logger: silentLogger, telemetry, now: Date.now }, config, { consume: () => undefined }) as MultiprocReceiver;
    const cachedKeys = async () => (await telemetry.registry.getSingleMetric('bridge_multiproc_cached_keys')!.get()).values[0]!.value;
    receiver.poll();
    assert.equal(await cachedKeys(), 2);
    rmSync(path.join(parent, 'b'), { recursive: true });
    receiver.poll();
    assert.equal(await cachedKeys(), 1);
  });
});
