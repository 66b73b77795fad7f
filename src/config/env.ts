import type { ConfigIssue } from '../component/errors.js';

/**
 * Expands `${env:VAR}` and `${env:VAR:-default}` in every string of a parsed
 * JSON value (keys are left alone). `$${` stands for a literal `${`.
 * An unset variable without a default is an issue at the string's path.
 */
const REFERENCE = /\$\$\{|\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export function expandEnv(value: unknown, path: string, env: NodeJS.ProcessEnv, issues: ConfigIssue[]): unknown {
  if (typeof value === 'string') {
    return value.replace(REFERENCE, (match, name: string | undefined, fallback: string | undefined) => {
      if (match === '$${') return '${';
      const v = env[name!];
      if (v !== undefined && v !== '') return v;
      if (fallback !== undefined) return fallback;
      issues.push({ path, message: `environment variable ${name} is not set (write \${env:${name}:-default} to give a default)` });
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => expandEnv(v, `${path}[${i}]`, env, issues));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = expandEnv(v, childPath(path, k), env, issues);
    return out;
  }
  return value;
}

/** Sections whose keys are component ids or pipeline names: always written in brackets. */
const ID_SECTIONS = new Set(['receivers', 'processors', 'exporters', 'pipelines']);

/**
 * `a` + `b` -> `a.b` for plain keys, `a["b/c"]` for keys that are not
 * identifiers; component ids and pipeline names always in brackets
 * (`receivers["zmq_fpm"].dp_size`), as `validate` prints them.
 */
export function childPath(path: string, key: string): string {
  if (ID_SECTIONS.has(path)) return `${path}[${JSON.stringify(key)}]`;
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) return path ? `${path}.${key}` : key;
  return `${path}[${JSON.stringify(key)}]`;
}
