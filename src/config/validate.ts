import type { ComponentKind } from '../component/contracts.js';
import { ConfigError, type ConfigIssue } from '../component/errors.js';
import { parseComponentId, type Registry } from '../component/registry.js';
import { LOG_LEVELS, type LogLevel } from '../telemetry/logger.js';
import { parseDuration } from './duration.js';
import { childPath, expandEnv } from './env.js';
import type { BridgeConfig, ConfiguredComponent, PipelineConfig } from './model.js';

/**
 * Checks a parsed JSON configuration and returns it validated and frozen, or
 * throws one ConfigError that lists every problem with its path.
 *
 * Shape: `{ receivers, processors, exporters, pipelines, service }`;
 * components are named `type[/name]`; pipelines are
 * `{ receivers: [...], processors: [...], exporters: [...] }`.
 */
/** `plugins` is read before validation (config/load.ts), so that plugin types are known here. */
const TOP_LEVEL = ['plugins', 'receivers', 'processors', 'exporters', 'pipelines', 'service'];
const SECTIONS: readonly [string, ComponentKind][] = [
  ['receivers', 'receiver'],
  ['processors', 'processor'],
  ['exporters', 'exporter'],
];
const PIPELINE_KEYS = ['receivers', 'processors', 'exporters'];
const SERVICE_KEYS = ['log_level', 'shutdown_timeout'];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function validateComponents(root: Record<string, unknown>, section: string, kind: ComponentKind, registry: Registry, issues: ConfigIssue[]): Map<string, ConfiguredComponent> {
  const out = new Map<string, ConfiguredComponent>();
  const raw = root[section];
  if (raw === undefined) return out;
  if (!isObject(raw)) {
    issues.push({ path: section, message: `must be an object of ${section} by id` });
    return out;
  }
  for (const [id, options] of Object.entries(raw)) {
    const path = childPath(section, id);
    const parsed = parseComponentId(id);
    if (!parsed) {
      issues.push({ path, message: 'a component id is type[/name]: a type of letters, digits and _ starting with a letter, then optionally / and a name without spaces' });
      continue;
    }
    const factory = registry.get(kind, parsed.type);
    if (!factory) {
      const known = registry.list(kind).map((f) => f.type).join(', ');
      issues.push({ path, message: `unknown ${kind} type "${parsed.type}" (known: ${known})` });
      continue;
    }
    const result = factory.schema.validate(options, path);
    issues.push(...result.issues);
    if (result.config !== undefined) out.set(id, Object.freeze({ id, factory, config: deepFreeze(result.config), options }));
  }
  return out;
}

function validatePipelines(root: Record<string, unknown>, declared: Record<string, Set<string>>, issues: ConfigIssue[]): PipelineConfig[] {
  const raw = root.pipelines;
  if (!isObject(raw) || Object.keys(raw).length === 0) {
    issues.push({ path: 'pipelines', message: 'at least one pipeline is needed: "pipelines": { "metrics/fpm": { "receivers": [...], "exporters": [...] } }' });
    return [];
  }
  const pipelines: PipelineConfig[] = [];
  for (const [name, body] of Object.entries(raw)) {
    const path = childPath('pipelines', name);
    if (!isObject(body)) {
      issues.push({ path, message: 'must be an object { receivers, processors, exporters }' });
      continue;
    }
    for (const key of Object.keys(body)) if (!PIPELINE_KEYS.includes(key)) issues.push({ path: `${path}.${key}`, message: `unknown key (known: ${PIPELINE_KEYS.join(', ')})` });
    const lists: Record<string, string[]> = {};
    for (const section of PIPELINE_KEYS) {
      const kind = section.slice(0, -1);
      const list = body[section] ?? [];
      const listPath = `${path}.${section}`;
      lists[section] = [];
      if (!Array.isArray(list)) {
        issues.push({ path: listPath, message: 'must be a list of component ids' });
        continue;
      }
      if (section !== 'processors' && list.length === 0) issues.push({ path: listPath, message: `a pipeline needs at least one ${kind}` });
      list.forEach((id, i) => {
        if (typeof id !== 'string') issues.push({ path: `${listPath}[${i}]`, message: 'must be a component id (string)' });
        else if (!declared[section].has(id)) issues.push({ path: `${listPath}[${i}]`, message: `unknown ${kind} "${id}": it is not configured under "${section}"` });
        else if (lists[section].includes(id)) issues.push({ path: `${listPath}[${i}]`, message: `"${id}" is listed twice` });
        else lists[section].push(id);
      });
    }
    pipelines.push(Object.freeze({ name, receivers: Object.freeze(lists.receivers), processors: Object.freeze(lists.processors), exporters: Object.freeze(lists.exporters) }));
  }
  return pipelines;
}

