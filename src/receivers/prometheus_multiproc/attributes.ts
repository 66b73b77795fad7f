import type { Attributes } from '../../model/metrics.js';

/** Label pairs as prometheus_client keeps them: [name, value], in key order. */
export type Labels = readonly (readonly [string, string])[];

/** A new attributes object: `extra` (a directory's configured attributes) plus the labels (a label wins over an extra of the same name). */
export function labelsToAttributes(labels: Labels, extra: Attributes): Attributes {
  const attributes: Record<string, string> = { ...extra };
  for (const [k, v] of labels) attributes[k] = v;
  return attributes;
}
