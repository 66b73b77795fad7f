/**
 * A fast ForwardPassMetrics publisher for the benchmark (shared/tools/fpm-publisher.py
 * tops out near 90,000 messages/s on this class of machine: one Python thread per
 * rank under one GIL).
 *
 * It sends what SGLang sends (shared/spec/fpm.md §2, §3): one XPUB (a PUB to its
 * subscribers) bound per dp rank; 3-frame messages: empty topic, 8-byte big-endian
 * sequence number, msgpack payload. The payloads are the bridge's own simulator
 * encoding (src/simulate/encode.ts) of plausible iterations, pre-encoded once;
 * per message only the counter_id (equal to the sequence number, in its smallest
 * msgpack integer form) is spliced in. A self-check at start-up proves the
 * spliced payload is byte-identical to a full encode. No heartbeats: at the
 * rates benchmarked a rank is never idle for 1 s.
 *
 * XPUB rather than PUB only so that it can see subscriptions arrive and start
 * sending when every subscriber is connected (no slow-joiner loss).
 *
 * Protocol (JSON lines on stdout, commands on stdin):
 *   -> {"event":"ready"}           every rank has `--subscribers` subscriptions
 *   <- go                          start sending
 *   -> {"event":"done", ...}       sent per rank, elapsed time, achieved rate
 *   <- exit                        close the sockets and exit
 */
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import { XPublisher } from 'zeromq';
import { expandEndpoints } from '../../src/receivers/zmq_fpm/endpoints.js';
import { decodePayload } from '../../src/receivers/zmq_fpm/decode.js';
import { encodeFpmPayload, type FpmPayload } from '../../src/simulate/encode.js';
import { makeIteration, seededRandom, type Iteration } from '../../src/simulate/workload.js';

const { values: opt } = parseArgs({
  options: {
    endpoint: { type: 'string' },
    'dp-size': { type: 'string', default: '2' },
    /** Total messages per second over all ranks; 0 = as fast as possible. */
    rate: { type: 'string', default: '0' },
    duration: { type: 'string', default: '5' },
    subscribers: { type: 'string', default: '1' },
    'worker-id': { type: 'string', default: 'bench-worker' },
    /** SNDHWM: pyzmq's default (1000), as SGLang's socket has. */
    sndhwm: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '1' },
    pool: { type: 'string', default: '499' },
  },
});

const endpoint = opt.endpoint;
if (!endpoint) throw new Error('--endpoint is required');
const dpSize = Number(opt['dp-size']);
const rate = Number(opt.rate);
const durationMs = Number(opt.duration) * 1000;
const subscribers = Number(opt.subscribers);
const workerId = opt['worker-id']!;

