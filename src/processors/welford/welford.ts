/**
 * Streaming statistics of a sample (Welford), mergeable across windows and
 * ranks with the parallel update of Chan et al.: merge(a, b) gives the
 * statistics of the concatenated samples, never an average of averages.
 *
 * Pure: no clocks, no I/O. `update` mutates its state for speed on the hot
 * path (hundreds of thousands of samples a second); `merge` returns a new one.
 */
export interface Moments {
  /** Number of samples. */
  n: number;
  mean: number;
  /** Sum of squared deviations from the mean (population variance = m2 / n). */
  m2: number;
  min: number;
  max: number;
  /** Plain sum of the samples (exact for integer counts below 2^53). */
  sum: number;
}

export interface Statistics {
  readonly count: number;
  readonly sum: number;
  readonly mean: number;
  /** Population variance. */
  readonly variance: number;
  readonly min: number;
  readonly max: number;
}

export function empty(): Moments {
  return { n: 0, mean: 0, m2: 0, min: Infinity, max: -Infinity, sum: 0 };
}

/** Adds one sample. */
export function update(s: Moments, x: number): void {
  const n = s.n + 1;
  const delta = x - s.mean;
  const mean = s.mean + delta / n;
  s.m2 += delta * (x - mean);
  s.mean = mean;
  s.n = n;
  s.sum += x;
  if (x < s.min) s.min = x;
  if (x > s.max) s.max = x;
}

/**
 * Adds a whole group known only by its count, mean and M2 (for instance one
 * iteration's prefill requests: n = requests, mean = tokens / requests,
 * M2 = variance * requests). min and max are not touched: a group has none.
 */
export function addGroup(s: Moments, n: number, mean: number, m2: number): void {
  if (n <= 0) return;
  const total = s.n + n;
  const delta = mean - s.mean;
  s.mean += (delta * n) / total;
  s.m2 += m2 + (delta * delta * s.n * n) / total;
  s.n = total;
  s.sum += mean * n;
}

/** The statistics of a and b's samples together. */
export function merge(a: Moments, b: Moments): Moments {
  if (a.n === 0) return { ...b };
  if (b.n === 0) return { ...a };
  const n = a.n + b.n;
  const delta = b.mean - a.mean;
  return {
    n,
    mean: a.mean + (delta * b.n) / n,
    m2: a.m2 + b.m2 + (delta * delta * a.n * b.n) / n,
    min: Math.min(a.min, b.min),
    max: Math.max(a.max, b.max),
    sum: a.sum + b.sum,
  };
}

/** Final statistics; mean, variance, min and max are NaN for an empty sample. */
export function result(s: Moments): Statistics {
  if (s.n === 0) return { count: 0, sum: 0, mean: NaN, variance: NaN, min: NaN, max: NaN };
  return { count: s.n, sum: s.sum, mean: s.mean, variance: Math.max(0, s.m2 / s.n), min: s.min, max: s.max };
}
