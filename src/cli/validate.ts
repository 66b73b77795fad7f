import { builtinRegistry } from '../components.js';
import { ConfigError } from '../component/errors.js';
import { loadConfig } from '../config/load.js';
import { formatDuration } from '../config/duration.js';
import type { BridgeConfig } from '../config/model.js';
import { effectiveOptions } from '../config/redact.js';
import { parse } from './args.js';

/** The configuration as it will run, secrets redacted (for --print). */
function printable(config: BridgeConfig): Record<string, unknown> {
  const section = (components: BridgeConfig['receivers']) => Object.fromEntries([...components].map(([id, c]) => [id, effectiveOptions(c.options, c.factory.schema.options)]));
  return { receivers: section(config.receivers), processors: section(config.processors), exporters: section(config.exporters) };
}

export const VALIDATE_HELP = `Usage: sglang-otel-bridge validate [--config FILE]

Checks a configuration without starting anything. Every problem is reported
at once, each with its path, e.g.
  receivers["zmq_fpm"].bogus_key: unknown option (known: endpoint, ...)
  pipelines["metrics/x"].exporters[1]: unknown exporter "nosuch/one"

Options:
  -c, --config FILE   configuration file (default: config/default.json)
      --print         also print every component's options as they will run
                      (defaults filled in, \${env:...} expanded, secrets such
                      as headers and tokens shown as <redacted>)
  -h, --help          this help

Exit codes: 0 valid, 2 invalid.`;

export async function validateCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { config: { type: 'string', short: 'c' }, print: { type: 'boolean' } });
  if (values.help) {
    console.log(VALIDATE_HELP);
    return 0;
  }
  const file = (values.config as string | undefined) ?? 'config/default.json';
  try {
    const config = await loadConfig(file, builtinRegistry());
    console.log(`${file}: valid`);
    for (const p of config.pipelines) console.log(`  pipeline ${p.name}: ${p.receivers.join(', ')} -> ${p.processors.join(' -> ') || '(no processors)'} -> ${p.exporters.join(', ')}`);
    console.log(`  shutdown_timeout ${formatDuration(config.service.shutdownTimeoutMs)}, log_level ${config.service.logLevel}`);
    for (const u of config.unused) console.log(`  warning: ${u} is configured but no pipeline uses it`);
    if (values.print) console.log(JSON.stringify(printable(config), null, 2));
    return 0;
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return 2;
    }
    throw err;
  }
}
