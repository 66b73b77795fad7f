/**
 * Module resolution hook (node:module register()): makes
 * `sglang-otel-bridge/plugin` resolve to this bridge's API module for any
 * plugin, wherever it lives, so plugins need no install of the bridge.
 */
let apiUrl = '';

export function initialize(data: { apiUrl: string }): void {
  apiUrl = data.apiUrl;
}

type Next = (specifier: string, context: unknown) => Promise<unknown>;

export async function resolve(specifier: string, context: unknown, next: Next): Promise<unknown> {
  if (specifier === 'sglang-otel-bridge/plugin') return { url: apiUrl, shortCircuit: true };
  return next(specifier, context);
}
