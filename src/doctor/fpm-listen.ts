import type { ZmqFpmConfig } from '../receivers/zmq_fpm/config.js';
import type { RefusalReason } from '../receivers/zmq_fpm/schema.js';
import { FpmStream } from '../receivers/zmq_fpm/stream.js';
import { ZmtpSubscriber } from '../receivers/zmq_fpm/zmtp.js';
import { silentLogger } from '../telemetry/logger.js';

/** What one FPM endpoint (one dp rank) sent during the listen window. */
export interface RankListening {
  readonly endpoint: string;
  /** The rank this endpoint stands for (its index in the receiver's endpoints). */
  readonly rank: number;
  /** A ZeroMQ publisher completed the handshake. */
  connected: boolean;
  /** Every message, refused ones included. */
  messages: number;
  iterations: number;
  heartbeats: number;
  /** Messages missing from the sequence (gaps), restarts included. */
  lost: number;
  refused: Partial<Record<RefusalReason, number>>;
  /** worker_id values of valid messages ("" when a message carried none). */
  workerIds: string[];
  /** dp_rank values of valid messages. */
  dpRanks: number[];
  disconnects: number;
}

/**
 * Subscribes to every endpoint of a zmq_fpm receiver at once for `listenMs`
 * and counts what arrives, with the receiver's own peer (zmtp.ts) and
 * stream accounting (stream.ts: decoding, sequence gaps, refusals).
 * SGLang sends a heartbeat after 1 s without data, so a live rank sends
 * something in any window over 1 s.
 */
export async function listenFpm(config: ZmqFpmConfig, listenMs: number): Promise<RankListening[]> {
  const ranks: RankListening[] = [];
  const peers: ZmtpSubscriber[] = [];
  config.endpoints.forEach((endpoint, rank) => {
    const r: RankListening = { endpoint, rank, connected: false, messages: 0, iterations: 0, heartbeats: 0, lost: 0, refused: {}, workerIds: [], dpRanks: [], disconnects: 0 };
    const onRefused = (reason: RefusalReason) => (r.refused[reason] = (r.refused[reason] ?? 0) + 1);
    const stream = new FpmStream(endpoint, rank, '', silentLogger, onRefused, (n) => (r.lost += n), Date.now());
    const peer = new ZmtpSubscriber(
      endpoint,
      { maxMessageBytes: config.maxMessageBytes },
      {
        connected: () => (r.connected = true),
        disconnected: () => r.disconnects++,
        message: (frames) => {
          r.messages++;
          const record = stream.handle(frames, Date.now());
          if (!record) return;
          if (record.heartbeat) r.heartbeats++;
          else r.iterations++;
          // Without a fallback the stream names an empty worker_id "unknown"; keep what was sent.
          const sent = record.workerId === 'unknown' ? '' : record.workerId;
          if (!r.workerIds.includes(sent)) r.workerIds.push(sent);
          if (!r.dpRanks.includes(record.dpRank)) r.dpRanks.push(record.dpRank);
        },
      },
    );
    ranks.push(r);
    peers.push(peer);
    peer.start();
  });
  await new Promise((resolve) => setTimeout(resolve, listenMs));
  await Promise.all(peers.map((p) => p.close()));
  return ranks;
}
