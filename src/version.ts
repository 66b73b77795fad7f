import { readFileSync } from 'node:fs';

/** The bridge's name and version, from package.json (one level above src/ and dist/). */
export const BRIDGE_NAME = 'sglang-otel-bridge';
export const BRIDGE_VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
