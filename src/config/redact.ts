import type { SchemaSpec } from './component-schema.js';

/** What `validate --print` shows instead of a secret. */
export const REDACTED = '<redacted>';

/**
 * A component's options as they will run: the given values over the
 * schema's defaults, with every `sensitive` option (tokens, headers)
 * replaced by REDACTED; for an object option (headers) the names stay
 * visible and each value is redacted.
 */
export function effectiveOptions(given: unknown, spec: SchemaSpec): Record<string, unknown> {
  const values = typeof given === 'object' && given !== null ? (given as Record<string, unknown>) : {};
  const out: Record<string, unknown> = {};
  for (const [name, option] of Object.entries(spec)) {
    const value = name in values ? values[name] : option.default;
    if (!option.sensitive) out[name] = value;
    else if (typeof value === 'object' && value !== null && !Array.isArray(value)) out[name] = Object.fromEntries(Object.keys(value).map((k) => [k, REDACTED]));
    else out[name] = value === '' || value === undefined ? value : REDACTED;
  }
  return out;
}
