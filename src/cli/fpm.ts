import { Subscriber } from 'zeromq';
import { decodeMessage } from '../receivers/zmq_fpm/message.js';
import { expandEndpoints, endpointProblem } from '../receivers/zmq_fpm/endpoints.js';
import { FastFpmDecoder } from '../receivers/zmq_fpm/fast-decode.js';
import { Frames } from '../receivers/zmq_fpm/frames.js';
import { toRecord, toWireShape } from '../receivers/zmq_fpm/schema.js';
import { SequenceTracker } from '../receivers/zmq_fpm/sequence.js';
import { intOption, parse, UsageError } from './args.js';

export const FPM_HELP = `Usage: sglang-otel-bridge fpm tail ENDPOINT... [options]

Connects to SGLang ForwardPassMetrics endpoints and prints every message as
a JSON line: {"endpoint", "seq", "kind": "data"|"heartbeat"|"refused",
"message" | "reason"+"detail", "lost_before"?, "restart"?}. For a person
checking that a worker publishes, and what.

  ENDPOINT       tcp://HOST:PORT or ipc:///PATH (one per rank), or one base
                 with --dp-size to expand it as the receiver does

Options:
  --dp-size N        expand a single base endpoint for N ranks
  --count N          exit after N messages (default: run until Ctrl-C)
  --no-heartbeats    do not print heartbeats
  -h, --help         this help

Example: sglang-otel-bridge fpm tail ipc:///tmp/sglang_fpm --dp-size 4 --count 20`;

export async function fpmCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === '--help' || sub === '-h') {
    console.log(FPM_HELP);
    return sub ? 0 : 2;
  }
  if (sub !== 'tail') throw new UsageError(`unknown fpm command "${sub}" (known: tail)`);
  const { values, positionals } = parse(rest, { 'dp-size': { type: 'string' }, count: { type: 'string' }, 'no-heartbeats': { type: 'boolean' } }, true);
  if (values.help) {
    console.log(FPM_HELP);
    return 0;
  }
  if (!positionals.length) throw new UsageError('give at least one ENDPOINT');
  const dpSize = intOption(values['dp-size'] as string | undefined, 'dp-size', 0, 1);
  if (dpSize && positionals.length !== 1) throw new UsageError('--dp-size expands one base endpoint; give exactly one');
  const endpoints = dpSize ? expandEndpoints(positionals[0], dpSize) : positionals;
  for (const e of endpoints) {
    const problem = endpointProblem(e);
    if (problem) throw new UsageError(`${e}: ${problem}`);
  }
  const limit = intOption(values.count as string | undefined, 'count', 0, 1);
  const quiet = Boolean(values['no-heartbeats']);
  let printed = 0;
  const sockets = endpoints.map((e) => {
    const s = new Subscriber({ linger: 0 });
    s.connect(e);
    s.subscribe();
    return s;
  });
  console.error(`listening on ${endpoints.join(', ')} (Ctrl-C to stop)`);
  const stop = () => sockets.forEach((s) => s.close());
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await Promise.all(
    sockets.map(async (socket, i) => {
      const decoder = new FastFpmDecoder();
      const message = new Frames();
      const tracker = new SequenceTracker();
      const endpoint = endpoints[i];
      while (!socket.closed) {
        let frames: Buffer[];
        try {
          frames = await socket.receive();
        } catch {
          return;
        }
        const r = decodeMessage(message.setWhole(frames), decoder);
        const seq = r.seq === undefined ? undefined : String(r.seq);
        const step = r.seq === undefined ? { lost: 0, restarted: false } : { ...tracker.observe(r.seq) };
        const extra = { ...(step.lost ? { lost_before: step.lost } : {}), ...(step.restarted ? { restart: true } : {}) };
        let line: Record<string, unknown>;
        if (r.ok) {
          const record = toRecord(r.payload, r.seq, r.payload.workerId, frames[2], Date.now());
          if (record.heartbeat && quiet) continue;
          line = { endpoint, seq, kind: record.heartbeat ? 'heartbeat' : 'data', ...extra, message: toWireShape(record) };
        } else line = { endpoint, seq, kind: 'refused', reason: r.reason, detail: r.detail, ...extra };
        process.stdout.write(JSON.stringify(line) + '\n');
        if (limit && ++printed >= limit) stop();
      }
    }),
  );
  return 0;
}
