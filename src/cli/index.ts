import { UsageError } from './args.js';

export const HELP = `sglang-otel-bridge: SGLang's metrics, complete and correct, as OpenTelemetry metrics.

Usage: sglang-otel-bridge <command> [options]   (each command takes --help)

Commands:
  run          run the pipelines of a config (default config/default.json)
  validate     check a config; every problem reported with its path (exit 2 if invalid)
  doctor       check a node: FPM endpoints, multiprocess directories, scrape targets,
               exporters reachable; each problem with its fix (exit 1 if any)
  components   every receiver, processor and exporter, with options, units, defaults
  fpm tail     print the ForwardPassMetrics messages of SGLang endpoints as JSON lines
  multiproc    print a prometheus_client multiprocess directory merged (as its /metrics would)
  simulate     a simulated SGLang publishing ForwardPassMetrics (no GPU needed)
  demo         the simulator and the bridge together; metrics at http://127.0.0.1:9464/metrics

Examples:
  sglang-otel-bridge demo
  sglang-otel-bridge validate --config my.json
  sglang-otel-bridge doctor --config my.json
  sglang-otel-bridge fpm tail tcp://127.0.0.1:20380 --dp-size 2 --count 10`;

/** Commands load their modules on demand: `multiproc` starts without ZeroMQ or prom-client. */
const COMMANDS: Record<string, () => Promise<(argv: string[]) => Promise<number>>> = {
  run: async () => (await import('./run.js')).runCommand,
  validate: async () => (await import('./validate.js')).validateCommand,
  doctor: async () => (await import('./doctor.js')).doctorCommand,
  components: async () => (await import('./components.js')).componentsCommand,
  fpm: async () => (await import('./fpm.js')).fpmCommand,
  multiproc: async () => (await import('./multiproc.js')).multiprocCommand,
  simulate: async () => (await import('./simulate.js')).simulateCommand,
  demo: async () => (await import('./demo.js')).demoCommand,
};

/** Runs a command line; resolves with the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(HELP);
    return name ? 0 : 2;
  }
  const load = COMMANDS[name];
  if (!load) {
    console.error(`unknown command "${name}"\n\n${HELP}`);
    return 2;
  }
  try {
    return await (await load())(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`${name}: ${err.message} (see: sglang-otel-bridge ${name} --help)`);
      return 2;
    }
    console.error(`${name} failed: ${(err as Error).stack ?? err}`);
    return 1;
  }
}