function validateService(root: Record<string, unknown>, issues: ConfigIssue[]): { logLevel: LogLevel; shutdownTimeoutMs: number } {
  const service = { logLevel: 'info' as LogLevel, shutdownTimeoutMs: 10_000 };
  const raw = root.service;
  if (raw === undefined) return service;
  if (!isObject(raw)) {
    issues.push({ path: 'service', message: 'must be an object' });
    return service;
  }
  for (const key of Object.keys(raw)) if (!SERVICE_KEYS.includes(key)) issues.push({ path: `service.${key}`, message: `unknown option (known: ${SERVICE_KEYS.join(', ')})` });
  if (raw.log_level !== undefined) {
    if (LOG_LEVELS.includes(raw.log_level as LogLevel)) service.logLevel = raw.log_level as LogLevel;
    else issues.push({ path: 'service.log_level', message: `must be one of ${LOG_LEVELS.join(', ')}` });
  }
  if (raw.shutdown_timeout !== undefined) {
    const ms = parseDuration(raw.shutdown_timeout);
    if (ms === undefined) issues.push({ path: 'service.shutdown_timeout', message: 'must be a duration such as "10s"' });
    else service.shutdownTimeoutMs = ms;
  }
  return service;
}

export function validateConfig(raw: unknown, registry: Registry, source: string, env: NodeJS.ProcessEnv = process.env): BridgeConfig {
  const issues: ConfigIssue[] = [];
  if (!isObject(raw)) throw new ConfigError(source, [{ path: '(root)', message: 'the configuration must be a JSON object' }]);
  const root = expandEnv(raw, '', env, issues) as Record<string, unknown>;
  const envIssueCount = issues.length;
  const envPaths = new Set(issues.map((i) => i.path));
  for (const key of Object.keys(root)) if (!TOP_LEVEL.includes(key)) issues.push({ path: childPath('', key), message: `unknown top-level key (known: ${TOP_LEVEL.join(', ')})` });

  const components: Record<string, Map<string, ConfiguredComponent>> = {};
  const declared: Record<string, Set<string>> = {};
  for (const [section, kind] of SECTIONS) {
    components[section] = validateComponents(root, section, kind, registry, issues);
    declared[section] = new Set(isObject(root[section]) ? Object.keys(root[section] as object) : []);
  }
  const pipelines = validatePipelines(root, declared, issues);
  const service = validateService(root, issues);
  // An unset variable is one issue: the checks of the string it emptied would only repeat it.
  if (issues.length) throw new ConfigError(source, issues.filter((issue, n) => n < envIssueCount || !envPaths.has(issue.path)));

  const used = new Set(pipelines.flatMap((p) => [...p.receivers.map((r) => `receivers:${r}`), ...p.processors.map((r) => `processors:${r}`), ...p.exporters.map((r) => `exporters:${r}`)]));
  const unused: string[] = [];
  for (const [section] of SECTIONS) for (const id of components[section].keys()) if (!used.has(`${section}:${id}`)) unused.push(childPath(section, id));

  return Object.freeze({
    source,
    receivers: components.receivers,
    processors: components.processors,
    exporters: components.exporters,
    pipelines: Object.freeze(pipelines),
    service: Object.freeze(service),
    unused: Object.freeze(unused),
  });
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
