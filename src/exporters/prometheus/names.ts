import type { Metric } from '../../model/metrics.js';

/**
 * OpenTelemetry -> Prometheus naming (OTel spec, compatibility/prometheus_and_openmetrics):
 * characters outside [a-zA-Z0-9_:] become `_` and runs of `_` collapse; the
 * unit becomes a suffix (`s` -> `_seconds`, `By` -> `_bytes`; `{...}` units are
 * dropped) unless the name already ends with it; monotonic sums end in `_total`.
 * Names that are already Prometheus names (`sglang:num_running_reqs`) pass unchanged.
 */
const UNIT_SUFFIX: Record<string, string> = {
  s: 'seconds',
  ms: 'milliseconds',
  us: 'microseconds',
  ns: 'nanoseconds',
  min: 'minutes',
  h: 'hours',
  By: 'bytes',
  KiBy: 'kibibytes',
  MiBy: 'mebibytes',
  '%': 'percent',
};

export function sanitizeMetricName(name: string): string {
  let out = name.replace(/[^a-zA-Z0-9_:]/g, '_').replace(/_{2,}/g, '_');
  if (/^[0-9]/.test(out)) out = '_' + out;
  return out;
}

export function sanitizeLabelName(name: string): string {
  let out = name.replace(/[^a-zA-Z0-9_]/g, '_');
  if (/^[0-9]/.test(out)) out = '_' + out;
  return out;
}

/** Singular names after "per" (`m/s` -> `meters_per_second`). */
const PER_UNIT: Record<string, string> = { s: 'second', ms: 'millisecond', min: 'minute', h: 'hour', d: 'day' };

function unitSuffix(unit: string, kind: Metric['kind']): string {
  if (!unit || (unit.startsWith('{') && !unit.includes('/'))) return '';
  if (unit === '1') return kind === 'gauge' ? 'ratio' : '';
  const known = UNIT_SUFFIX[unit];
  if (known) return known;
  const per = /^([^/]+)\/([^/]+)$/.exec(unit);
  if (per) {
    const a = per[1].startsWith('{') ? '' : (UNIT_SUFFIX[per[1]] ?? per[1]);
    const b = PER_UNIT[per[2]] ?? per[2];
    return a ? `${a}_per_${b}` : `per_${b}`;
  }
  return sanitizeLabelName(unit);
}

/** The Prometheus family name of a metric (for counters: without `_total`). */
export function familyName(metric: Metric): string {
  let name = sanitizeMetricName(metric.name);
  const isCounter = metric.kind === 'sum' && metric.monotonic;
  if (isCounter && name.endsWith('_total')) name = name.slice(0, -'_total'.length);
  const suffix = unitSuffix(metric.unit, metric.kind);
  if (suffix && !name.endsWith('_' + suffix)) name = `${name}_${suffix}`;
  return name;
}
