/**
 * Structured logs: one JSON object per line, or readable text when the
 * destination is a terminal. Fields: time (ISO 8601), level, msg, plus context.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** A logger that adds these fields to every line (e.g. `{ component: "zmq_fpm" }`). */
  child(fields: Record<string, unknown>): Logger;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Where lines go; default: standard error. */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Force text (true) or JSON (false); default: text when the stream is a terminal. */
  text?: boolean;
}

function errorFields(value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, ...(value.cause ? { cause: String(value.cause) } : {}) };
  return value;
}

export function createLogger(options: LoggerOptions = {}, base: Record<string, unknown> = {}): Logger {
  const stream = options.stream ?? process.stderr;
  const min = RANK[options.level ?? 'info'];
  const text = options.text ?? Boolean(stream.isTTY);
  const write = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (RANK[level] < min) return;
    const all: Record<string, unknown> = { ...base, ...fields };
    for (const k of Object.keys(all)) all[k] = errorFields(all[k]);
    if (text) {
      const extra = Object.entries(all).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ');
      stream.write(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${msg}${extra ? '  ' + extra : ''}\n`);
    } else {
      stream.write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...all }) + '\n');
    }
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (fields) => createLogger(options, { ...base, ...fields }),
  };
}

/** A logger that discards everything (tests, one-shot commands). */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};
