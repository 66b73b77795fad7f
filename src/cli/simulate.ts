import { DEFAULT_SIMULATOR, FpmSimulator, type SimulatorOptions } from '../simulate/publisher.js';
import { intOption, numberOption, parse, UsageError } from './args.js';

export const SIMULATE_HELP = `Usage: sglang-otel-bridge simulate [options]

A stand-in for SGLang's ForwardPassMetrics publisher, exactly per the spec:
one PUB socket bound per dp rank, 3-frame messages (empty topic, 8-byte
big-endian sequence number, msgpack payload), a heartbeat after 1 s without
data. Use it to try the bridge without a GPU or an SGLang server.

Options:
  --endpoint URL     base endpoint; tcp://HOST:PORT binds PORT+rank, ipc:///PATH
                     binds PATH.rank (default ${DEFAULT_SIMULATOR.endpoint})
  --dp-size N        data-parallel ranks (default ${DEFAULT_SIMULATOR.dpSize})
  --rate N           iterations per second per rank; 0 = heartbeats only
                     (default ${DEFAULT_SIMULATOR.rate})
  --worker-id ID     worker_id in every message (default ${DEFAULT_SIMULATOR.workerId})
  --schema S         v1 (version + counter_id) or legacy (default v1)
  --duration SEC     stop after this many seconds (default: until Ctrl-C)
  --seed N           workload seed (default 1)
  -h, --help         this help`;

export function simulatorOptions(values: Record<string, unknown>): SimulatorOptions {
  const schema = (values.schema as string | undefined) ?? 'v1';
  if (schema !== 'v1' && schema !== 'legacy') throw new UsageError('--schema must be v1 or legacy');
  return {
    endpoint: (values.endpoint as string | undefined) ?? DEFAULT_SIMULATOR.endpoint,
    dpSize: intOption(values['dp-size'] as string | undefined, 'dp-size', DEFAULT_SIMULATOR.dpSize, 1),
    rate: numberOption(values.rate as string | undefined, 'rate', DEFAULT_SIMULATOR.rate),
    workerId: (values['worker-id'] as string | undefined) ?? DEFAULT_SIMULATOR.workerId,
    schema,
    heartbeatMs: DEFAULT_SIMULATOR.heartbeatMs,
    seed: intOption(values.seed as string | undefined, 'seed', DEFAULT_SIMULATOR.seed),
  };
}

export const SIMULATOR_FLAGS = {
  endpoint: { type: 'string' },
  'dp-size': { type: 'string' },
  rate: { type: 'string' },
  'worker-id': { type: 'string' },
  schema: { type: 'string' },
  seed: { type: 'string' },
} as const;

export async function simulateCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { ...SIMULATOR_FLAGS, duration: { type: 'string' } });
  if (values.help) {
    console.log(SIMULATE_HELP);
    return 0;
  }
  const options = simulatorOptions(values);
  const duration = numberOption(values.duration as string | undefined, 'duration', 0);
  const sim = new FpmSimulator(options);
  await sim.start();
  console.error(`simulating ${options.dpSize} rank(s) at ${options.rate} iterations/s each on ${sim.endpoints.join(', ')}`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
    if (duration) setTimeout(resolve, duration * 1000);
  });
  const sent = sim.sentPerRank();
  await sim.stop();
  console.log(JSON.stringify({ endpoints: sim.endpoints, messages_sent: sent }));
  return 0;
}
