import type { Component, Consumer, CreateSettings, ExporterFactory, ProcessorFactory, ReceiverFactory } from '../component/contracts.js';
import type { BridgeConfig } from '../config/model.js';
import type { Logger } from '../telemetry/logger.js';
import type { SelfTelemetry } from '../telemetry/self-telemetry.js';
import { FanOut } from './fanout.js';

/**
 * The running shape of a configuration. The only place that wires stages:
 * one instance per exporter (shared by the pipelines that list it), one
 * chain of processors per pipeline (in the listed order), one instance per
 * receiver feeding every pipeline that lists it.
 */
export interface Graph {
  /** Components in start order: exporters, then processors (exporter side first), then receivers. */
  readonly startOrder: readonly { id: string; component: Component }[];
  /** Components in shutdown order: receivers, then processors (receiver side first), then exporters. */
  readonly shutdownOrder: readonly { id: string; component: Component }[];
  /** Receivers and exporters by id (one instance each). */
  readonly byId: ReadonlyMap<string, Component>;
}

export function buildGraph(config: BridgeConfig, base: { logger: Logger; telemetry: SelfTelemetry; now: () => number }): Graph {
  const settings = (id: string, keepFpmPayload = false): CreateSettings => ({ id, logger: base.logger.child({ component: id }), telemetry: base.telemetry, now: base.now, keepFpmPayload });
  const fanOut = (targets: { id: string; consumer: Consumer }[]): Consumer => (targets.length === 1 ? targets[0].consumer : new FanOut(targets, base.logger, base.telemetry));

  const exporters = new Map<string, Component & Consumer>();
  for (const id of new Set(config.pipelines.flatMap((p) => p.exporters))) {
    const c = config.exporters.get(id)!;
    exporters.set(id, (c.factory as ExporterFactory<unknown>).create(settings(id), c.config));
  }

  const needsPayload = (exporterId: string): boolean => {
    const c = config.exporters.get(exporterId)!;
    return (c.factory as ExporterFactory<unknown>).needsFpmPayload?.(c.config) ?? false;
  };
  const keepPayload = new Set<string>();

  const processors: { id: string; component: Component }[][] = [];
  const entries = new Map<string, { id: string; consumer: Consumer }[]>();
  for (const pipeline of config.pipelines) {
    let next: Consumer = fanOut(pipeline.exporters.map((id) => ({ id, consumer: exporters.get(id)! })));
    const chain: { id: string; component: Component }[] = [];
    for (const id of [...pipeline.processors].reverse()) {
      const c = config.processors.get(id)!;
      const p = (c.factory as ProcessorFactory<unknown>).create(settings(id), c.config, next);
      chain.unshift({ id: `${id} (pipeline ${pipeline.name})`, component: p });
      next = p;
    }
    processors.push(chain);
    for (const r of pipeline.receivers) {
      if (pipeline.exporters.some(needsPayload)) keepPayload.add(r);
      const list = entries.get(r) ?? [];
      list.push({ id: `pipeline ${pipeline.name}`, consumer: next });
      entries.set(r, list);
    }
  }

  const receivers: { id: string; component: Component }[] = [];
  for (const [id, targets] of entries) {
    const c = config.receivers.get(id)!;
    receivers.push({ id, component: (c.factory as ReceiverFactory<unknown>).create(settings(id, keepPayload.has(id)), c.config, fanOut(targets)) });
  }

  const exporterList = [...exporters].map(([id, component]) => ({ id, component }));
  return {
    byId: new Map([...exporterList, ...receivers].map((e) => [e.id, e.component])),
    startOrder: [...exporterList, ...processors.flatMap((chain) => [...chain].reverse()), ...receivers],
    shutdownOrder: [...receivers, ...processors.flat(), ...exporterList],
  };
}
