import { createWriteStream, type WriteStream } from 'node:fs';
import type { CreateSettings, Exporter } from '../../component/contracts.js';
import { batchItemCount, type Batch } from '../../model/batch.js';
import type { Cell } from '../../telemetry/self-telemetry.js';
import type { DebugExporterConfig } from './config.js';
import { debugLines } from './format.js';

/** Writes what reaches it as JSON lines, to standard output or a file. */
export class DebugExporter implements Exporter {
  private file: WriteStream | undefined;
  private readonly sent: Cell;

  constructor(
    private readonly settings: CreateSettings,
    private readonly config: DebugExporterConfig,
  ) {
    this.sent = settings.telemetry.exporterSent(settings.id);
  }

  async start(): Promise<void> {
    if (this.config.path && !this.file) this.file = createWriteStream(this.config.path, { flags: 'a' });
  }

  consume(batch: Batch): void {
    const lines = debugLines(batch, this.config.verbosity, this.settings.id, this.settings.now());
    if (!lines.length) return;
    const text = lines.join('\n') + '\n';
    if (this.file) this.file.write(text);
    else process.stdout.write(text);
    this.sent.value += batchItemCount(batch);
  }

  async shutdown(): Promise<void> {
    const file = this.file;
    this.file = undefined;
    if (file) await new Promise<void>((resolve) => file.end(() => resolve()));
  }
}
