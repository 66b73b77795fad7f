import { builtinRegistry } from '../components.js';
import { ConfigError } from '../component/errors.js';
import { loadConfig } from '../config/load.js';
import { formatDuration, parseDuration } from '../config/duration.js';
import { exitCode } from '../doctor/finding.js';
import { renderReport, reportJson } from '../doctor/report.js';
import { runChecks } from '../doctor/run-checks.js';
import { parse, UsageError } from './args.js';

/** Default listen window per FPM endpoint: SGLang sends a heartbeat after 1 s idle, so 3 s sees at least two. */
const DEFAULT_LISTEN_MS = 3000;

export const DOCTOR_HELP = `Usage: sglang-otel-bridge doctor [--config FILE] [options]

Checks a node the way an SRE would, for every component of a config, without
running its pipelines; prints a short report, each problem with its fix.

What is checked:
  zmq_fpm               each endpoint (dp rank) is listened to for --listen:
                        messages, iterations, heartbeats, messages lost
                        (sequence gaps) and the loss rate, refused messages by
                        reason, worker_id; nothing received, ranks missing
                        among dp_size, loss, refusals (schema, version)
  prometheus_multiproc  each directory read once: files, processes alive and
                        dead, damaged files (0 bytes, truncated, corrupt),
                        legacy layout, scheduler metrics of tp_rank 0 only
  prometheus_scrape     each target fetched once (its timeout): up or down,
                        series count, sglang:* metrics and scheduler gauges
  prometheus (exporter) its port can be bound, or who holds it (a running
                        bridge answers /healthz)
  otlp_http             one empty export to the endpoint (any HTTP answer is
                        reachable; 401/403 and 404 are findings)
  nats                  a connection to the servers with the configured auth
  debug                 its file can be written
Every finding, its meaning and its fix: docs/doctor.md.

Options:
  -c, --config FILE   configuration file (default: config/default.json)
      --listen D      how long each FPM endpoint is listened to (default 3s;
                      SGLang sends a heartbeat after 1 s idle): 500ms, 3s, 1m
      --json          the report as JSON (sections, facts, findings, counts)
      --strict        warnings also make the exit code 1
  -h, --help          this help

Examples:
  sglang-otel-bridge doctor --config config/default.json
  sglang-otel-bridge doctor -c node.json --listen 5s --json | jq '.sections[].findings'

Exit codes: 0 no errors (warnings allowed, unless --strict), 1 an error
found (or, with --strict, a warning), 2 the config is invalid.`;

export async function doctorCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { config: { type: 'string', short: 'c' }, listen: { type: 'string' }, json: { type: 'boolean' }, strict: { type: 'boolean' } });
  if (values.help) {
    console.log(DOCTOR_HELP);
    return 0;
  }
  const listenMs = values.listen === undefined ? DEFAULT_LISTEN_MS : parseDuration(values.listen);
  if (listenMs === undefined || listenMs < 100) throw new UsageError(`--listen must be a duration of at least 100ms (e.g. 3s), got "${values.listen}"`);
  const file = (values.config as string | undefined) ?? 'config/default.json';
  let config;
  try {
    config = await loadConfig(file, builtinRegistry());
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    return 2;
  }
  if (!values.json) console.error(`checking ${file} (listening to FPM endpoints for ${formatDuration(listenMs)})...`);
  const sections = await runChecks(config, { listenMs });
  const code = exitCode(sections, Boolean(values.strict));
  console.log(values.json ? reportJson(file, sections, code) : renderReport(file, sections));
  return code;
}
