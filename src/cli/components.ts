import type { Factory } from '../component/contracts.js';
import { builtinRegistry } from '../components.js';
import { withPlugins } from '../config/load.js';
import { parse } from './args.js';

export const COMPONENTS_HELP = `Usage: sglang-otel-bridge components [--json] [--plugin MODULE]...

Lists every receiver, processor and exporter with its options: what each
does, its unit and its default.

Options:
  --json            machine-readable output
  --plugin MODULE   also list a plugin's components (a file, a folder or an
                    npm package name, as in a config's "plugins"); repeatable
  -h, --help        this help`;

function describeFormat(format: unknown): string {
  if (Array.isArray(format)) return `one of ${format.map((f) => JSON.stringify(f)).join(' | ')}`;
  if (typeof format === 'function') return format.name.toLowerCase();
  return String(format);
}

export function describeFactories(factories: Factory[]) {
  return factories.map((f) => ({
    kind: f.kind,
    type: f.type,
    description: f.description,
    options: Object.entries(f.schema.options).map(([name, o]) => ({ name, doc: o.doc, format: describeFormat(o.format), default: o.default, unit: o.unit ?? '' })),
  }));
}

export async function componentsCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { json: { type: 'boolean' }, plugin: { type: 'string', multiple: true } });
  if (values.help) {
    console.log(COMPONENTS_HELP);
    return 0;
  }
  const { registry, issues } = await withPlugins({ plugins: values.plugin ?? [] }, builtinRegistry(), process.cwd());
  if (issues.length) {
    for (const i of issues) console.error(`${i.path.replace(/^plugins/, '--plugin')}: ${i.message}`);
    return 2;
  }
  const described = describeFactories(registry.list());
  if (values.json) {
    console.log(JSON.stringify(described, null, 2));
    return 0;
  }
  for (const kind of ['receiver', 'processor', 'exporter']) {
    console.log(`${kind.toUpperCase()}S`);
    for (const f of described.filter((d) => d.kind === kind)) {
      console.log(`\n  ${f.type}: ${f.description}`);
      for (const o of f.options) {
        const unit = o.unit ? ` [${o.unit}]` : '';
        console.log(`    ${o.name} (${o.format}${unit}, default ${JSON.stringify(o.default)})\n        ${o.doc}`);
      }
    }
    console.log('');
  }
  return 0;
}
