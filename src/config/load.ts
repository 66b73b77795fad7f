import { readFile } from 'node:fs/promises';
import { ConfigError } from '../component/errors.js';
import type { Registry } from '../component/registry.js';
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
  return validateConfig(raw, registry, file, env);
}
