import type { Factory } from '../component/contracts.js';
import type { LogLevel } from '../telemetry/logger.js';

/** A component as configured: its id, its factory and its validated options. */
export interface ConfiguredComponent {
  readonly id: string;
  readonly factory: Factory;
  readonly config: unknown;
  /** The options as written (after ${env:...} expansion), for `validate --print`; may hold secrets: never log. */
  readonly options: unknown;
}

export interface PipelineConfig {
  readonly name: string;
  readonly receivers: readonly string[];
  readonly processors: readonly string[];
  readonly exporters: readonly string[];
}

export interface ServiceConfig {
  /** Default log level (the CLI's --log-level wins). */
  readonly logLevel: LogLevel;
  /** How long shutdown may take before the process exits anyway (ms). */
  readonly shutdownTimeoutMs: number;
}

/** A validated, frozen configuration: everything the graph builder needs. */
export interface BridgeConfig {
  readonly source: string;
  readonly receivers: ReadonlyMap<string, ConfiguredComponent>;
  readonly processors: ReadonlyMap<string, ConfiguredComponent>;
  readonly exporters: ReadonlyMap<string, ConfiguredComponent>;
  readonly pipelines: readonly PipelineConfig[];
  readonly service: ServiceConfig;
  /** Components configured but used by no pipeline (worth a warning). */
  readonly unused: readonly string[];
}