function emit(obj: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

/** A pre-encoded payload with a hole where counter_id's value goes. */
interface Template {
  prefix: Buffer;
  suffix: Buffer;
}

function payloadFor(rank: number, it: Iteration, counter: number): FpmPayload {
  return { version: 1, worker_id: workerId, dp_rank: rank, counter_id: counter, ...it };
}

function template(rank: number, it: Iteration): Template {
  const a = encodeFpmPayload(payloadFor(rank, it, 0));
  const b = encodeFpmPayload(payloadFor(rank, it, 1));
  let off = 0;
  while (a[off] === b[off]) off++;
  // With counter_id 0 the value is the single byte 0x00 (positive fixint).
  return { prefix: a.subarray(0, off), suffix: a.subarray(off + 1) };
}

/** counter_id in its smallest msgpack unsigned form, as msgspec writes it. */
function uintWidth(v: number): number {
  return v < 0x80 ? 1 : v < 0x100 ? 2 : v < 0x10000 ? 3 : v <= 0xffffffff ? 5 : 9;
}

function build(t: Template, seq: number): Buffer {
  const w = uintWidth(seq);
  const buf = Buffer.allocUnsafe(t.prefix.length + w + t.suffix.length);
  t.prefix.copy(buf, 0);
  let p = t.prefix.length;
  if (w === 1) buf[p] = seq;
  else if (w === 2) {
    buf[p] = 0xcc;
    buf[p + 1] = seq;
  } else if (w === 3) {
    buf[p] = 0xcd;
    buf.writeUInt16BE(seq, p + 1);
  } else if (w === 5) {
    buf[p] = 0xce;
    buf.writeUInt32BE(seq, p + 1);
  } else {
    buf[p] = 0xcf;
    buf.writeUInt32BE(Math.floor(seq / 0x1_0000_0000), p + 1);
    buf.writeUInt32BE(seq >>> 0, p + 5);
  }
  p += w;
  t.suffix.copy(buf, p);
  return buf;
}

function sequenceFrame(seq: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeUInt32BE(Math.floor(seq / 0x1_0000_0000), 0);
  b.writeUInt32BE(seq >>> 0, 4);
  return b;
}

/** The spliced payload must be exactly what a full encode gives, and decode to counter_id == seq. */
function selfCheck(rank: number, it: Iteration, t: Template): void {
  for (const seq of [0, 1, 127, 128, 255, 256, 65535, 65536, 1234567, 0xffffffff, 0x1_0000_0000, 2 ** 40 + 3]) {
    const spliced = build(t, seq);
    const full = encodeFpmPayload(payloadFor(rank, it, seq));
    if (!spliced.equals(full)) throw new Error(`self-check: spliced payload differs from the full encoding at seq ${seq}`);
    const d = decodePayload(spliced);
    if (!d.ok || d.payload.counterId !== seq) throw new Error(`self-check: payload at seq ${seq} does not decode to counter_id ${seq}`);
  }
  if (sequenceFrame(2 ** 40 + 3).readBigUInt64BE(0) !== BigInt(2 ** 40 + 3)) throw new Error('self-check: sequence frame');
}

interface Rank {
  socket: XPublisher;
  templates: Template[];
  seq: number;
}

const EMPTY = Buffer.alloc(0);

async function waitForSubscribers(socket: XPublisher, want: number): Promise<void> {
  let got = 0;
  while (got < want) {
    const [msg] = await socket.receive();
    if (msg.length >= 1 && msg[0] === 1) got++;
  }
}

async function main(): Promise<void> {
  const endpoints = expandEndpoints(endpoint!, dpSize);
  const ranks: Rank[] = [];
  for (let r = 0; r < endpoints.length; r++) {
    const socket = new XPublisher({ sendHighWaterMark: Number(opt.sndhwm), linger: 2000 });
    socket.verbosity = 'allSubs';
    await socket.bind(endpoints[r]);
    const rnd = seededRandom(Number(opt.seed) * 1000 + r);
    const its = Array.from({ length: Number(opt.pool) }, () => makeIteration(rnd));
    const templates = its.map((it) => template(r, it));
    selfCheck(r, its[0], templates[0]);
    selfCheck(r, its[1], templates[1]);
    ranks.push({ socket, templates, seq: 0 });
  }
  const lines = createInterface({ input: process.stdin });
  const commands: string[] = [];
  let wake: (() => void) | undefined;
  lines.on('line', (l) => {
    commands.push(l.trim());
    wake?.();
  });
  lines.on('close', () => {
    commands.push('exit');
    wake?.();
  });
  const command = async (): Promise<string> => {
    while (!commands.length) await new Promise<void>((r) => (wake = r));
    return commands.shift()!;
  };

  await Promise.all(ranks.map((r) => waitForSubscribers(r.socket, subscribers)));
  emit({ event: 'ready', endpoints });
  if ((await command()) !== 'go') return shutdown(ranks);

  const perRankRate = rate / dpSize;
  const n = ranks.length;
  const start = performance.now();
  const end = start + durationMs;
  let sinceYield = 0;
  // Ranks are served round-robin, one message each, so they stay in step.
  for (;;) {
    const now = performance.now();
    if (now >= end) break;
    const due = rate > 0 ? Math.floor(((now - start) / 1000) * perRankRate) : ranks[0].seq + 64;
    if (ranks[n - 1].seq >= due) {
      // Ahead of schedule: sleep a little (timers have ~1 ms granularity).
      await new Promise((r) => setTimeout(r, 1));
      sinceYield = 0;
      continue;
    }
    const batchEnd = Math.min(due, ranks[n - 1].seq + 64);
    while (ranks[n - 1].seq < batchEnd) {
      for (const r of ranks) {
        const seq = r.seq++;
        await r.socket.send([EMPTY, sequenceFrame(seq), build(r.templates[seq % r.templates.length], seq)]);
      }
    }
    // Let the event loop run (zeromq.js releases sent zero-copy buffers there).
    sinceYield += 64;
    if (sinceYield >= 512) {
      sinceYield = 0;
      await new Promise((r) => setImmediate(r));
    }
  }
  const elapsedS = (performance.now() - start) / 1000;
  const sent = ranks.map((r) => r.seq);
  const total = sent.reduce((a, b) => a + b, 0);
  emit({ event: 'done', sent, total, elapsed_s: elapsedS, rate: total / elapsedS, target_rate: rate });
  while ((await command()) !== 'exit');
  return shutdown(ranks);
}

function shutdown(ranks: Rank[]): void {
  for (const r of ranks) r.socket.close();
  process.exit(0);
}

main().catch((err) => {
  process.stderr.write(`publisher failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
