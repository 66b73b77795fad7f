import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, type ConfigIssue } from '../component/errors.js';
import type { Registry } from '../component/registry.js';
import { loadPlugins } from '../plugins/loader.js';
import type { BridgeConfig } from './model.js';
import { validateConfig } from './validate.js';

/** Reads and validates a JSON config file; every problem comes back in one ConfigError. */
export async function loadConfig(file: string, registry: Registry, env: NodeJS.ProcessEnv = process.env): Promise<BridgeConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : `cannot read it (${code ?? (err as Error).message})`;
    throw new ConfigError(file, [{ path: '(file)', message: `${why}; pass --config FILE` }]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(file, [{ path: '(file)', message: `not valid JSON: ${(err as Error).message}` }]);
  }
  const plugins = await withPlugins(raw, registry, path.dirname(path.resolve(file)));
  if (plugins.issues.length) {
    // The components are checked too, so that every problem is reported at once.
    try {
      validateConfig(raw, plugins.registry, file, env);
    } catch (err) {
      if (err instanceof ConfigError) throw new ConfigError(file, [...plugins.issues, ...err.issues]);
      throw err;
    }
    throw new ConfigError(file, plugins.issues);
  }
  return validateConfig(raw, plugins.registry, file, env);
}

/**
 * The registry plus the factories of the plugins the config lists
 * (`"plugins": ["./my-exporter.js", "some-npm-package"]`, paths relative to
 * the config file). A plugin type that clashes with a known one is an issue.
 */
export async function withPlugins(raw: unknown, registry: Registry, baseDir: string): Promise<{ registry: Registry; issues: ConfigIssue[] }> {
  const specs = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>).plugins : undefined;
  const { factories, issues } = await loadPlugins(specs, baseDir);
  if (!factories.length) return { registry, issues };
  const extended = registry.copy();
  for (const f of factories) {
    if (extended.get(f.kind, f.type)) issues.push({ path: 'plugins', message: `${f.kind} type "${f.type}" is defined twice (a built-in or another plugin has it)` });
    else extended.register(f);
  }
  return { registry: extended, issues };
}
