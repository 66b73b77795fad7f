import type { Attributes, Metric } from '../../model/metrics.js';
import { compilePattern, literalOf } from '../common/pattern.js';
import type { AttributeActions, RuleSpec } from './rule.js';

/**
 * The rename processor's pure logic: the first rule whose `from` matches a
 * metric's name gives it a new name (and unit, description) and changes its
 * points' labels. Metrics are never changed in place.
 *
 * Label sets are read-only and producers reuse them pass after pass (the
 * multiprocess receiver does), so each rule remembers the label set it made
 * for each one it was given: the same input object gets the same output
 * object, and downstream caches keyed by object identity keep working.
 */
export interface CompiledRule {
  /** The new name when the rule applies to `name`, else undefined. */
  readonly rename: (name: string) => string | undefined;
  readonly unit?: string;
  readonly description?: string;
  readonly relabel: (attributes: Attributes) => Attributes;
}

/** Applies the actions to one label set (copy, rename, drop, insert, set). */
export function applyActions(a: AttributeActions, attributes: Attributes): Attributes {
  const out: Record<string, string> = { ...attributes };
  for (const [from, to] of Object.entries(a.copy)) if (from in attributes && !(to in out)) out[to] = attributes[from];
  for (const [from, to] of Object.entries(a.rename))
    if (from in out) {
      const value = out[from];
      delete out[from];
      out[to] = value;
    }
  for (const label of a.drop) delete out[label];
  for (const [label, value] of Object.entries(a.insert)) if (!(label in out)) out[label] = value;
  Object.assign(out, a.set);
  return out;
}

function hasActions(a: AttributeActions): boolean {
  return Object.keys(a.copy).length + Object.keys(a.rename).length + a.drop.length + Object.keys(a.insert).length + Object.keys(a.set).length > 0;
}

export function compileRule(spec: RuleSpec): CompiledRule {
  const literal = literalOf(spec.from);
  const regex = literal === undefined ? compilePattern(spec.from) : undefined;
  const rename = regex ? (name: string) => (regex.test(name) ? name.replace(regex, spec.to) : undefined) : (name: string) => (name === literal ? spec.to : undefined);
  const cache = new WeakMap<Attributes, Attributes>();
  const relabel = hasActions(spec.attributes)
    ? (attributes: Attributes) => {
        let out = cache.get(attributes);
        if (out === undefined) cache.set(attributes, (out = applyActions(spec.attributes, attributes)));
        return out;
      }
    : (attributes: Attributes) => attributes;
  return { rename, unit: spec.unit, description: spec.description, relabel };
}

/** The metric renamed by the first rule that applies, or undefined when none does. */
export function applyRules(rules: readonly CompiledRule[], metric: Metric): Metric | undefined {
  for (const rule of rules) {
    const name = rule.rename(metric.name);
    if (name === undefined) continue;
    const points = (metric.points as readonly Metric['points'][number][]).map((p) => ({ ...p, attributes: rule.relabel(p.attributes) }));
    return { ...metric, name, unit: rule.unit ?? metric.unit, description: rule.description ?? metric.description, points } as Metric;
  }
  return undefined;
}
