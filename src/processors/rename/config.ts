import { defineSchema } from '../../config/component-schema.js';
import { parsePattern } from '../common/pattern.js';
import type { DynamoOptions, GenAiOptions } from './presets.js';
import { NO_ACTIONS, type AttributeActions, type RuleSpec } from './rule.js';

export type Preset = 'none' | 'gen_ai' | 'dynamo';

export interface RenameConfig {
  /** The user's rules; checked before the preset's. */
  readonly rules: readonly RuleSpec[];
  readonly preset: Preset;
  readonly genAi: GenAiOptions;
  readonly dynamo: DynamoOptions;
  /** Also forward each renamed metric under its original name and labels. */
  readonly keepOriginal: boolean;
}

type Issue = (option: string, message: string) => void;

const RULE_KEYS = ['from', 'to', 'unit', 'description', 'attributes'];
const ACTION_KEYS = ['copy', 'rename', 'drop', 'insert', 'set'];
const GEN_AI_DEFAULTS = { provider_name: 'sglang', operation_name: 'chat', server_address: '', server_port: '' };
const DYNAMO_DEFAULTS = { source: 'frontend', namespace: 'dynamo', component: 'backend', endpoint: 'generate' };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An object of strings; `labels`: the values are label names, so they must not be empty. */
function stringRecord(v: unknown, at: string, issue: Issue, what: string, labels: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  if (v === undefined) return out;
  if (!isObject(v)) {
    issue(at, `must be an object of ${what}`);
    return out;
  }
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== 'string' || (labels && !val)) issue(`${at}.${k}`, labels ? 'must be a label name' : 'must be a string');
    else out[k] = val;
  }
  return out;
}

function actions(v: unknown, at: string, issue: Issue): AttributeActions {
  if (v === undefined) return NO_ACTIONS;
  if (!isObject(v)) {
    issue(at, `must be an object with any of ${ACTION_KEYS.join(', ')}`);
    return NO_ACTIONS;
  }
  for (const k of Object.keys(v)) if (!ACTION_KEYS.includes(k)) issue(`${at}.${k}`, `unknown option (known: ${ACTION_KEYS.join(', ')})`);
  const drop: string[] = [];
  if (v.drop !== undefined) {
    if (!Array.isArray(v.drop)) issue(`${at}.drop`, 'must be a list of label names');
    else v.drop.forEach((d, i) => (typeof d === 'string' && d ? drop.push(d) : issue(`${at}.drop[${i}]`, 'must be a label name')));
  }
  return {
    copy: stringRecord(v.copy, `${at}.copy`, issue, 'label names to new label names', true),
    rename: stringRecord(v.rename, `${at}.rename`, issue, 'label names to new label names', true),
    drop,
    insert: stringRecord(v.insert, `${at}.insert`, issue, 'values by label', false),
    set: stringRecord(v.set, `${at}.set`, issue, 'values by label', false),
  };
}

function rule(v: unknown, at: string, issue: Issue): RuleSpec | undefined {
  if (!isObject(v)) {
    issue(at, 'must be an object { "from", "to", "unit", "description", "attributes" }');
    return undefined;
  }
  for (const k of Object.keys(v)) if (!RULE_KEYS.includes(k)) issue(`${at}.${k}`, `unknown option (known: ${RULE_KEYS.join(', ')})`);
  const from = v.from === undefined ? 'required: a metric name, a glob, or /regex/' : parsePattern(v.from);
  if (typeof from === 'string') issue(`${at}.from`, from);
  if (typeof v.to !== 'string' || !v.to) issue(`${at}.to`, 'required: the new metric name (with a /regex/ from, $1 ... for its groups)');
  else if (typeof from !== 'string' && from.kind === 'glob' && /\$(\d|<)/.test(v.to)) issue(`${at}.to`, 'capture groups ($1, $<name>) need a /regex/ from');
  for (const k of ['unit', 'description'] as const) if (v[k] !== undefined && typeof v[k] !== 'string') issue(`${at}.${k}`, 'must be a string');
  const attributes = actions(v.attributes, `${at}.attributes`, issue);
  if (typeof from === 'string' || typeof v.to !== 'string') return undefined;
  return {
    from,
    to: v.to,
    ...(typeof v.unit === 'string' ? { unit: v.unit } : {}),
    ...(typeof v.description === 'string' ? { description: v.description } : {}),
    attributes,
  };
}

