import type { Batch } from '../model/batch.js';
import type { Logger } from '../telemetry/logger.js';
import type { SelfTelemetry } from '../telemetry/self-telemetry.js';
import type { ComponentSchema } from '../config/component-schema.js';

export type ComponentKind = 'receiver' | 'processor' | 'exporter';

/** Receives batches. The batch is read-only and may be shared: copy before changing. */
export interface Consumer {
  consume(batch: Batch): void;
}

/**
 * Lifecycle of every stage.
 * - start() returns fast (long work goes on in the background).
 * - shutdown() is idempotent, safe without start(), and resolves only after
 *   everything this component holds has been handed downstream.
 */
export interface Component {
  start(host: Host): Promise<void>;
  shutdown(): Promise<void>;
}

export type Receiver = Component;
export interface Processor extends Component, Consumer {}
export interface Exporter extends Component, Consumer {}

/** What the service offers a running component. */
export interface Host {
  /** Readiness of the whole service (for /readyz). */
  isReady(): boolean;
}

/** Everything a factory gets besides its own config. */
export interface CreateSettings {
  /** The component's id as written in the config: `type` or `type/name`. */
  readonly id: string;
  readonly logger: Logger;
  readonly telemetry: SelfTelemetry;
  /** Injected clock (Unix ms), for tests. */
  readonly now: () => number;
  /**
   * Receivers only: an exporter downstream forwards FPM records byte for byte
   * (see ExporterFactory.needsFpmPayload), so keep each record's payload.
   */
  readonly keepFpmPayload?: boolean;
}

interface FactoryBase<C> {
  readonly type: string;
  /** One line for `components`. */
  readonly description: string;
  /** Options: what, unit, default; validated before create() is called. */
  readonly schema: ComponentSchema<C>;
}

export interface ReceiverFactory<C = unknown> extends FactoryBase<C> {
  readonly kind: 'receiver';
  create(settings: CreateSettings, config: C, next: Consumer): Receiver;
}

export interface ProcessorFactory<C = unknown> extends FactoryBase<C> {
  readonly kind: 'processor';
  create(settings: CreateSettings, config: C, next: Consumer): Processor;
}

export interface ExporterFactory<C = unknown> extends FactoryBase<C> {
  readonly kind: 'exporter';
  create(settings: CreateSettings, config: C): Exporter;
  /** True when this exporter, so configured, forwards FPM records' original bytes: the receivers feeding it then keep them. */
  needsFpmPayload?(config: C): boolean;
}

export type Factory = ReceiverFactory<unknown> | ProcessorFactory<unknown> | ExporterFactory<unknown>;
