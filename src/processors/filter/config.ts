import { defineSchema } from '../../config/component-schema.js';
import { patternList, type PatternSpec } from '../common/pattern.js';

/**
 * One condition set of the filter processor. A point matches it when its
 * metric's name matches one of `metricNames` (if any are given) AND, for every
 * label in `attributes`, the point's value of that label matches one of the
 * patterns (a missing label has the value "").
 */
export interface MatchSpec {
  /** Empty: any name. */
  readonly metricNames: readonly PatternSpec[];
  /** label -> patterns of allowed values; empty: any labels. */
  readonly attributes: Readonly<Record<string, readonly PatternSpec[]>>;
}

export interface FilterConfig {
  /** Absent: every point is included. */
  readonly include?: MatchSpec;
  /** Absent: nothing is excluded. Exclusion wins over inclusion. */
  readonly exclude?: MatchSpec;
}

const MATCH_KEYS = ['metric_names', 'attributes'];

/** Reads `include` / `exclude`; every problem goes to `issue` with its path. */
function matchSpec(raw: unknown, option: string, issue: (option: string, message: string) => void): MatchSpec | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    issue(option, 'must be an object { "metric_names": [...], "attributes": { "label": [...] } }');
    return undefined;
  }
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!MATCH_KEYS.includes(k)) issue(`${option}.${k}`, `unknown option (known: ${MATCH_KEYS.join(', ')})`);
  const metricNames = o.metric_names === undefined ? [] : patternList(o.metric_names, `${option}.metric_names`, issue);
  const attributes: Record<string, PatternSpec[]> = {};
  if (o.attributes !== undefined) {
    if (typeof o.attributes !== 'object' || o.attributes === null || Array.isArray(o.attributes)) issue(`${option}.attributes`, 'must be an object of label names to lists of value patterns');
    else for (const [label, values] of Object.entries(o.attributes)) attributes[label] = patternList(values, `${option}.attributes.${label}`, issue);
  }
  if (Array.isArray(o.metric_names) && o.metric_names.length === 0) issue(`${option}.metric_names`, 'give at least one pattern (or leave metric_names out)');
  for (const [label, values] of Object.entries(attributes)) if (!values.length && Array.isArray((o.attributes as Record<string, unknown>)[label])) issue(`${option}.attributes.${label}`, 'give at least one value pattern');
  const hasAttributes = typeof o.attributes === 'object' && o.attributes !== null && Object.keys(o.attributes).length > 0;
  if (o.metric_names === undefined && !hasAttributes) issue(option, 'give metric_names, attributes, or both');
  return { metricNames, attributes };
}

export const filterSchema = defineSchema<FilterConfig>(
  {
    include: {
      doc: 'Keep only the points that match: { "metric_names": [names, globs with * and ?, or /regex/], "attributes": { "label": [value patterns] } }. Names and attributes must both match when both are given. Absent: keep everything.',
      format: '*',
      default: null,
    },
    exclude: {
      doc: 'Drop the points that match (same shape as include); exclusion wins over inclusion. A metric left without points is dropped. Absent: drop nothing.',
      format: '*',
      default: null,
    },
  },
  (v, issue) => {
    const include = matchSpec(v.include, 'include', issue);
    const exclude = matchSpec(v.exclude, 'exclude', issue);
    return { ...(include ? { include } : {}), ...(exclude ? { exclude } : {}) };
  },
);
