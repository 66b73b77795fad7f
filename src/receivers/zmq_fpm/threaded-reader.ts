import { Worker } from 'node:worker_threads';
import type { Logger } from '../../telemetry/logger.js';
import { readBatch, type BatchHandlers } from './frame-batch.js';
import type { FromReadThread, ReadThreadSettings, ToReadThread } from './read-thread-protocol.js';

export interface ThreadedReaderHandlers extends BatchHandlers {
  /** After the records of one batch: a good moment to pass records downstream. */
  batchDone(): void;
}

/** Young-generation limit of the read thread (MiB): it allocates little per message, and RSS counts. */
const READ_THREAD_YOUNG_MB = 2;
/** How long close() waits for the read thread to hand over what it has (ms). */
const CLOSE_TIMEOUT_MS = 2000;
/** Delay before a read thread that died is started again (ms). */
const RESTART_MS = 1000;

/**
 * Reads every endpoint on a thread of its own (read-thread.ts) and delivers
 * its batches on the main thread, in order, one batch per call of the
 * 'message' listener: work per event-loop turn is bounded by the batch
 * size. Each batch goes back to the read thread for reuse once handled.
 */
export class ThreadedZmtpReader {
  private worker: Worker | undefined;
  private closing = false;
  private closedSignal: (() => void) | undefined;
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly settings: ReadThreadSettings,
    private readonly handlers: ThreadedReaderHandlers,
    private readonly logger: Logger,
  ) {}

  start(): void {
    const worker = spawnReadThread(this.settings);
    this.worker = worker;
    worker.on('message', (m: FromReadThread) => {
      if ('closed' in m) {
        this.closedSignal?.();
        return;
      }
      try {
        readBatch(m.batch, m.length, this.handlers);
        this.handlers.batchDone();
      } finally {
        const back: ToReadThread = { returned: m.batch, messages: m.messages };
        if (this.worker === worker && !this.closing) worker.postMessage(back, [m.batch]);
      }
    });
    worker.on('error', (err) => this.logger.error('zmq_fpm read thread failed', { error: err.message }));
    worker.on('exit', (code) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.closedSignal?.();
      if (this.closing) return;
      this.logger.error('zmq_fpm read thread exited; starting it again (messages in between show as lost)', { code });
      for (let rank = 0; rank < this.settings.endpoints.length; rank++) this.handlers.disconnected(rank, 'read thread exited');
      this.restartTimer = setTimeout(() => this.start(), RESTART_MS);
    });
  }

  /** Closes every connection; resolves after the read thread handed over everything it had read. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const worker = this.worker;
    if (!worker) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, CLOSE_TIMEOUT_MS);
      this.closedSignal = () => {
        clearTimeout(timer);
        resolve();
      };
      const close: ToReadThread = { close: true };
      worker.postMessage(close);
    });
    this.worker = undefined;
    await worker.terminate();
  }
}

/**
 * The read thread from the built read-thread.js; when this module runs from
 * TypeScript sources (tests under tsx), the thread registers tsx first.
 */
function spawnReadThread(settings: ReadThreadSettings): Worker {
  const options = { workerData: settings, resourceLimits: { maxYoungGenerationSizeMb: READ_THREAD_YOUNG_MB } };
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./read-thread.js', import.meta.url), options);
  const entry = new URL('./read-thread.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(code, { ...options, eval: true });
}
