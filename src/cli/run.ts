import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtinRegistry } from '../components.js';
import { ConfigError } from '../component/errors.js';
import { loadConfig } from '../config/load.js';
import { Service } from '../pipeline/service.js';
import { createLogger, LOG_LEVELS, type LogLevel } from '../telemetry/logger.js';
import { SelfTelemetry } from '../telemetry/self-telemetry.js';
import { parse, UsageError } from './args.js';

export const RUN_HELP = `Usage: sglang-otel-bridge run [--config FILE] [--log-level LEVEL]

Runs the pipelines of a configuration until SIGTERM or SIGINT; then stops
receivers first and flushes everything downstream before exiting.

Options:
  -c, --config FILE     configuration (default: config/default.json, from the
                        working directory or else the one shipped with the bridge)
  --log-level LEVEL     debug | info | warn | error (default: the config's
                        service.log_level, else info)
  --log-format FORMAT   json | text (default: text on a terminal, else json)
  -h, --help            this help

Exit codes: 0 stopped cleanly, 1 failed at run time, 2 invalid configuration.`;

/** The default config: ./config/default.json, else the one beside the installed bridge. */
export function defaultConfigPath(): string {
  const local = path.resolve('config/default.json');
  if (existsSync(local)) return local;
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../config/default.json');
}

export interface RunOptions {
  config: string;
  logLevel?: LogLevel;
  logFormat?: 'json' | 'text';
}

export function runOptions(argv: string[]): RunOptions | 'help' {
  const { values } = parse(argv, { config: { type: 'string', short: 'c' }, 'log-level': { type: 'string' }, 'log-format': { type: 'string' } });
  if (values.help) return 'help';
  const level = values['log-level'] as string | undefined;
  if (level !== undefined && !LOG_LEVELS.includes(level as LogLevel)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  const format = values['log-format'] as string | undefined;
  if (format !== undefined && format !== 'json' && format !== 'text') throw new UsageError('--log-format must be json or text');
  return { config: (values.config as string | undefined) ?? defaultConfigPath(), logLevel: level as LogLevel | undefined, logFormat: format as 'json' | 'text' | undefined };
}

/** Loads, starts, and waits for a signal. Resolves with the exit code. */
export async function runBridge(options: RunOptions, beforeStop?: () => Promise<void>): Promise<number> {
  let config;
  try {
    config = await loadConfig(options.config, builtinRegistry());
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return 2;
    }
    throw err;
  }
  const logger = createLogger({ level: options.logLevel ?? config.service.logLevel, text: options.logFormat ? options.logFormat === 'text' : undefined });
  const service = new Service(config, logger, new SelfTelemetry());
  try {
    await service.start();
  } catch (err) {
    logger.error('the bridge could not start', { error: err });
    return 1;
  }
  logger.info('running', { config: options.config });
  // Components unref their timers and may hold no socket while a publisher is down: the run keeps the process alive.
  const keepAlive = setInterval(() => {}, 1 << 30);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  clearInterval(keepAlive);
  logger.info('stopping: receivers first, then flushing downstream', { signal });
  if (beforeStop) await beforeStop();
  await service.shutdown();
  return 0;
}

export async function runCommand(argv: string[]): Promise<number> {
  const options = runOptions(argv);
  if (options === 'help') {
    console.log(RUN_HELP);
    return 0;
  }
  return runBridge(options);
}
