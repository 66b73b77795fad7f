import type { Attributes, Metric } from '../../model/metrics.js';
import { anyOf } from '../common/pattern.js';
import type { FilterConfig, MatchSpec } from './config.js';

/**
 * The filter processor's pure logic: which points of which metrics go on.
 * Metrics are never changed in place; a metric that loses some points is
 * copied with the rest, one that loses none is passed on as it is.
 */

interface Matcher {
  /** Whether the name can match at all (undefined: any name). */
  readonly name: ((name: string) => boolean) | undefined;
  /** Per label, its value test; empty: any labels. */
  readonly labels: readonly (readonly [string, (value: string) => boolean])[];
}

function matcher(spec: MatchSpec): Matcher {
  return {
    name: spec.metricNames.length ? anyOf(spec.metricNames) : undefined,
    labels: Object.entries(spec.attributes).map(([label, patterns]) => [label, anyOf(patterns)] as const),
  };
}

function labelsMatch(m: Matcher, attributes: Attributes): boolean {
  for (const [label, test] of m.labels) if (!test(attributes[label] ?? '')) return false;
  return true;
}

export interface FilterResult {
  readonly metrics: Metric[];
  /** Points left out. */
  readonly dropped: number;
}

export type MetricFilter = (metrics: readonly Metric[]) => FilterResult;

/** Compiles a config into a function over a batch's metrics. */
export function compileFilter(config: FilterConfig): MetricFilter {
  const include = config.include ? matcher(config.include) : undefined;
  const exclude = config.exclude ? matcher(config.exclude) : undefined;
  return (metrics) => {
    const out: Metric[] = [];
    let dropped = 0;
    for (const metric of metrics) {
      // Per metric: does the name already decide (no label condition to look at)?
      const incName = !include || !include.name || include.name(metric.name);
      const excName = !!exclude && (!exclude.name || exclude.name(metric.name));
      if (!incName || (excName && exclude!.labels.length === 0)) {
        dropped += metric.points.length;
        continue;
      }
      const incLabels = include && include.labels.length ? include : undefined;
      const excLabels = excName ? exclude : undefined;
      if (!incLabels && !excLabels) {
        out.push(metric);
        continue;
      }
      const kept = (metric.points as readonly Metric['points'][number][]).filter((p) => (!incLabels || labelsMatch(incLabels, p.attributes)) && !(excLabels && labelsMatch(excLabels, p.attributes)));
      dropped += metric.points.length - kept.length;
      if (kept.length === metric.points.length) out.push(metric);
      else if (kept.length) out.push({ ...metric, points: kept } as Metric);
    }
    return { metrics: out, dropped };
  };
}
