import type { PatternSpec } from '../common/pattern.js';

/**
 * One rename rule as the validated config (and the presets) hold it: plain,
 * frozen data. rules.ts compiles it.
 */
export interface AttributeActions {
  /** source label -> new label: the value is copied, the source stays; an existing target is kept. */
  readonly copy: Readonly<Record<string, string>>;
  /** old label -> new label: the value moves (replacing the target's). */
  readonly rename: Readonly<Record<string, string>>;
  /** Labels removed. */
  readonly drop: readonly string[];
  /** Labels added only where the point does not have them yet. */
  readonly insert: Readonly<Record<string, string>>;
  /** Labels added or overwritten. */
  readonly set: Readonly<Record<string, string>>;
}

export interface RuleSpec {
  /** The metric names the rule applies to: a name, a glob, or an anchored /regex/ (whose groups `to` may use). */
  readonly from: PatternSpec;
  /** The new name; with a /regex/ `from`, `$1`, `$<name>` and `$$` are replaced as String.replace does. */
  readonly to: string;
  /** New unit (UCUM, `{token}`); undefined keeps the metric's. */
  readonly unit?: string;
  /** New description; undefined keeps the metric's. */
  readonly description?: string;
  /** Applied in this order: copy, rename, drop, insert, set. */
  readonly attributes: AttributeActions;
}

export const NO_ACTIONS: AttributeActions = { copy: {}, rename: {}, drop: [], insert: {}, set: {} };
