import { Publisher } from 'zeromq';
import { expandEndpoints } from '../receivers/zmq_fpm/endpoints.js';
import { encodeFpmPayload, sequenceFrame } from './encode.js';
import { heartbeatIteration, makeIteration, seededRandom, type Iteration } from './workload.js';

/**
 * A stand-in for SGLang's FPM publisher side: one PUB socket bound per dp
 * rank, one 3-frame message per simulated iteration at `rate` per second,
 * a heartbeat after `heartbeatMs` without data (spec §1, §2, §4).
 */
export interface SimulatorOptions {
  /** Base endpoint, expanded per rank like the receiver does. */
  endpoint: string;
  dpSize: number;
  /** Iterations per second per rank; 0 = heartbeats only (an idle worker). */
  rate: number;
  workerId: string;
  schema: 'v1' | 'legacy';
  heartbeatMs: number;
  seed: number;
}

export const DEFAULT_SIMULATOR: SimulatorOptions = { endpoint: 'tcp://127.0.0.1:20380', dpSize: 2, rate: 50, workerId: 'sim-worker-0', schema: 'v1', heartbeatMs: 1000, seed: 1 };

interface Rank {
  socket: Publisher;
  rank: number;
  seq: number;
  sent: number;
  lastSendMs: number;
  pool: Iteration[];
}

export class FpmSimulator {
  private readonly ranks: Rank[] = [];
  private timer: NodeJS.Timeout | undefined;
  private startMs = 0;
  private sending = false;

  constructor(private readonly options: SimulatorOptions) {}

  /** Endpoints bound, one per rank. */
  get endpoints(): string[] {
    return expandEndpoints(this.options.endpoint, this.options.dpSize);
  }

  async start(): Promise<void> {
    const endpoints = this.endpoints;
    for (let rank = 0; rank < endpoints.length; rank++) {
      const socket = new Publisher({ sendHighWaterMark: 10000, linger: 0 });
      await socket.bind(endpoints[rank]);
      const rnd = seededRandom(this.options.seed * 1000 + rank);
      this.ranks.push({ socket, rank, seq: 0, sent: 0, lastSendMs: Date.now(), pool: Array.from({ length: 499 }, () => makeIteration(rnd)) });
    }
    this.startMs = Date.now();
    this.timer = setInterval(() => void this.tick(), 10);
  }

  /** Messages sent so far (data and heartbeats) per rank. */
  sentPerRank(): number[] {
    return this.ranks.map((r) => r.seq);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const r of this.ranks) r.socket.close();
    this.ranks.length = 0;
  }

  private async tick(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    try {
      const now = Date.now();
      const due = Math.floor(((now - this.startMs) / 1000) * this.options.rate);
      for (const r of this.ranks) {
        while (r.sent < due) {
          await this.send(r, r.pool[r.sent % r.pool.length]);
          r.sent++;
        }
        if (Date.now() - r.lastSendMs >= this.options.heartbeatMs) await this.send(r, heartbeatIteration());
      }
    } finally {
      this.sending = false;
    }
  }

  private async send(r: Rank, it: Iteration): Promise<void> {
    const v1 = this.options.schema === 'v1';
    const payload = encodeFpmPayload({ ...(v1 ? { version: 1, counter_id: r.seq } : {}), worker_id: this.options.workerId, dp_rank: r.rank, ...it });
    await r.socket.send([Buffer.alloc(0), sequenceFrame(r.seq), payload]);
    r.seq++;
    r.lastSendMs = Date.now();
  }
}
