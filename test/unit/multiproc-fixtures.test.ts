/**
 * The prometheus_multiproc receiver's pure parts against prometheus_client's
 * own output: every case of shared/fixtures/multiproc (files written by
 * prometheus_client, expected.prom printed by its MultiProcessCollector),
 * Python's float formatting run by Debian's python3, and table tests of the
 * byte walk, keys, file names and the merge rules, on files written by an
 * independent writer (test/helpers/multiproc.ts), cross-checked with the real
 * prometheus_client 0.16 where it can read them (legacy layout).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { detectLayout, readUsed, walkEntries } from '../../src/receivers/prometheus_multiproc/db-file.js';
import { renderPythonExposition } from '../../src/receivers/prometheus_multiproc/exposition.js';
import { GAUGE_MODES, parseDbFileName } from '../../src/receivers/prometheus_multiproc/filename.js';
import { parseCanonicalKey, parseKey, parseKeyAsJson } from '../../src/receivers/prometheus_multiproc/key.js';
import { MergeEngine, mergeFiles, type MergedFamily } from '../../src/receivers/prometheus_multiproc/merge.js';
import { floatToGoString, pythonFloatRepr } from '../../src/encoding/python-float.js';
import { MultiprocReader } from '../../src/receivers/prometheus_multiproc/reader.js';
import { CumulativeClock, familiesToMetrics } from '../../src/receivers/prometheus_multiproc/to-metrics.js';
import { render } from '../../src/exporters/prometheus/render.js';
import { appendDb, dbBytes, encodeEntry, expectedProm, FILE_ACCESS, FIXTURES, multiprocReader, fixtureCases, parseProm, pyKey, pythonExposition, runPython, runWriter, scratchDirectories, sortSamplesPerFamily, writeDb, writeRestartedScheduler, type DbEntry, type DbLayout } from '../helpers/multiproc.js';

const { temp } = scratchDirectories();

function readDir(dir: string, reader = new MultiprocReader()) {
  const reading = reader.read(dir);
  const families = mergeFiles(reading.files, floatToGoString);
  return { reading, families, text: renderPythonExposition(families) };
}

// ------------------------------------------------------------------ fixtures

const CASES = fixtureCases();

test('the fixture folder is discovered, with its known cases', () => {
  for (const known of ['basic', 'legacy-0.16', 'sglang']) assert.ok(CASES.includes(known), `${known} in ${CASES.join(', ')}`);
});

for (const access of FILE_ACCESS) {
  describe(`every fixture (file access ${access}): MultiprocReader + mergeFiles + renderPythonExposition = prometheus_client`, () => {
    const reader = () => multiprocReader(access);
    for (const name of CASES) {
      const dir = path.join(FIXTURES, name);
      const expected = expectedProm(name);

      test(`${name}: same samples, HELP and TYPE as expected.prom`, () => {
        const { reading, text } = readDir(dir, reader());
        assert.deepEqual(reading.skipped, [], 'nothing skipped');
        assert.ok(reading.files.length > 0);
        const got = parseProm(text);
        const want = parseProm(expected);
        assert.ok(want.triples.length > 0);
        assert.deepEqual(got.triples, want.triples);
        assert.deepEqual(got.help, want.help);
        assert.deepEqual(got.type, want.type);
      });

      test(`${name}: byte-identical to expected.prom`, () => {
        assert.equal(readDir(dir, reader()).text, expected);
      });

      test(`${name}: a second read by the same reader re-parses nothing and prints the same`, () => {
        const once = reader();
        const first = readDir(dir, once);
        assert.ok(first.reading.parsedEntries > 0);
        assert.equal(first.reading.parsedEntries, first.reading.entries);
        const second = readDir(dir, once);
        assert.equal(second.reading.parsedEntries, 0);
        assert.equal(second.reading.entries, first.reading.entries);
        assert.equal(second.text, expected);
      });

      test(`${name}: through the pipeline model (familiesToMetrics -> prometheus exporter render) the same samples and values`, () => {
        const { families } = readDir(dir, reader());
        const metrics = familiesToMetrics(families, {}, 1_700_000_000_000, new CumulativeClock(), false);
        const text = render(metrics, 'text');
        // Bucket bounds too are printed as prometheus_client prints them (le="1.0").
        const got = parseProm(text);
        const want = parseProm(expected);
        assert.deepEqual(got.triples, want.triples);
        assert.deepEqual(got.type, want.type);
        assert.deepEqual(got.help, want.help);
      });
    }

    if (access === 'read') test('legacy-0.16: Debian\'s prometheus_client 0.16 itself prints expected.prom (the reference the robustness tests use)', () => {
      const py = pythonExposition(path.join(FIXTURES, 'legacy-0.16'));
      assert.deepEqual(parseProm(py).triples, parseProm(expectedProm('legacy-0.16')).triples);
      assert.equal(py, expectedProm('legacy-0.16'));
    });
  });
}

describe('exposition.ts: renderPythonExposition', () => {
  test('handed over in pieces (write), the same text as returned whole, in pieces of whole lines', () => {
    const samples = Array.from({ length: 2500 }, (_, i) => ({ name: 'm', labels: [['i', String(i)]] as [string, string][], value: i / 4, attributes: undefined }));
    const families: MergedFamily[] = [{ name: 'm', type: 'gauge', help: 'h', samples }];
    for (const name of CASES) families.push(...mergeFiles(new MultiprocReader().read(path.join(FIXTURES, name)).files, floatToGoString));
    const whole = renderPythonExposition(families);
    const pieces: string[] = [];
    assert.equal(renderPythonExposition(families, (p) => pieces.push(p)), '');
    assert.ok(pieces.length >= 3, `${pieces.length} pieces`);
    for (const p of pieces) assert.ok(p.endsWith('\n'));
    assert.equal(pieces.join(''), whole);
  });

  test('samples sharing their leading pairs (a histogram\'s buckets) print each its own labels', () => {
    const a: [string, string] = ['tp_rank', '0'];
    const b: [string, string] = ['model_name', 'm"x'];
    const sets: [string, string][][] = [
      [a, b, ['le', '0.5']],
      [a, b, ['le', '1.0']],
      [a, b, ['quantile', 'x"y']],
      [a, ['le', '2.0']],
      [a, b, ['zz', 'last']],
      [a, b, ['zz', 'again']],
      [['tp_rank', '0'], b, ['zz', 'copy']],
      [a, ['model_name', 'other'], ['zz', 'other pairs']],
      [b, a, ['a', '\\']],
      [b, a, ['a', 'b\nc']],
    ];
    const samples = sets.map((labels) => ({ name: 'm', labels, value: 1, attributes: undefined }));
    const lines = renderPythonExposition([{ name: 'm', type: 'gauge', help: 'h', samples }]).split('\n').slice(2, -1);
    const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
    const want = sets.map((labels) => `m{${[...labels].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0)).map(([k, v]) => `${k}="${escape(v)}"`).join(',')}} 1.0`);
    assert.deepEqual(lines, want);
  });

  test('labels out of order are printed sorted by name, equal names in their order (as a stable sort)', () => {
    const labels: [string, string][] = [['shard', '0'], ['b', 'x'], ['a', '2'], ['a', '1'], ['le', '0.5']];
    const text = renderPythonExposition([{ name: 'm', type: 'histogram', help: 'h', samples: [{ name: 'm_bucket', labels, value: 3, attributes: undefined }] }]);
    assert.equal(text.split('\n')[2], 'm_bucket{a="2",a="1",b="x",le="0.5",shard="0"} 3.0');
  });
});

describe('histograms grouped by the merge engine convert exactly as the same samples regrouped', () => {
  const convert = (families: readonly MergedFamily[]) => familiesToMetrics(families, { worker_id: 'w' }, 1_700_000_000_000, new CumulativeClock(), false);
  const withoutGroups = (families: readonly MergedFamily[]) => families.map((f) => ({ ...f, histograms: undefined }));
  for (const name of CASES) {
    test(`${name}: the same histogram points either way`, () => {
      const families = new MergeEngine({ attributes: { worker_id: 'w' } }).merge(new MultiprocReader().read(path.join(FIXTURES, name)).files, floatToGoString);
      const histograms = families.filter((f) => f.type === 'histogram');
      assert.ok(histograms.length > 0 && histograms.every((f) => f.histograms !== undefined), 'the engine grouped every histogram family');
      assert.deepEqual(convert(families), convert(withoutGroups(families)));
    });
  }

  test('a _sum written after its buckets (between two reads of one engine) shows at the next read', () => {
    const dir = temp('histogram-late-sum');
    const lab = { route: '/a' };
    const file = path.join(dir, 'histogram_1.db');
    writeDb(file, [{ key: pyKey('h', 'h_bucket', { ...lab, le: '+Inf' }, 'H.'), value: 3 }], 'current');
    const reader = new MultiprocReader();
    const engine = new MergeEngine({ attributes: {} });
    const first = engine.merge(reader.read(dir).files, floatToGoString);
    assert.deepEqual(first[0].samples.map((x) => x.name), ['h_bucket', 'h_count']);
    appendDb(file, [{ key: pyKey('h', 'h_sum', lab, 'H.'), value: 7.5 }], 'current');
    const second = engine.merge(reader.read(dir).files, floatToGoString);
    assert.deepEqual(second[0].samples.map((x) => [x.name, x.value]), [['h_sum', 7.5], ['h_bucket', 3], ['h_count', 3]]);
    assert.equal(second[0].histograms?.[0].sum, 7.5);
  });

  test('a histogram file holding other samples too (a hand-made _count, a _sum without buckets): the engine leaves the grouping to the samples', () => {
    const dir = temp('histogram-odd');
    const lab = { route: '/a' };
    writeDb(path.join(dir, 'histogram_1.db'), [
      { key: pyKey('h', 'h_bucket', { ...lab, le: '1.0' }, 'H.'), value: 2 },
      { key: pyKey('h', 'h_bucket', { ...lab, le: '+Inf' }, 'H.'), value: 1 },
      { key: pyKey('h', 'h_sum', lab, 'H.'), value: 4.5 },
      { key: pyKey('h', 'h_count', lab, 'H.'), value: 99 },
      { key: pyKey('h', 'h_sum', { route: '/b' }, 'H.'), value: 1.25 },
    ], 'current');
    const odd = new MergeEngine({ attributes: {} }).merge(new MultiprocReader().read(dir).files, floatToGoString);
    assert.equal(odd[0].histograms, undefined);
    writeDb(path.join(dir, 'histogram_1.db'), [
      { key: pyKey('h', 'h_bucket', { ...lab, le: '1.0' }, 'H.'), value: 2 },
      { key: pyKey('h', 'h_bucket', { ...lab, le: '+Inf' }, 'H.'), value: 1 },
      { key: pyKey('h', 'h_sum', lab, 'H.'), value: 4.5 },
      { key: pyKey('h', 'h_sum', { route: '/b' }, 'H.'), value: 1.25 },
    ], 'current');
    const grouped = new MergeEngine({ attributes: {} }).merge(new MultiprocReader().read(dir).files, floatToGoString);
    assert.equal(grouped[0].histograms?.length, 2, 'a label set with buckets, and one with a _sum only');
    assert.deepEqual(convert(grouped), convert(withoutGroups(grouped)));
  });
});

// ------------------------------------------------------------------ python-float

describe('encoding/python-float.ts = Python repr() and prometheus_client.utils.floatToGoString', () => {
  const floats: number[] = [
    0, -0, 1, -1, 15, 0.25, 0.1, 0.2, 0.1 + 0.2, 1 / 3, 2 / 3, 4.65625, 0.5241, 3421.81, 14.878178934603492,
    1e-4, 1e-5, 1.5e-7, -1e-7, 0.0001234, 0.00001234, 9.999e-5, 123e-7,
    99999, 100000, 123456.7, 999999.9, 1000000, 1234567, 12345678.9, 1e15, 1234567890123456, 9999999999999998, 1e16, 1.5e16, 1e17, 1e21, 1e22, 1e100, 1.7976931348623157e308,
    -123456.7, -1234567, -1e16, -1e22,
    5e-324, 2.2250738585072014e-308, 2 ** 53, 2 ** 53 + 2, 2 ** 63, 1.7e9 + 0.123456, 1700000000.5, 65536, 0.005, 0.05, 0.6, 0.8, 6, 8,
    NaN, Infinity, -Infinity,
  ];
  // Deterministic pseudo-random doubles over many magnitudes.
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let i = 0; i < 200; i++) floats.push((rnd() - 0.3) * 10 ** Math.floor(rnd() * 40 - 20));
  for (let i = 0; i < 50; i++) floats.push(Math.round(rnd() * 10 ** (i % 18)) / 10 ** (i % 7));

  const hex = floats.map((f) => {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(f, 0);
    return b.toString('hex');
  });
  const py = runPython(
    `
import json, struct, sys
from prometheus_client.utils import floatToGoString
out = []
for h in json.load(sys.stdin):
    f = struct.unpack('<d', bytes.fromhex(h))[0]
    out.append([repr(f), floatToGoString(f)])
print(json.dumps(out))
`,
    [],
    JSON.stringify(hex),
  );

  test('python ran', () => {
    assert.equal(py.status, 0, py.stderr);
  });

  test(`pythonFloatRepr and floatToGoString over ${floats.length} tricky floats`, () => {
    const want = JSON.parse(py.stdout) as [string, string][];
    assert.equal(want.length, floats.length);
    const mismatches: string[] = [];
    floats.forEach((f, i) => {
      const repr = pythonFloatRepr(f);
      const go = floatToGoString(f);
      if (repr !== want[i][0]) mismatches.push(`repr(${hex[i]}): got ${repr}, python ${want[i][0]}`);
      if (go !== want[i][1]) mismatches.push(`floatToGoString(${hex[i]}): got ${go}, python ${want[i][1]}`);
    });
    assert.deepEqual(mismatches, []);
  });

  test('a few by hand (the spec\'s examples)', () => {
    assert.equal(floatToGoString(15), '15.0');
    assert.equal(floatToGoString(0.25), '0.25');
    assert.equal(floatToGoString(1e-5), '1e-05');
    assert.equal(floatToGoString(Infinity), '+Inf');
    assert.equal(floatToGoString(-Infinity), '-Inf');
    assert.equal(floatToGoString(NaN), 'NaN');
    assert.equal(floatToGoString(1234567), '1.234567e+06');
    assert.equal(pythonFloatRepr(1e16), '1e+16');
  });
});

// ------------------------------------------------------------------ db-file.ts

describe('db-file.ts: walkEntries and detectLayout', () => {
  // Key lengths chosen to hit every padding: (keylen + 4) % 8 == 0 gives 8 spaces, 7 gives 1.
  const keys = ['["a", "a", {}, "h"]', '["ab", "ab", {}, ""]', '["m", "m_total", {"x": "1"}, "some help"]', '[1234]'];
  const entries: DbEntry[] = keys.map((key, i) => ({ key, value: i + 0.5, timestamp: i * 10 }));

  function expectedLocations(layout: DbLayout) {
    let pos = 8;
    return keys.map((k) => {
      const len = Buffer.byteLength(k);
      const pad = 8 - ((len + 4) % 8);
      const loc = { keyStart: pos + 4, keyLength: len, valueOffset: pos + 4 + len + pad };
      pos = loc.valueOffset + (layout === 'current' ? 16 : 8);
      return loc;
    });
  }

  /** The walk's parallel arrays as one location per entry. */
  function locations(walk: { keyStarts: number[]; keyLengths: number[]; valueOffsets: number[] }) {
    return walk.keyStarts.map((keyStart, i) => ({ keyStart, keyLength: walk.keyLengths[i], valueOffset: walk.valueOffsets[i] }));
  }

  test('padding is 1 to 8 spaces, never 0; every entry a multiple of 8 bytes', () => {
    const pads = keys.map((k) => 8 - ((Buffer.byteLength(k) + 4) % 8));
    assert.ok(pads.includes(8), `some key needs 8 spaces: ${pads}`);
    for (const layout of ['current', 'legacy'] as const) for (const e of entries) assert.equal(encodeEntry(e, layout).length % 8, 0);
  });

  for (const layout of ['current', 'legacy'] as const) {
    test(`${layout}: every entry located, values where the writer put them`, () => {
      const buf = dbBytes(entries, layout);
      const walk = walkEntries(buf, layout);
      assert.ok(walk.ok, JSON.stringify(walk));
      assert.deepEqual(locations(walk), expectedLocations(layout));
      assert.equal(walk.used, readUsed(buf));
      locations(walk).forEach((e, i) => {
        assert.equal(buf.toString('utf8', e.keyStart, e.keyStart + e.keyLength), keys[i]);
        assert.equal(buf.readDoubleLE(e.valueOffset), i + 0.5);
        if (layout === 'current') assert.equal(buf.readDoubleLE(e.valueOffset + 8), i * 10);
      });
      assert.equal(detectLayout(buf), layout);
    });

    test(`${layout}: walking from a previous used returns only what was appended`, () => {
      const before = dbBytes(entries.slice(0, 2), layout);
      const buf = dbBytes(entries, layout);
      const from = readUsed(before)!;
      const walk = walkEntries(buf, layout, from);
      assert.ok(walk.ok);
      assert.deepEqual(locations(walk), expectedLocations(layout).slice(2));
    });

    test(`${layout}: a file holding entries is not walkable as the other layout`, () => {
      const other = layout === 'current' ? 'legacy' : 'current';
      assert.equal(walkEntries(dbBytes(entries, layout), other).ok, false);
      // one entry alone as well
      assert.equal(walkEntries(dbBytes(entries.slice(2, 3), layout), other).ok, false);
    });
  }

  test('an empty file (used 8, no entries): no entries, either layout will do', () => {
    const buf = dbBytes([]);
    const walk = walkEntries(buf, 'current');
    assert.deepEqual(walk, { ok: true, used: 8, keyStarts: [], keyLengths: [], valueOffsets: [] });
    assert.ok(detectLayout(buf));
  });

  test('readUsed: undefined below 8 bytes, else the int32 at 0', () => {
    assert.equal(readUsed(Buffer.alloc(7)), undefined);
    assert.equal(readUsed(dbBytes(entries)), 8 + entries.reduce((n, e) => n + encodeEntry(e, 'current').length, 0));
  });

  // undefined: any failure reason (a key not starting a JSON array may be reported as corrupt or as a bad key;
  // what the reader reports for it is pinned in multiproc-robustness).
  const damaged: [string, () => Buffer, 'truncated' | 'corrupt' | undefined][] = [
    ['shorter than the header', () => Buffer.alloc(5), 'truncated'],
    ['0 bytes', () => Buffer.alloc(0), 'truncated'],
    ['used below 8', () => withUsed(dbBytes(entries), 4), 'corrupt'],
    ['used negative', () => withUsed(dbBytes(entries), -8), 'corrupt'],
    ['used past the end of the buffer', () => withUsed(dbBytes(entries), 65536 + 8), 'truncated'],
    ['a key length of 0', () => patchInt(dbBytes(entries), 8, 0), 'corrupt'],
    ['a negative key length', () => patchInt(dbBytes(entries), 8, -5), 'corrupt'],
    ['a key length past used', () => patchInt(dbBytes(entries), 8, 1 << 20), 'corrupt'],
    ['used cutting an entry\'s value', () => withUsed(dbBytes(entries), readUsed(dbBytes(entries))! - 8), 'corrupt'],
    ['used cutting an entry\'s key length', () => withUsed(dbBytes(entries), expectedLocations('current')[1].keyStart - 4 + 2), 'corrupt'],
    ['a key that is not a JSON array', () => patchByte(dbBytes(entries), 12, 0x7b), undefined],
    ['garbage after the header', () => garbage(dbBytes(entries)), 'corrupt'],
  ];
  for (const [what, make, reason] of damaged) {
    test(`damaged: ${what} -> ${reason ?? 'refused'}`, () => {
      const walk = walkEntries(make(), 'current');
      assert.equal(walk.ok, false);
      if (!walk.ok) {
        if (reason) assert.equal(walk.reason, reason, walk.detail);
        assert.ok(walk.detail.length > 0);
      }
      assert.equal(detectLayout(make()), undefined);
    });
  }
});

