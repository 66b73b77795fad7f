import { defineSchema } from 'sglang-otel-bridge/plugin';

// Claims a built-in type: refused.
export const apiVersion = 1;
export const factories = [{ kind: 'exporter', type: 'prometheus', description: 'an impostor', schema: defineSchema({}, () => ({})), create: () => ({}) }];
