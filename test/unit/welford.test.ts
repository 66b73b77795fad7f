import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addGroup, empty, merge, result, update, type Moments } from '../../src/processors/welford/welford.js';

function naive(xs: number[]) {
  const n = xs.length;
  const sum = xs.reduce((a, b) => a + b, 0);
  const mean = sum / n;
  const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / n;
  return { count: n, sum, mean, variance, min: Math.min(...xs), max: Math.max(...xs) };
}

function of(xs: number[]): Moments {
  const s = empty();
  for (const x of xs) update(s, x);
  return s;
}

function close(actual: number, expected: number, what: string) {
  const tol = 1e-9 * Math.max(1, Math.abs(expected));
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} vs ${expected}`);
}

function sameStats(actual: ReturnType<typeof result>, expected: ReturnType<typeof naive>, label: string) {
  assert.equal(actual.count, expected.count, `${label} count`);
  for (const k of ['sum', 'mean', 'variance', 'min', 'max'] as const) close(actual[k], expected[k], `${label} ${k}`);
}

// A table of samples: small, constant, large offset (cancellation), wide range, integers.
let seed = 7;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const TABLE: Record<string, number[]> = {
  single: [3.5],
  constant: [2, 2, 2, 2],
  integers: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  'large offset (1e6 + small spread)': Array.from({ length: 1000 }, (_, i) => 1e6 + (i % 7) * 0.25),
  'wall times': Array.from({ length: 5000 }, () => 0.004 + rnd() * 0.01),
  'token counts': Array.from({ length: 777 }, () => Math.floor(rnd() * 16384)),
};

for (const [name, xs] of Object.entries(TABLE)) {
  test(`update matches the two-pass statistics: ${name}`, () => sameStats(result(of(xs)), naive(xs), name));
  for (const cut of [1, Math.floor(xs.length / 3), xs.length - 1]) {
    if (cut <= 0 || cut >= xs.length) continue;
    test(`merge(a, b) equals the statistics of the concatenation: ${name}, split at ${cut}`, () => {
      sameStats(result(merge(of(xs.slice(0, cut)), of(xs.slice(cut)))), naive(xs), name);
    });
  }
}

test('merge is the same in any order and over many parts (ranks)', () => {
  const parts = [TABLE['wall times'].slice(0, 100), TABLE['wall times'].slice(100, 2500), TABLE['wall times'].slice(2500)];
  const all = naive(parts.flat());
  sameStats(result(parts.map(of).reduce(merge)), all, 'forward');
  sameStats(result(parts.map(of).reverse().reduce(merge)), all, 'reverse');
});

test('merging with an empty state is the identity', () => {
  const a = of([1, 2, 3]);
  assert.deepEqual(result(merge(a, empty())), result(a));
  assert.deepEqual(result(merge(empty(), a)), result(a));
});

test('an empty sample has count 0 and NaN moments', () => {
  const r = result(empty());
  assert.equal(r.count, 0);
  assert.ok(Number.isNaN(r.mean) && Number.isNaN(r.variance) && Number.isNaN(r.min));
});

test('addGroup combines per-iteration (count, mean, variance) into the per-request distribution', () => {
  // Three iterations, each with its own prompt lengths; the combined
  // statistics must be those of all requests together.
  const iterations = [[100, 300], [50, 60, 70, 80], [8192]];
  const s = empty();
  for (const it of iterations) {
    const n = naive(it);
    addGroup(s, n.count, n.mean, n.variance * n.count);
  }
  const all = naive(iterations.flat());
  const r = result(s);
  assert.equal(r.count, all.count);
  close(r.mean, all.mean, 'mean');
  close(r.variance, all.variance, 'variance');
  close(r.sum, all.sum, 'sum');
});

test('merge does not change its inputs', () => {
  const a = of([1, 2]);
  const b = of([3]);
  const before = JSON.stringify([a, b]);
  merge(a, b);
  assert.equal(JSON.stringify([a, b]), before);
});

test('the hot path adds each record field to the quantity and total of the same index as QUANTITIES and TOTALS say', async () => {
  const { SeriesState } = await import('../../src/processors/welford/series.js');
  const { QUANTITIES, TOTALS } = await import('../../src/processors/welford/quantities.js');
  // A record whose every field is distinct, so a swapped index shows.
  const fields = ['wallTime', 'scheduledPrefillRequests', 'scheduledPrefillTokens', 'scheduledPrefillLengthVariance', 'scheduledPrefillCachedTokens', 'scheduledDecodeRequests', 'scheduledDecodeKvTokens', 'scheduledDecodeKvTokensVariance', 'queuedPrefillRequests', 'queuedPrefillTokens', 'queuedPrefillLengthVariance', 'queuedDecodeRequests', 'queuedDecodeKvTokens', 'queuedDecodeKvTokensVariance'];
  const record = Object.fromEntries(fields.map((f, i) => [f, (i + 1) * 11])) as never;
  const s = new SeriesState('w', 0, 0, [1]);
  s.add(record);
  QUANTITIES.forEach((q, i) => assert.equal(s.window[i].sum, q.value(record), q.key));
  TOTALS.forEach((t, i) => assert.equal(s.totals[i], t.value(record), t.key));
});