function withUsed(buf: Buffer, used: number): Buffer {
  buf.writeInt32LE(used, 0);
  return buf;
}
function patchInt(buf: Buffer, at: number, v: number): Buffer {
  buf.writeInt32LE(v, at);
  return buf;
}
function patchByte(buf: Buffer, at: number, v: number): Buffer {
  buf[at] = v;
  return buf;
}
function garbage(buf: Buffer): Buffer {
  const used = buf.readInt32LE(0);
  for (let i = 8; i < used; i++) buf[i] = (i * 167 + 89) & 0xff;
  return buf;
}

// ------------------------------------------------------------------ key.ts

describe('key.ts: parseKey', () => {
  test('a 4-element key: metric, sample, labels sorted by name, help', () => {
    const k = parseKey(pyKey('sglang:x', 'sglang:x_total', { z: '1', a: 'é"\\', m: '' }, 'Help with \u2603.'));
    assert.ok(!('problem' in k));
    if ('problem' in k) return;
    assert.equal(k.metricName, 'sglang:x');
    assert.equal(k.sampleName, 'sglang:x_total');
    assert.deepEqual(k.labels, [['a', 'é"\\'], ['m', ''], ['z', '1']]);
    assert.equal(k.help, 'Help with \u2603.');
    assert.equal(k.labelsKey, 'a\u0000é"\\\u0001m\u0000\u0001z\u00001\u0001');
  });

  test('equal label sets give equal labelsKey whatever the key order; different ones differ', () => {
    const a = parseKey('["m", "m", {"b": "2", "a": "1"}, "h"]');
    const b = parseKey('["m", "m", {"a": "1", "b": "2"}, "h"]');
    const c = parseKey('["m", "m", {"a": "1", "b": "3"}, "h"]');
    assert.ok(!('problem' in a) && !('problem' in b) && !('problem' in c));
    if ('problem' in a || 'problem' in b || 'problem' in c) return;
    assert.equal(a.labelsKey, b.labelsKey);
    assert.notEqual(a.labelsKey, c.labelsKey);
  });

  test('keys as Python json.dumps writes them are read without JSON.parse, to the same result; every other key through JSON.parse', () => {
    const cases: [string, string, Record<string, unknown>, string?][] = [
      ['sglang:num_running_reqs', 'sglang:num_running_reqs', { engine_type: 'unified', model_name: 'meta-llama/Llama-3.1-8B', tp_rank: '0' }, 'The number of running requests.'],
      ['m', 'm_bucket', { le: '+Inf', model_name: 'm' }, 'h'],
      ['m', 'm', {}, ''],
      ['m', 'm_sum', { le: '0.5' }],
      ['m', 'm', {}],
      ['m', 'm', { a: 'é', b: '\u2603' }, 'Help with \u2603.'],
      ['m', 'm', { a: 'quote "here"', b: 'back\\slash' }, 'h'],
      ['m', 'm', { a: 'line\nbreak', b: 'tab\t' }, 'h'],
      ['m', 'm', { a: 1, b: 2.5, c: null }, 'h'],
      ['m', 'm', { zz: '1', a: '2', mm: '3' }, 'sorted by json.dumps'],
    ];
    const python = runPython(
      'import json, sys\nfor m, s, labels, *h in json.loads(sys.stdin.read()):\n    print(json.dumps([m, s, labels, *h], sort_keys=True))',
      [],
      JSON.stringify(cases.map(([m, s, labels, help]) => (help === undefined ? [m, s, labels] : [m, s, labels, help]))),
    );
    assert.equal(python.status, 0, python.stderr);
    const keys = python.stdout.trim().split('\n');
    assert.equal(keys.length, cases.length);
    // Text json.dumps escapes, and label values of other types than strings, are left to JSON.parse.
    const plain = (v: unknown) => typeof v === 'string' && !/[\\"\n\t]|[^\x20-\x7e]/.test(v);
    const canonical = cases.map(([m, s, labels, help]) => [m, s, help ?? '', ...Object.values(labels)].every(plain));
    keys.forEach((key, i) => {
      assert.deepEqual(parseKey(key), parseKeyAsJson(key), key);
      assert.equal(parseCanonicalKey(key) !== undefined, canonical[i], key);
    });
    // Hand-made keys the fast path leaves to JSON.parse, read as before.
    for (const key of ['["m","m",{"b":"1"},"h"]', '["m", "m", {"b": "1", "a": "2"}, "h"]', '["m", "m", {"b": "1", "b": "2"}, "h"]', '["m", "m", {"b": "1"}, "h", "x"]', '["m", "m", {"b": "1"}, "h"] ', '["m", "m", {"b": "x\ny"}, "h"]', '["m", "m", {"b": "1"}, "h"', '["m", "m", ["b"], "h"]']) {
      assert.equal(parseCanonicalKey(key), undefined, key);
      assert.deepEqual(parseKey(key), parseKeyAsJson(key), key);
    }
  });

  test('a 3-element key (before prometheus_client 0.16): help is empty', () => {
    const k = parseKey(pyKey('m', 'm_sum', { le: '0.5' }));
    assert.ok(!('problem' in k));
    if ('problem' in k) return;
    assert.equal(k.help, '');
    assert.equal(k.sampleName, 'm_sum');
    assert.deepEqual(k.labels, [['le', '0.5']]);
  });

  const bad: [string, string][] = [
    ['not JSON', '["m", "m", {}, "h"'],
    ['not JSON at all', 'garbage'],
    ['a JSON object', '{"m": 1}'],
    ['a JSON string', '"m"'],
    ['null', 'null'],
    ['a 2-element array', '["m", "m"]'],
    ['a 5-element array', '["m", "m", {}, "h", "x"]'],
    ['an empty array', '[]'],
    ['a numeric metric name', '[1, "m", {}, "h"]'],
    ['a numeric sample name', '["m", 2, {}, "h"]'],
    ['a numeric help', '["m", "m", {}, 3]'],
    ['labels as an array', '["m", "m", [], "h"]'],
    ['labels null', '["m", "m", null, "h"]'],
    ['labels a string', '["m", "m", "a=1", "h"]'],
  ];
  for (const [what, text] of bad) {
    test(`rejects ${what}`, () => {
      const k = parseKey(text);
      assert.ok('problem' in k, `${text} gave ${JSON.stringify(k)}`);
    });
  }
});

// ------------------------------------------------------------------ filename.ts

describe('filename.ts: parseDbFileName as prometheus_client splits names', () => {
  test('the spec\'s ten gauge modes', () => {
    assert.deepEqual([...GAUGE_MODES].sort(), ['all', 'liveall', 'livemax', 'livemin', 'livemostrecent', 'livesum', 'max', 'min', 'mostrecent', 'sum']);
  });
  for (const mode of GAUGE_MODES) {
    test(`gauge_${mode}_4242.db`, () => {
      assert.deepEqual(parseDbFileName(`gauge_${mode}_4242.db`), { kind: 'gauge', mode, pid: '4242' });
    });
  }
  for (const kind of ['counter', 'histogram', 'summary'] as const) {
    test(`${kind}_77.db`, () => {
      assert.deepEqual(parseDbFileName(`${kind}_77.db`), { kind, pid: '77' });
    });
  }
  test('a pid containing "_" is cut as prometheus_client cuts it: gauge_all_worker_7.db -> "wor"', () => {
    assert.deepEqual(parseDbFileName('gauge_all_worker_7.db'), { kind: 'gauge', mode: 'all', pid: 'wor' });
    const py = runPython(`import os; print(os.path.basename('/d/gauge_all_worker_7.db').split('_')[2][:-3])`);
    assert.equal(py.stdout.trim(), 'wor');
  });
  test('a string pid', () => {
    assert.deepEqual(parseDbFileName('gauge_livesum_tokenizer.db'), { kind: 'gauge', mode: 'livesum', pid: 'tokenizer' });
  });
  const bad: [string, RegExp][] = [
    ['weird_1234.db', /unknown prefix "weird"/],
    ['info_1.db', /unknown prefix/],
    ['gauge_bogus_1.db', /mode/],
    ['gauge_1.db', /mode/],
    ['counter_1.txt', /not a \.db file/],
  ];
  for (const [name, problem] of bad) {
    test(`rejects ${name}`, () => {
      const r = parseDbFileName(name);
      assert.ok('problem' in r, JSON.stringify(r));
      if ('problem' in r) assert.match(r.problem, problem);
    });
  }
});

// ------------------------------------------------------------------ merge.ts

function family(families: readonly MergedFamily[], name: string): MergedFamily {
  const f = families.find((x) => x.name === name);
  assert.ok(f, `family ${name} in ${families.map((x) => x.name).join(', ')}`);
  return f!;
}
/** name{labels} -> value, labels sorted. */
function samplesOf(f: MergedFamily): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of f.samples) {
    const id = `${s.name}{${[...s.labels].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([k, v]) => `${k}=${v}`).join(',')}}`;
    assert.ok(!(id in out), `duplicate ${id}`);
    out[id] = s.value;
  }
  return out;
}

