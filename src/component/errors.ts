/** One problem in a configuration, with the path where it is. */
export interface ConfigIssue {
  /** e.g. `receivers["zmq_fpm"].dp_size` or `pipelines["metrics/x"].exporters[1]`. */
  readonly path: string;
  readonly message: string;
}

/** A configuration that cannot run; carries every problem found, not just the first. */
export class ConfigError extends Error {
  readonly code = 'BRIDGE_CONFIG_INVALID';
  constructor(
    readonly source: string,
    readonly issues: readonly ConfigIssue[],
  ) {
    super(`${source}: ${issues.length} problem${issues.length === 1 ? '' : 's'}\n` + issues.map((i) => `  ${i.path}: ${i.message}`).join('\n'));
    this.name = 'ConfigError';
  }
}

/** A failure that retrying will not fix (an exporter's 400, a rejected plugin). */
export class PermanentError extends Error {
  readonly code = 'BRIDGE_PERMANENT';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentError';
  }
}
