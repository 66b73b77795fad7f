import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Factory } from '../component/contracts.js';
import type { ConfigIssue } from '../component/errors.js';
import { PLUGIN_API_VERSION } from './api.js';
import { guardFactory } from './guard.js';

let hookRegistered = false;

/** Makes `sglang-otel-bridge/plugin` importable from any plugin (once per process). */
function registerApiResolution(): void {
  if (hookRegistered) return;
  hookRegistered = true;
  const ext = path.extname(new URL(import.meta.url).pathname); // .js when built, .ts under tsx
  register(new URL(`./resolve-hook${ext}`, import.meta.url), { data: { apiUrl: new URL(`./api${ext}`, import.meta.url).href } });
}

/**
 * Where a plugin entry points: a file, a folder (its package.json "main",
 * else index.js / index.mjs), relative to the config file's folder when it
 * starts with "." or "/"; anything else is an npm package name.
 */
function moduleUrl(spec: string, baseDir: string): string {
  if (!spec.startsWith('.') && !path.isAbsolute(spec)) {
    // A package installed next to the config (its node_modules), else next to the bridge.
    try {
      return pathToFileURL(createRequire(path.join(baseDir, 'package.json')).resolve(spec)).href;
    } catch {
      return spec;
    }
  }
  const full = path.resolve(baseDir, spec);
  if (!existsSync(full)) throw new Error(`no such file or folder: ${full}`);
  if (!statSync(full).isDirectory()) return pathToFileURL(full).href;
  const pkgFile = path.join(full, 'package.json');
  const main = existsSync(pkgFile) ? (JSON.parse(readFileSync(pkgFile, 'utf8')) as { main?: string }).main : undefined;
  for (const candidate of [main, 'index.js', 'index.mjs']) if (candidate && existsSync(path.join(full, candidate))) return pathToFileURL(path.join(full, candidate)).href;
  throw new Error(`folder ${full} has no package.json "main", index.js or index.mjs`);
}

/**
 * Loads the plugins a config lists. Each must export `apiVersion` (equal to
 * this bridge's PLUGIN_API_VERSION) and `factories`; its factories come back
 * guarded (see guard.ts). Problems are issues with paths (`plugins[1]`), all
 * reported together.
 */
export async function loadPlugins(specs: unknown, baseDir: string): Promise<{ factories: Factory[]; issues: ConfigIssue[] }> {
  const factories: Factory[] = [];
  const issues: ConfigIssue[] = [];
  if (specs === undefined) return { factories, issues };
  if (!Array.isArray(specs)) return { factories, issues: [{ path: 'plugins', message: 'must be a list of plugin modules (files, folders or npm package names)' }] };
  if (specs.length) registerApiResolution();
  for (const [i, spec] of specs.entries()) {
    const at = `plugins[${i}]`;
    if (typeof spec !== 'string' || !spec) {
      issues.push({ path: at, message: 'must be a file, a folder or an npm package name' });
      continue;
    }
    let mod: Record<string, unknown>;
    try {
      mod = (await import(moduleUrl(spec, baseDir))) as Record<string, unknown>;
    } catch (err) {
      issues.push({ path: at, message: `cannot load plugin "${spec}": ${(err as Error).message}` });
      continue;
    }
    const version = mod.apiVersion;
    if (typeof version !== 'number') {
      issues.push({ path: at, message: `plugin "${spec}" does not export apiVersion (write: export const apiVersion = ${PLUGIN_API_VERSION})` });
      continue;
    }
    if (version !== PLUGIN_API_VERSION) {
      issues.push({ path: at, message: `plugin "${spec}" needs plugin API version ${version}; this bridge offers version ${PLUGIN_API_VERSION}` });
      continue;
    }
    const list = mod.factories;
    if (!Array.isArray(list) || !list.length) {
      issues.push({ path: at, message: `plugin "${spec}" exports no factories (export const factories = [ ... ])` });
      continue;
    }
    list.forEach((f: Partial<Factory> | undefined, j) => {
      const problem = factoryProblem(f);
      if (problem) issues.push({ path: `${at}.factories[${j}]`, message: `plugin "${spec}": ${problem}` });
      else factories.push(guardFactory(f as Factory, spec));
    });
  }
  return { factories, issues };
}

function factoryProblem(f: Partial<Factory> | undefined): string | undefined {
  if (!f || typeof f !== 'object') return 'a factory must be an object';
  if (f.kind !== 'receiver' && f.kind !== 'processor' && f.kind !== 'exporter') return `kind must be "receiver", "processor" or "exporter" (got ${JSON.stringify(f.kind)})`;
  if (typeof f.type !== 'string' || !/^[A-Za-z][A-Za-z0-9_]{0,62}$/.test(f.type)) return `type must be letters, digits and _, starting with a letter (got ${JSON.stringify(f.type)})`;
  if (typeof f.create !== 'function') return `${f.kind} "${f.type}" has no create() function`;
  if (!f.schema || typeof f.schema.validate !== 'function') return `${f.kind} "${f.type}" has no schema (use defineSchema from sglang-otel-bridge/plugin)`;
  if (typeof f.description !== 'string') return `${f.kind} "${f.type}" has no description`;
  return undefined;
}
