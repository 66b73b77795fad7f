import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { BRIDGE_NAME, BRIDGE_VERSION } from '../../version.js';

/**
 * The resource every export carries: service.name = sglang-otel-bridge,
 * service.version, service.instance.id (one UUID per bridge process, as the
 * semantic conventions advise), host.name; configured attributes win.
 */
export function bridgeResource(configured: Readonly<Record<string, string>>): Resource {
  return resourceFromAttributes(bridgeResourceAttributes(configured));
}

/** The same attributes as a plain object (for exporters that write their own messages). */
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