describe('merge.ts: gauge modes and the other merge rules, on files written here', () => {
  const values: Record<string, number> = { '1': 3, '2': -1.5, '10': 7.25 };
  /** Every non-timestamp mode: pids 1, 2, 10 write {a="x"}; pid 2 alone writes {a="y"} = 4. */
  function writeModes(dir: string, layout: DbLayout) {
    for (const mode of ['min', 'livemin', 'max', 'livemax', 'sum', 'livesum', 'all', 'liveall']) {
      for (const pid of ['1', '2', '10']) {
        const entries: DbEntry[] = [{ key: pyKey(`g_${mode}`, `g_${mode}`, { a: 'x' }, `Gauge in ${mode} mode.`), value: values[pid] }];
        if (pid === '2') entries.push({ key: pyKey(`g_${mode}`, `g_${mode}`, { a: 'y' }, `Gauge in ${mode} mode.`), value: 4 });
        writeDb(path.join(dir, `gauge_${mode}_${pid}.db`), entries, layout);
      }
    }
    // One metric in two modes: the mode of the last file read (sorted names) wins.
    writeDb(path.join(dir, 'gauge_max_1.db'), [{ key: pyKey('g_max', 'g_max', { a: 'x' }, 'Gauge in max mode.'), value: 3 }, { key: pyKey('g_mixed', 'g_mixed', {}, 'Mixed.'), value: 5 }], layout);
    writeDb(path.join(dir, 'gauge_min_2.db'), [{ key: pyKey('g_min', 'g_min', { a: 'x' }, 'Gauge in min mode.'), value: -1.5 }, { key: pyKey('g_min', 'g_min', { a: 'y' }, 'Gauge in min mode.'), value: 4 }, { key: pyKey('g_mixed', 'g_mixed', {}, 'Mixed.'), value: 2 }], layout);
    // Counters summed; histograms with per-bucket counts, buckets out of order and le spelled "1" and "1.0".
    const hk = (sample: string, labels: Record<string, string>) => pyKey('h', sample, labels, 'A histogram.');
    writeDb(path.join(dir, 'counter_1.db'), [{ key: pyKey('c', 'c_total', { k: 'v' }, 'A counter.'), value: 2 }, { key: pyKey('c', 'c_total', { k: 'w' }, 'A counter.'), value: 0.5 }], layout);
    writeDb(path.join(dir, 'counter_2.db'), [{ key: pyKey('c', 'c_total', { k: 'v' }, 'A counter.'), value: 40 }], layout);
    writeDb(path.join(dir, 'histogram_1.db'), [
      { key: hk('h_bucket', { le: '+Inf', s: '1' }), value: 1 },
      { key: hk('h_bucket', { le: '0.5', s: '1' }), value: 2 },
      { key: hk('h_bucket', { le: '1.0', s: '1' }), value: 3 },
      { key: hk('h_sum', { s: '1' }), value: 2.75 },
    ], layout);
    writeDb(path.join(dir, 'histogram_2.db'), [
      { key: hk('h_bucket', { le: '1', s: '1' }), value: 10 },
      { key: hk('h_bucket', { le: '0.5', s: '1' }), value: 0 },
      { key: hk('h_bucket', { le: '+Inf', s: '1' }), value: 5 },
      { key: hk('h_sum', { s: '1' }), value: 100.25 },
    ], layout);
    writeDb(path.join(dir, 'summary_1.db'), [{ key: pyKey('s', 's_sum', {}, 'A summary.'), value: 1.5 }, { key: pyKey('s', 's_count', {}, 'A summary.'), value: 3 }], layout);
    writeDb(path.join(dir, 'summary_2.db'), [{ key: pyKey('s', 's_sum', {}, 'A summary.'), value: 0.25 }, { key: pyKey('s', 's_count', {}, 'A summary.'), value: 1 }], layout);
  }

  for (const layout of ['current', 'legacy'] as const) {
    const dir = temp(`modes-${layout}`);
    writeModes(dir, layout);
    const { reading, families, text } = readDir(dir);

    test(`${layout}: every file read in its layout, nothing skipped`, () => {
      assert.deepEqual(reading.skipped, []);
      assert.equal(reading.layouts[layout], reading.files.length);
    });
    test(`${layout}: min, livemin`, () => {
      for (const m of ['min', 'livemin']) assert.deepEqual(samplesOf(family(families, `g_${m}`)), { [`g_${m}{a=x}`]: -1.5, [`g_${m}{a=y}`]: 4 });
    });
    test(`${layout}: max, livemax`, () => {
      for (const m of ['max', 'livemax']) assert.deepEqual(samplesOf(family(families, `g_${m}`)), { [`g_${m}{a=x}`]: 7.25, [`g_${m}{a=y}`]: 4 });
    });
    test(`${layout}: sum, livesum`, () => {
      for (const m of ['sum', 'livesum']) assert.deepEqual(samplesOf(family(families, `g_${m}`)), { [`g_${m}{a=x}`]: 8.75, [`g_${m}{a=y}`]: 4 });
    });
    test(`${layout}: all, liveall keep one sample per process with a pid label`, () => {
      for (const m of ['all', 'liveall']) assert.deepEqual(samplesOf(family(families, `g_${m}`)), { [`g_${m}{a=x,pid=1}`]: 3, [`g_${m}{a=x,pid=2}`]: -1.5, [`g_${m}{a=x,pid=10}`]: 7.25, [`g_${m}{a=y,pid=2}`]: 4 });
    });
    test(`${layout}: the mode of the last file read wins (gauge_min_2 after gauge_max_1)`, () => {
      const f = family(families, 'g_mixed');
      assert.equal(f.mode, 'min');
      assert.deepEqual(samplesOf(f), { 'g_mixed{}': 2 });
    });
    test(`${layout}: counters and summaries summed; histogram buckets summed per float(le), cumulative, _count = +Inf`, () => {
      assert.deepEqual(samplesOf(family(families, 'c')), { 'c_total{k=v}': 42, 'c_total{k=w}': 0.5 });
      assert.deepEqual(samplesOf(family(families, 's')), { 's_sum{}': 1.75, 's_count{}': 4 });
      assert.deepEqual(samplesOf(family(families, 'h')), { 'h_sum{s=1}': 103, 'h_bucket{le=0.5,s=1}': 2, 'h_bucket{le=1.0,s=1}': 15, 'h_bucket{le=+Inf,s=1}': 21, 'h_count{s=1}': 21 });
      const h = family(families, 'h');
      assert.deepEqual(h.samples.map((s) => s.name), ['h_sum', 'h_bucket', 'h_bucket', 'h_bucket', 'h_count'], '_sum, buckets ascending, _count');
    });
    if (layout === 'legacy') {
      test('legacy: byte-identical to the real prometheus_client 0.16 on the same directory', () => {
        const py = pythonExposition(dir);
        assert.deepEqual(parseProm(text).triples, parseProm(py).triples);
        assert.equal(text, py);
      });
    }
  }

  test('legacy: escapes and non-ASCII in help and label values match prometheus_client 0.16 byte for byte', () => {
    const dir = temp('escapes');
    const labels = { path: 'C:\\dir\\"x"', text: 'line1\nline2', unicode: 'é☃𝄞' };
    writeDb(path.join(dir, 'counter_1.db'), [{ key: pyKey('esc', 'esc_total', labels, 'Help with \\ backslash,\nnewline and "quotes" and ☃.'), value: 1 }], 'legacy');
    writeDb(path.join(dir, 'gauge_all_1.db'), [{ key: pyKey('esc_g', 'esc_g', labels, 'G ☃.'), value: 1e-7 }], 'legacy');
    const py = pythonExposition(dir);
    assert.equal(readDir(dir).text, py);
    assert.deepEqual(parseProm(readDir(dir).text).triples, parseProm(py).triples);
  });

  test('legacy: a directory from multiproc-writer.py (3 pids x 7 series): every line byte-identical to prometheus_client 0.16', () => {
    const dir = temp('writer');
    runWriter([dir, '--pids', '3', '--series', '7', '--layout', 'legacy', '--seed', '5']);
    const { reading, text } = readDir(dir);
    assert.equal(reading.files.length, 15, "5 files per process");
    const py = pythonExposition(dir);
    assert.ok(parseProm(py).triples.length > 50);
    assert.deepEqual(parseProm(text).triples, parseProm(py).triples);
    assert.deepEqual(parseProm(text).help, parseProm(py).help);
    assert.deepEqual(parseProm(text).type, parseProm(py).type);
    // 0.16 prints every histogram _sum first; the v0.25 fixtures (and this reader) per label set.
    assert.equal(sortSamplesPerFamily(text), sortSamplesPerFamily(py));
  });

  describe('per-rank mostrecent (perRankMostRecent): one series per rank, never two with the same labels', () => {
    // A restarted scheduler: pid 900 (old) and pid 1000 (new) are both dp rank 0; pid 1001 is dp rank 1.
    // Files are never deleted, so the old process's value stays in the directory with an older timestamp.
    const dir = temp('per-rank');
    writeRestartedScheduler(dir);
    const reading = new MultiprocReader().read(dir);

    test('without it: prometheus_client\'s single latest value', () => {
      assert.deepEqual(samplesOf(family(mergeFiles(reading.files, floatToGoString), 'sglang:num_running_reqs')), { 'sglang:num_running_reqs{model_name=m}': 2 });
    });
    test('with it: dp_rank 0 -> the latest of its writers (the new process), dp_rank 1 -> its own; no duplicate series', () => {
      const families = mergeFiles(reading.files, floatToGoString, { perRankMostRecent: true });
      // samplesOf throws on a duplicate (name, labels)
      assert.deepEqual(samplesOf(family(families, 'sglang:num_running_reqs')), { 'sglang:num_running_reqs{dp_rank=0,model_name=m}': 2, 'sglang:num_running_reqs{dp_rank=1,model_name=m}': 3 });
      assert.doesNotThrow(() => parseProm(renderPythonExposition(families)));
    });
  });

  describe('mostrecent and livemostrecent (current layout): greatest timestamp, ties to the first read, never-set left out', () => {
    const dir = temp('mostrecent');
    const k = (metric: string) => pyKey(metric, metric, { q: '1' }, `${metric} help.`);
    const files: Record<string, DbEntry[]> = {
      // sorted order: gauge_livemostrecent_*, then gauge_mostrecent_10 before gauge_mostrecent_9
      'gauge_mostrecent_10.db': [
        { key: k('r_tie'), value: 10, timestamp: 100 },
        { key: k('r_gt'), value: 10, timestamp: 100 },
        { key: k('r_older_later'), value: 10, timestamp: 200 },
        { key: k('r_never'), value: 10, timestamp: 0 },
        { key: k('r_one_set'), value: 10, timestamp: 0 },
      ],
      'gauge_mostrecent_9.db': [
        { key: k('r_tie'), value: 9, timestamp: 100 },
        { key: k('r_gt'), value: 9, timestamp: 100.000001 },
        { key: k('r_older_later'), value: 9, timestamp: 199.5 },
        { key: k('r_never'), value: 9, timestamp: 0 },
        { key: k('r_one_set'), value: 9, timestamp: 50 },
      ],
      'gauge_livemostrecent_1.db': [{ key: k('r_live'), value: 1, timestamp: 300 }],
      'gauge_livemostrecent_2.db': [{ key: k('r_live'), value: 2, timestamp: 299 }],
    };
    for (const [name, entries] of Object.entries(files)) writeDb(path.join(dir, name), entries);
    const { families, text } = readDir(dir);

    test('equal timestamps: the first file read wins (gauge_mostrecent_10 sorts before _9)', () => {
      assert.deepEqual(samplesOf(family(families, 'r_tie')), { 'r_tie{q=1}': 10 });
    });
    test('a strictly greater timestamp wins, even by a microsecond', () => {
      assert.deepEqual(samplesOf(family(families, 'r_gt')), { 'r_gt{q=1}': 9 });
    });
    test('a later file with an older timestamp does not win', () => {
      assert.deepEqual(samplesOf(family(families, 'r_older_later')), { 'r_older_later{q=1}': 10 });
    });
    test('never set by anyone: no sample (the family alone, as prometheus_client prints HELP and TYPE)', () => {
      assert.deepEqual(family(families, 'r_never').samples, []);
      assert.match(text, /# HELP r_never r_never help\.\n# TYPE r_never gauge\n#/);
      assert.doesNotMatch(text, /^r_never/m);
    });
    test('set by one process only: that value, not the never-set one', () => {
      assert.deepEqual(samplesOf(family(families, 'r_one_set')), { 'r_one_set{q=1}': 9 });
    });
    test('livemostrecent likewise', () => {
      assert.deepEqual(samplesOf(family(families, 'r_live')), { 'r_live{q=1}': 1 });
    });
  });
});
