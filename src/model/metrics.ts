/**
 * The pipeline's metric data model, close to OpenTelemetry's so that the OTLP
 * exporter only converts types and the Prometheus exporter only renders.
 *
 * Contract: every value here is read-only once handed to a consumer; a stage
 * that changes something copies first. Times are Unix milliseconds.
 * This module imports nothing from the rest of src/.
 */

/** Label set of one series. Values are strings (what Prometheus can carry). */
export type Attributes = Readonly<Record<string, string>>;

interface PointBase {
  readonly attributes: Attributes;
  /** Start of the cumulative interval (cumulative data) or of the window (gauges: same as timeMs). */
  readonly startTimeMs: number;
  /** When the value was observed. */
  readonly timeMs: number;
}

export interface NumberPoint extends PointBase {
  readonly value: number;
}

export interface HistogramPoint extends PointBase {
  readonly count: number;
  readonly sum: number;
  /** Upper bounds, ascending, without +Inf. */
  readonly bounds: readonly number[];
  /** Per-bucket (not cumulative) counts: bounds.length + 1 entries, the last for +Inf. */
  readonly bucketCounts: readonly number[];
  readonly min?: number;
  readonly max?: number;
}

export interface SummaryPoint extends PointBase {
  readonly count: number;
  readonly sum: number;
  readonly quantiles: readonly { readonly quantile: number; readonly value: number }[];
}

interface MetricBase {
  /** OTel-style name (`sglang.fpm.iterations`) or a name kept from Prometheus (`sglang:num_running_reqs`). */
  readonly name: string;
  readonly description: string;
  /** UCUM unit (`s`, `By`, `1`) or an annotation in braces (`{token}`); empty when unknown. */
  readonly unit: string;
}

export interface SumMetric extends MetricBase {
  readonly kind: 'sum';
  readonly monotonic: boolean;
  readonly points: readonly NumberPoint[];
}

export interface GaugeMetric extends MetricBase {
  readonly kind: 'gauge';
  readonly points: readonly NumberPoint[];
}

export interface HistogramMetric extends MetricBase {
  readonly kind: 'histogram';
  readonly points: readonly HistogramPoint[];
}

export interface SummaryMetric extends MetricBase {
  readonly kind: 'summary';
  readonly points: readonly SummaryPoint[];
}

export type Metric = SumMetric | GaugeMetric | HistogramMetric | SummaryMetric;

/** Counts the data points of a list of metrics (the unit the self-telemetry counts in). */
export function countPoints(metrics: readonly Metric[]): number {
  let n = 0;
  for (const m of metrics) n += m.points.length;
  return n;
}

const keyCache = new WeakMap<Attributes, string>();

/**
 * The attribute names in code-unit order (as Array.prototype.sort orders
 * strings), sorted in place by insertion: attribute sets are small, and
 * this makes no garbage beyond the names array (a library sort allocates
 * work space on every call).
 */
export function sortedNames(attributes: Attributes): string[] {
  const names = Object.keys(attributes);
  for (let i = 1; i < names.length; i++) {
    const name = names[i];
    let j = i - 1;
    while (j >= 0 && names[j] > name) {
      names[j + 1] = names[j];
      j--;
    }
    names[j + 1] = name;
  }
  return names;
}

/**
 * A stable key for a label set: sorted `name=value` pairs. Cached per
 * attributes object (they are read-only), so producers that reuse their
 * attributes objects read after read pay for it once.
 */
export function attributesKey(attributes: Attributes): string {
  let key = keyCache.get(attributes);
  if (key === undefined) {
    const names = sortedNames(attributes);
    key = '';
    for (const name of names) key += `${name}\u0000${attributes[name]}\u0001`;
    keyCache.set(attributes, key);
  }
  return key;
}