/** Reads a preset's options object against its defaults (unknown keys and non-strings reported). */
function presetOptions<D extends Record<string, string>>(v: unknown, option: string, defaults: D, issue: Issue): D {
  const out: Record<string, string> = { ...defaults };
  if (v === undefined || v === null) return out as D;
  if (!isObject(v)) {
    issue(option, `must be an object with any of ${Object.keys(defaults).join(', ')}`);
    return out as D;
  }
  for (const [k, val] of Object.entries(v)) {
    if (!(k in defaults)) issue(`${option}.${k}`, `unknown option (known: ${Object.keys(defaults).join(', ')})`);
    else if (k === 'server_port' && typeof val === 'number' && Number.isInteger(val)) out[k] = String(val);
    else if (typeof val !== 'string') issue(`${option}.${k}`, 'must be a string');
    else out[k] = val;
  }
  return out as D;
}

export const renameSchema = defineSchema<RenameConfig>(
  {
    rules: {
      doc: 'Rules, tried in order before the preset\'s; the first whose from matches a metric renames it: [{ "from": name, glob or /regex/ (anchored), "to": new name ($1 for regex groups), "unit", "description", "attributes": { "copy": {from: to}, "rename": {old: new}, "drop": [labels], "insert": {label: value, only where absent}, "set": {label: value} } }].',
      format: '*',
      default: [],
    },
    preset: { doc: 'Built-in rules: gen_ai (OpenTelemetry GenAI server metrics), dynamo (the names and labels Dynamo\'s SLA planner queries), or none.', format: ['none', 'gen_ai', 'dynamo'], default: 'none' },
    gen_ai: {
      doc: 'Options of the gen_ai preset: provider_name (gen_ai.provider.name, default "sglang"), operation_name (gen_ai.operation.name, default "chat"), server_address and server_port (server.address / server.port; empty: left out).',
      format: '*',
      default: {},
    },
    dynamo: {
      doc: 'Options of the dynamo preset: source ("frontend": dynamo_frontend_* names, or "router": dynamo_component_router_*), namespace, component, endpoint (dynamo_namespace / dynamo_component / dynamo_endpoint added where a series lacks them; defaults "dynamo", "backend", "generate"; empty: not added).',
      format: '*',
      default: {},
    },
    keep_original: { doc: 'Also forward each renamed metric under its original name and labels (the renamed one is a new series either way).', format: 'boolean', default: false },
  },
  (v, issue) => {
    const rules: RuleSpec[] = [];
    if (!Array.isArray(v.rules)) issue('rules', 'must be a list of rules');
    else
      v.rules.forEach((r: unknown, i) => {
        const spec = rule(r, `rules[${i}]`, issue);
        if (spec) rules.push(spec);
      });
    const preset = v.preset as Preset;
    // Reported on preset: when convict refused the preset, the check is left out (no cascade).
    if (preset === 'none' && Array.isArray(v.rules) && v.rules.length === 0) issue('preset', 'give a preset ("gen_ai" or "dynamo"), rules, or both');
    const g = presetOptions(v.gen_ai, 'gen_ai', GEN_AI_DEFAULTS, issue);
    const d = presetOptions(v.dynamo, 'dynamo', DYNAMO_DEFAULTS, issue);
    if (g.server_port && !/^\d{1,5}$/.test(g.server_port)) issue('gen_ai.server_port', 'must be a port number');
    if (!g.provider_name) issue('gen_ai.provider_name', 'must not be empty (gen_ai.provider.name is a required attribute)');
    if (!g.operation_name) issue('gen_ai.operation_name', 'must not be empty (gen_ai.operation.name is a required attribute)');
    if (d.source !== 'frontend' && d.source !== 'router') issue('dynamo.source', 'must be "frontend" or "router"');
    const given = (x: unknown) => isObject(x) && Object.keys(x).length > 0;
    if (given(v.gen_ai) && preset !== 'gen_ai') issue('gen_ai', 'options of the gen_ai preset, but preset is not "gen_ai"');
    if (given(v.dynamo) && preset !== 'dynamo') issue('dynamo', 'options of the dynamo preset, but preset is not "dynamo"');
    return {
      rules,
      preset,
      genAi: { providerName: g.provider_name, operationName: g.operation_name, serverAddress: g.server_address, serverPort: g.server_port },
      dynamo: { source: d.source as DynamoOptions['source'], namespace: d.namespace, component: d.component, endpoint: d.endpoint },
      keepOriginal: v.keep_original as boolean,
    };
  },
);
