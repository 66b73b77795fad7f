import { FpmSimulator } from '../simulate/publisher.js';
import { parse } from './args.js';
import { defaultConfigPath, runBridge } from './run.js';
import { SIMULATOR_FLAGS, simulatorOptions } from './simulate.js';

export const DEMO_HELP = `Usage: sglang-otel-bridge demo [simulate options]

The bridge with a built-in simulated SGLang: the simulator publishes FPM on
tcp://127.0.0.1:20380 and :20381 (2 dp ranks), and the bridge runs
config/default.json. Metrics: http://127.0.0.1:9464/metrics. Ctrl-C stops both.

Accepts the options of "simulate" (--rate, --dp-size, ...), and --config FILE.`;

export async function demoCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { ...SIMULATOR_FLAGS, config: { type: 'string', short: 'c' } });
  if (values.help) {
    console.log(DEMO_HELP);
    return 0;
  }
  const sim = new FpmSimulator(simulatorOptions(values));
  await sim.start();
  console.error(`simulated SGLang publishing on ${sim.endpoints.join(', ')}; metrics at http://127.0.0.1:9464/metrics`);
  return runBridge({ config: (values.config as string | undefined) ?? defaultConfigPath() }, () => sim.stop());
}
