import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { BRIDGE_NAME, BRIDGE_VERSION } from '../../version.js';

/**
 * The resource attributes every export carries: service.name =
 * sglang-otel-bridge, service.version, service.instance.id (one UUID per
 * bridge process, as the semantic conventions advise), host.name; configured
 * attributes win.
 */
export function bridgeResourceAttributes(configured: Readonly<Record<string, string>>): Record<string, string> {
  return {
    'service.name': BRIDGE_NAME,
    'service.version': BRIDGE_VERSION,
    'service.instance.id': PROCESS_INSTANCE_ID,
    'host.name': hostname(),
    ...configured,
  };
}

const PROCESS_INSTANCE_ID = randomUUID();
