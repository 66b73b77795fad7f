import convict from 'convict';
import type { ConfigIssue } from '../component/errors.js';
import { parseDuration } from './duration.js';

/**
 * A component's options, written in convict's schema format (`doc`, `format`,
 * `default`) plus `unit` for the `components` listing. Validation goes through
 * convict in strict mode (unknown keys are errors), and every problem becomes
 * a ConfigIssue with its full path.
 *
 * Formats added here: `duration` ("500ms", "1s", "2m"; numbers are ms; the
 * validated value is milliseconds), `boolean` (no coercion of strings),
 * `positive-int`, `string-list`,
 * `number-list` (ascending, finite).
 */
export interface OptionSpec {
  readonly doc: string;
  readonly format: unknown;
  readonly default: unknown;
  /** Unit of the value after validation, for documentation (`ms`, `bytes`, `s`). */
  readonly unit?: string;
  /** Keep out of logs and `validate` output (tokens, headers). */
  readonly sensitive?: boolean;
}

export type SchemaSpec = Readonly<Record<string, OptionSpec>>;

export interface ComponentSchema<C> {
  readonly options: SchemaSpec;
  /** Validates raw options (`undefined` means all defaults). Issues carry `path` + option. */
  validate(raw: unknown, path: string): { config?: C; issues: ConfigIssue[] };
}

/** "42" -> 42 (values from ${env:...} are strings); anything else is left for validation to refuse. */
function decimalString(value: unknown): unknown {
  return typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
}

let formatsAdded = false;
function addFormats(): void {
  if (formatsAdded) return;
  formatsAdded = true;
  convict.addFormat({
    name: 'duration',
    validate(value: unknown) {
      if (parseDuration(value) === undefined) throw new Error('must be a duration such as "500ms", "1s", "2m" (or a number of milliseconds)');
    },
  });
  convict.addFormat({
    name: 'positive-int',
    validate(value: unknown) {
      if (!Number.isInteger(value) || (value as number) < 1) throw new Error('must be an integer of at least 1');
    },
    coerce: decimalString,
  });
  convict.addFormat({
    name: 'boolean',
    validate(value: unknown) {
      if (typeof value !== 'boolean') throw new Error('must be true or false');
    },
    // Without a coerce of its own, convict turns every string but "false" into true.
    coerce: (value: unknown) => value,
  });
  convict.addFormat({
    name: 'port',
    validate(value: unknown) {
      if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 65535) throw new Error('must be a port number from 0 to 65535');
    },
    // A plain decimal string (from "${env:PORT:-9464}") is a number; "9464abc" stays invalid.
    coerce: decimalString,
  });
  convict.addFormat({
    name: 'string-list',
    validate(value: unknown) {
      if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new Error('must be a list of strings');
    },
  });
  convict.addFormat({
    name: 'number-list',
    validate(value: unknown) {
      if (!Array.isArray(value) || value.some((v) => typeof v !== 'number' || !Number.isFinite(v))) throw new Error('must be a list of finite numbers');
      for (let i = 1; i < value.length; i++) if (value[i] <= value[i - 1]) throw new Error('must be strictly ascending');
    },
  });
}

const UNDECLARED = /^configuration param '(.+)' not declared in the schema$/;
const MISSING = /^configuration param '(.+)' missing from config/;

/** Turns convict's joined error text into issues with full paths. */
function issuesFromConvict(text: string, path: string, known: string[]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const line of text.split('\n')) {
    let m = UNDECLARED.exec(line);
    if (m) {
      issues.push({ path: `${path}.${m[1]}`, message: `unknown option (known: ${known.join(', ')})` });
      continue;
    }
    m = MISSING.exec(line);
    if (m) {
      issues.push({ path: `${path}.${m[1]}`, message: 'required option is missing' });
      continue;
    }
    const colon = line.indexOf(': ');
    if (colon > 0) issues.push({ path: `${path}.${line.slice(0, colon)}`, message: line.slice(colon + 2) });
    else issues.push({ path, message: line });
  }
  return issues;
}

/** Declares a component's options; `finish` turns validated values into the typed config and may add issues of its own. */
export function defineSchema<C>(
  options: SchemaSpec,
  finish: (values: Record<string, unknown>, issue: (option: string, message: string) => void) => C,
): ComponentSchema<C> {
  addFormats();
  const convictSchema: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(options)) {
    convictSchema[key] = { doc: spec.doc, format: spec.format, default: spec.default, sensitive: spec.sensitive ?? false };
  }
  const known = Object.keys(options);
  return {
    options,
    validate(raw, path) {
      if (raw === undefined || raw === null) raw = {};
      if (typeof raw !== 'object' || Array.isArray(raw)) return { issues: [{ path, message: 'must be an object of options' }] };
      // Free-form objects ('*': headers, attributes) bypass convict, which
      // would read a dotted key such as "deployment.environment" as a path.
      const freeForm: Record<string, unknown> = {};
      const forConvict: Record<string, unknown> = { ...(raw as Record<string, unknown>) };
      for (const [key, spec] of Object.entries(options))
        if (spec.format === '*' && key in forConvict) {
          freeForm[key] = forConvict[key];
          delete forConvict[key];
        }
      const conf = convict(convictSchema as never);
      conf.load(forConvict as never);
      const issues: ConfigIssue[] = [];
      try {
        conf.validate({ allowed: 'strict' });
      } catch (err) {
        issues.push(...issuesFromConvict((err as Error).message, path, known));
      }
      // Options convict refused take their defaults so that the component's own
      // checks still run (every problem at once); their checks of those options are not repeated.
      const invalid = new Set(issues.map((i) => i.path.slice(path.length + 1).split(/[.[]/)[0]));
      const values = { ...(conf.getProperties() as Record<string, unknown>), ...freeForm };
      for (const [key, spec] of Object.entries(options)) {
        if (invalid.has(key)) values[key] = structuredClone(spec.default);
        if (spec.format === 'duration') values[key] = parseDuration(values[key]);
      }
      const config = finish(values, (option, message) => {
        if (!invalid.has(option.split(/[.[]/)[0])) issues.push({ path: `${path}.${option}`, message });
      });
      return issues.length ? { issues } : { config, issues };
    },
  };
}

/**
 * Reads an option that must be an object of strings (HTTP headers, resource
 * attributes); reports each offending entry by its path.
 */
export function stringMap(value: unknown, option: string, issue: (option: string, message: string) => void): Record<string, string> {
  const clean: Record<string, string> = {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    issue(option, 'must be an object of names to string values');
    return clean;
  }
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'string') clean[k] = v;
    else issue(`${option}.${k}`, 'must be a string');
  }
  return clean;
}
