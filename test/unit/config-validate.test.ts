/**
 * Config validation as a table: every file test/config/bad/bad_<rule>.json
 * breaks one rule (bad_many breaks many at once), and expected.json lists,
 * per file, exactly the issues validation must report: each issue's path
 * (compared exactly, as a multiset) and a fragment of its message. Then the
 * good side: the shipped default, valid variants, ${env:...} expansion,
 * durations, and the frozen result.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { VALIDATE_HELP } from '../../src/cli/validate.js';
import { ConfigError, type ConfigIssue } from '../../src/component/errors.js';
import { builtinRegistry } from '../../src/components.js';
import { formatDuration, parseDuration } from '../../src/config/duration.js';
import { loadConfig } from '../../src/config/load.js';
import type { BridgeConfig } from '../../src/config/model.js';
import { validateConfig } from '../../src/config/validate.js';
import type { DebugExporterConfig } from '../../src/exporters/debug/config.js';
import type { PrometheusExporterConfig } from '../../src/exporters/prometheus/config.js';
import type { WelfordConfig } from '../../src/processors/welford/config.js';
import type { ZmqFpmConfig } from '../../src/receivers/zmq_fpm/config.js';
import { ROOT } from '../helpers/paths.js';

const BAD = path.join(ROOT, 'test/config/bad');
const GOOD = path.join(ROOT, 'test/config/good');
const DEFAULT = path.join(ROOT, 'config/default.json');

interface Expected {
  path: string;
  /** A fragment the issue's message must contain. */
  message: string;
}

const EXPECTED: Record<string, Expected[]> = JSON.parse(readFileSync(path.join(BAD, 'expected.json'), 'utf8'));
const BAD_FILES = readdirSync(BAD)
  .filter((f) => /^bad_.+\.json$/.test(f))
  .sort();

function show(issues: readonly ConfigIssue[]): string {
  return issues.map((i) => `  ${i.path}: ${i.message}`).join('\n');
}

/**
 * Exact comparison: the multiset of paths must equal the expected one (no
 * missing, no extra, no duplicate issue), and each expected issue must be
 * matched by a distinct actual issue at its path whose message contains its
 * fragment.
 */
function assertIssues(actual: readonly ConfigIssue[], expected: readonly Expected[], what: string): void {
  const got = actual.map((i) => i.path).sort();
  const want = expected.map((e) => e.path).sort();
  assert.deepEqual(got, want, `${what}: issue paths differ; validation reported:\n${show(actual)}`);
  const unmatched = [...actual];
  for (const e of expected) {
    const i = unmatched.findIndex((a) => a.path === e.path && a.message.includes(e.message));
    assert.ok(i >= 0, `${what}: no issue at ${e.path} with a message containing ${JSON.stringify(e.message)}; validation reported:\n${show(actual)}`);
    unmatched.splice(i, 1);
  }
}

/** The issues of a config that must not load (fails the test if it loads, or fails otherwise). */
async function issuesOf(file: string, env: NodeJS.ProcessEnv = {}): Promise<readonly ConfigIssue[]> {
  let config: BridgeConfig;
  try {
    config = await loadConfig(file, builtinRegistry(), env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${(err as Error).stack}`);
    assert.equal(err.source, file);
    assert.equal(err.code, 'BRIDGE_CONFIG_INVALID');
    assert.ok(err.issues.length > 0);
    return err.issues;
  }
  const options = Object.fromEntries([...config.receivers, ...config.processors, ...config.exporters].map(([id, c]) => [id, c.config]));
  assert.fail(`${path.basename(file)} validated, but it must not; the options became ${JSON.stringify(options)}`);
}

/** The process environment without any BRIDGE_TEST_* variable, so the bad files' references stay unset. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('BRIDGE_TEST_')) env[k] = v;
  return { ...env, ...extra };
}

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `node --import tsx src/main.ts ...args` from the repository root. */
function cli(args: string[], env: NodeJS.ProcessEnv = cleanEnv()): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], { cwd: ROOT, env, timeout: 30_000 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
    });
  });
}

describe('bad configs: every problem, each with its exact path', () => {
  test('expected.json covers exactly the bad_*.json files, each with at least one issue', () => {
    assert.deepEqual(Object.keys(EXPECTED).sort(), BAD_FILES);
    for (const [file, issues] of Object.entries(EXPECTED)) {
      assert.ok(Array.isArray(issues) && issues.length > 0, file);
      for (const i of issues) assert.ok(typeof i.path === 'string' && typeof i.message === 'string' && i.message.length > 0, `${file}: ${JSON.stringify(i)}`);
    }
    assert.ok(EXPECTED['bad_many.json'].length >= 15, 'bad_many breaks many rules at once');
  });

  for (const file of BAD_FILES) {
    test(file, async () => {
      assertIssues(await issuesOf(path.join(BAD, file)), EXPECTED[file], file);
    });
  }

  test('the same issues come from validateConfig on the parsed object (loadConfig adds nothing but reading)', () => {
    const file = 'bad_many.json';
    const raw = JSON.parse(readFileSync(path.join(BAD, file), 'utf8'));
    assert.throws(
      () => validateConfig(raw, builtinRegistry(), 'inline', {}),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.equal(err.source, 'inline');
        assertIssues(err.issues, EXPECTED[file], file);
        return true;
      },
    );
  });

  test('a missing file is one (file) issue', async () => {
    const file = path.join(BAD, 'no-such-file.json');
    assertIssues(await issuesOf(file), [{ path: '(file)', message: 'file not found; pass --config FILE' }], 'missing file');
  });
});

describe('the assertions are exact: a wrong expectation fails', () => {
  // Mutations of a correct expectation (taken from what validation reports) must all be rejected.
  for (const file of ['bad_many.json', 'bad_pipeline_unknown_component.json', 'bad_zmq_endpoint_scheme.json', 'bad_service_log_level.json']) {
    test(file, async () => {
      const actual = await issuesOf(path.join(BAD, file));
      const exact: Expected[] = actual.map((i) => ({ path: i.path, message: i.message }));
      assertIssues(actual, exact, 'baseline');
      const mutations: [string, Expected[]][] = [
        ['a path with a suffix', exact.map((e, i) => (i === 0 ? { ...e, path: `${e.path}_x` } : e))],
        ['a path with a prefix', exact.map((e, i) => (i === exact.length - 1 ? { ...e, path: `x.${e.path}` } : e))],
        ['one issue missing', exact.slice(1)],
        ['one issue too many', [...exact, { path: 'service.log_level_x', message: '' }]],
        ['one issue expected twice', [...exact, exact[0]]],
        ['a message fragment that is not there', exact.map((e, i) => (i === 0 ? { ...e, message: `${e.message} (not in the message)` } : e))],
      ];
      for (const [what, wrong] of mutations) assert.throws(() => assertIssues(actual, wrong, what), assert.AssertionError, `${file}: ${what} was accepted`);
    });
  }

  test('quoted and dotted forms of a path are different paths', async () => {
    const actual = await issuesOf(path.join(BAD, 'bad_pipeline_unknown_component.json'));
    const exporter = actual.find((i) => i.path.endsWith('.exporters[1]'));
    assert.equal(exporter?.path, 'pipelines["metrics/x"].exporters[1]');
    for (const wrong of ['pipelines.metrics/x.exporters[1]', "pipelines['metrics/x'].exporters[1]", 'pipelines["metrics/x"].exporters[0]', 'pipelines["metrics/x"].exporters.1']) {
      const expected = actual.map((i) => ({ path: i === exporter ? wrong : i.path, message: '' }));
      assert.throws(() => assertIssues(actual, expected, wrong), assert.AssertionError, wrong);
    }
  });
});

describe('validate on the command line', () => {
  // Only files whose expectations hold today: the CLI must print exactly what loadConfig reports.
  const FILES = ['bad_many.json', 'bad_unknown_option.json', 'bad_pipeline_unknown_component.json', 'bad_not_an_object.json', 'bad_env_unset.json', 'bad_invalid_json.json'];
  for (const file of FILES) {
    test(`${file}: exit 2, a count and every path on stderr`, async () => {
      const config = path.join('test/config/bad', file);
      const r = await cli(['validate', '--config', config]);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout, '');
      const lines = r.stderr.trimEnd().split('\n');
      const n = EXPECTED[file].length;
      assert.equal(lines[0], `${config}: ${n} problem${n === 1 ? '' : 's'}`);
      assert.equal(lines.length, n + 1, r.stderr);
      const printedPaths = lines.slice(1).map((l) => {
        const m = /^ {2}(.+?): (.*)$/.exec(l);
        assert.ok(m, `unexpected line: ${l}`);
        return m[1];
      });
      // A path may itself contain ": " only if it is quoted; none of ours is.
      assert.deepEqual(printedPaths.sort(), EXPECTED[file].map((e) => e.path).sort());
      for (const e of EXPECTED[file]) assert.ok(lines.some((l) => l.startsWith(`  ${e.path}: `) && l.includes(e.message)), `stderr lacks ${e.path}: ...${e.message}...\n${r.stderr}`);
    });
  }

  test('an unset variable is taken from the real environment: set, the same file is valid', async () => {
    const config = 'test/config/bad/bad_env_unset.json';
    const r = await cli(['validate', '--config', config], cleanEnv({ BRIDGE_TEST_UNSET_HOST: '127.0.0.1', BRIDGE_TEST_UNSET_WORKER: 'w' }));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /: valid\n/);
  });

  test('the default config and a fan-out config are valid: exit 0, pipelines and unused components listed', async () => {
    const d = await cli(['validate', '--config', 'config/default.json']);
    assert.equal(d.code, 0, d.stderr);
    assert.equal(
      d.stdout,
      'config/default.json: valid\n  pipeline metrics/fpm: zmq_fpm -> welford -> prometheus\n  shutdown_timeout 10s, log_level info\n',
    );
    const f = await cli(['validate', '--config', 'test/config/good/good_fanout.json']);
    assert.equal(f.code, 0, f.stderr);
    assert.match(f.stdout, /\n {2}pipeline metrics\/fast: zmq_fpm\/prefill, zmq_fpm\/decode -> welford -> prometheus, debug\/file\n/);
    assert.match(f.stdout, /\n {2}pipeline metrics\/slow: zmq_fpm\/decode -> welford\/slow -> prometheus\n/);
    assert.match(f.stdout, /\n {2}shutdown_timeout 2\.5s, log_level debug\n/);
    assert.match(f.stdout, /\n {2}warning: exporters\["debug\/unused"\] is configured but no pipeline uses it\n/);
  });

  test('the issue shown as an example in `validate --help` is printed as the help shows it', async () => {
    // VALIDATE_HELP promises lines like `receivers["zmq_fpm"].bogus_key: unknown option (known: endpoint, ...)`.
    const examples = [...VALIDATE_HELP.matchAll(/^ {2}(receivers\S+): (unknown option \(known: endpoint)/gm)];
    assert.equal(examples.length, 1, 'the help shows an unknown-option example');
    const [, helpPath, helpMessage] = examples[0];
    const r = await cli(['validate', '--config', 'test/config/bad/bad_unknown_option.json']);
    assert.equal(r.code, 2);
    const printed = r.stderr.split('\n').find((l) => l.includes('bogus_key'));
    assert.ok(printed, r.stderr);
    assert.ok(printed.startsWith(`  ${helpPath}: ${helpMessage}`), `help shows "${helpPath}: ${helpMessage}...", validate prints "${printed.trim()}"`);
  });
});

describe('good configs', () => {
  const receiver = (c: BridgeConfig, id: string) => c.receivers.get(id)?.config as ZmqFpmConfig;
  const processor = (c: BridgeConfig, id: string) => c.processors.get(id)?.config as WelfordConfig;
  const prometheus = (c: BridgeConfig, id: string) => c.exporters.get(id)?.config as PrometheusExporterConfig;
  const debug = (c: BridgeConfig, id: string) => c.exporters.get(id)?.config as DebugExporterConfig;

  test('config/default.json with nothing set: two tcp ranks, 5s windows, localhost:9464', async () => {
    const c = await loadConfig(DEFAULT, builtinRegistry(), {});
    assert.equal(c.source, DEFAULT);
    assert.deepEqual(receiver(c, 'zmq_fpm').endpoints, ['tcp://127.0.0.1:20380', 'tcp://127.0.0.1:20381']);
    assert.equal(receiver(c, 'zmq_fpm').heartbeatTimeoutMs, 3000);
    assert.equal(receiver(c, 'zmq_fpm').reportIntervalMs, 1000);
    assert.equal(processor(c, 'welford').windowMs, 5000);
    assert.equal(processor(c, 'welford').mergeRanks, true);
    assert.equal(prometheus(c, 'prometheus').host, '127.0.0.1');
    assert.equal(prometheus(c, 'prometheus').port, 9464);
    assert.equal(prometheus(c, 'prometheus').path, '/metrics');
    assert.deepEqual(
      c.pipelines.map((p) => ({ ...p })),
      [{ name: 'metrics/fpm', receivers: ['zmq_fpm'], processors: ['welford'], exporters: ['prometheus'] }],
    );
    assert.deepEqual(c.service, { logLevel: 'info', shutdownTimeoutMs: 10_000 });
    assert.deepEqual(c.unused, []);
  });

  test('config/default.json follows SGLANG_FPM_ENDPOINT and BRIDGE_PROMETHEUS_HOST', async () => {
    const c = await loadConfig(DEFAULT, builtinRegistry(), { SGLANG_FPM_ENDPOINT: 'ipc:///tmp/sglang_fpm', BRIDGE_PROMETHEUS_HOST: '0.0.0.0' });
    assert.deepEqual(receiver(c, 'zmq_fpm').endpoints, ['ipc:///tmp/sglang_fpm.0', 'ipc:///tmp/sglang_fpm.1']);
    assert.equal(prometheus(c, 'prometheus').host, '0.0.0.0');
  });

  test('good_minimal.json: defaults everywhere, no processors, null options mean all defaults', async () => {
    const c = await loadConfig(path.join(GOOD, 'good_minimal.json'), builtinRegistry(), {});
    assert.deepEqual(receiver(c, 'zmq_fpm'), {
      endpoints: ['ipc:///tmp/sglang_fpm.0'],
      heartbeatTimeoutMs: 3000,
      maxMessageBytes: 1048576,
      receiveHighWaterMark: 20000,
      workerId: '',
      reportIntervalMs: 1000,
      pollIntervalMs: 100,
      transport: 'zmtp',
      keepPayload: false,
    });
    assert.deepEqual(debug(c, 'debug'), { path: '', verbosity: 'basic' });
    assert.deepEqual(c.pipelines.map((p) => ({ ...p })), [{ name: 'metrics/raw', receivers: ['zmq_fpm'], processors: [], exporters: ['debug'] }]);
    assert.equal(c.processors.size, 0);
    assert.deepEqual(c.service, { logLevel: 'info', shutdownTimeoutMs: 10_000 });
  });

  test('good_fanout.json: named components, a shared receiver and exporter, two pipelines, an unused exporter', async () => {
    const c = await loadConfig(path.join(GOOD, 'good_fanout.json'), builtinRegistry(), {});
    assert.deepEqual([...c.receivers.keys()], ['zmq_fpm/prefill', 'zmq_fpm/decode']);
    assert.deepEqual(receiver(c, 'zmq_fpm/prefill').endpoints, ['ipc:///tmp/sglang_fpm_prefill.0', 'ipc:///tmp/sglang_fpm_prefill.1', 'ipc:///tmp/sglang_fpm_prefill.2', 'ipc:///tmp/sglang_fpm_prefill.3']);
    assert.equal(receiver(c, 'zmq_fpm/prefill').workerId, 'prefill-0');
    assert.equal(receiver(c, 'zmq_fpm/prefill').heartbeatTimeoutMs, 2500);
    assert.deepEqual(receiver(c, 'zmq_fpm/decode').endpoints, ['tcp://10.0.0.5:20380', 'tcp://[::1]:20381']);
    assert.equal(receiver(c, 'zmq_fpm/decode').reportIntervalMs, 500);
    assert.deepEqual(processor(c, 'welford'), { windowMs: 1500, mergeRanks: true, wallTimeBuckets: [0.001, 0.01, 0.1, 1] });
    assert.equal(processor(c, 'welford/slow').windowMs, 120_000);
    assert.equal(processor(c, 'welford/slow').mergeRanks, false);
    assert.deepEqual(prometheus(c, 'prometheus'), {
      host: '0.0.0.0',
      port: 0,
      path: '/fpm/metrics',
      bearerTokenEnv: 'BRIDGE_TOKEN',
      tlsCertFile: '',
      tlsKeyFile: '',
      metricExpirationMs: 3_600_000,
      selfTelemetry: false,
    });
    assert.deepEqual(debug(c, 'debug/file'), { path: '/tmp/bridge-debug.jsonl', verbosity: 'detailed' });
    assert.deepEqual(c.pipelines.map((p) => p.name), ['metrics/fast', 'metrics/slow']);
    assert.deepEqual([...c.pipelines[0].exporters], ['prometheus', 'debug/file']);
    assert.deepEqual(c.unused, ['exporters["debug/unused"]']);
    assert.deepEqual(c.service, { logLevel: 'debug', shutdownTimeoutMs: 2500 });
  });

  test('good_env.json: ${env:VAR} and ${env:VAR:-default} expand (in options, pipeline lists, service); $${ stays literal', async () => {
    const file = path.join(GOOD, 'good_env.json');
    const c = await loadConfig(file, builtinRegistry(), { BRIDGE_TEST_FPM_HOST: '10.1.2.3', BRIDGE_TEST_EXPORTER: 'debug', BRIDGE_TEST_VERBOSITY: 'detailed' });
    assert.deepEqual(receiver(c, 'zmq_fpm').endpoints, ['tcp://10.1.2.3:20380']);
    assert.equal(receiver(c, 'zmq_fpm').workerId, '${env:BRIDGE_TEST_FPM_HOST} is literal');
    assert.equal(prometheus(c, 'prometheus').host, '127.0.0.1');
    assert.equal(prometheus(c, 'prometheus').path, '/metrics');
    assert.equal(debug(c, 'debug').verbosity, 'detailed');
    assert.deepEqual([...c.pipelines[0].exporters], ['debug']);
    assert.deepEqual(c.unused, ['exporters["prometheus"]']);
    assert.deepEqual(c.service, { logLevel: 'warn', shutdownTimeoutMs: 1500 });

    const all = await loadConfig(file, builtinRegistry(), {
      BRIDGE_TEST_FPM_HOST: 'fpm.local',
      BRIDGE_TEST_FPM_PORT: '30000',
      BRIDGE_TEST_PROM_HOST: '0.0.0.0',
      BRIDGE_TEST_PROM_PATH: '/x',
      BRIDGE_TEST_LOG_LEVEL: 'error',
      BRIDGE_TEST_SHUTDOWN: '2m',
    });
    assert.deepEqual(receiver(all, 'zmq_fpm').endpoints, ['tcp://fpm.local:30000']);
    assert.equal(prometheus(all, 'prometheus').host, '0.0.0.0');
    assert.equal(prometheus(all, 'prometheus').path, '/x');
    assert.deepEqual([...all.pipelines[0].exporters], ['prometheus']);
    assert.deepEqual(all.service, { logLevel: 'error', shutdownTimeoutMs: 120_000 });

    // Without BRIDGE_TEST_FPM_HOST (no default) the file is invalid, with the path of the string.
    const issues = await issuesOf(file, {});
    assert.ok(issues.some((i) => i.path === 'receivers["zmq_fpm"].endpoint' && i.message.includes('BRIDGE_TEST_FPM_HOST')), show(issues));
  });

  test('env expansion through validateConfig: defaults may hold ":" and "/", empty means unset for :-, keys are left alone', () => {
    const config = (endpoint: string, workerId: string) => ({
      receivers: { zmq_fpm: { endpoint, worker_id: workerId } },
      exporters: { debug: {} },
      pipelines: { 'metrics/fpm': { receivers: ['zmq_fpm'], exporters: ['debug'] } },
    });
    const worker = (c: BridgeConfig) => receiver(c, 'zmq_fpm').workerId;
    const endpoints = (c: BridgeConfig) => receiver(c, 'zmq_fpm').endpoints;
    const v = (raw: unknown, env: NodeJS.ProcessEnv) => validateConfig(raw, builtinRegistry(), 'inline', env);
    assert.deepEqual(endpoints(v(config('${env:EP:-ipc:///tmp/a/b}', 'w'), {})), ['ipc:///tmp/a/b.0']);
    assert.deepEqual(endpoints(v(config('${env:EP:-ipc:///tmp/a/b}', 'w'), { EP: 'tcp://h:1' })), ['tcp://h:1']);
    assert.deepEqual(endpoints(v(config('${env:EP:-ipc:///tmp/a/b}', 'w'), { EP: '' })), ['ipc:///tmp/a/b.0']);
    assert.equal(worker(v(config('ipc:///x', '${env:A}-${env:B:-b}-${env:A}'), { A: 'a' })), 'a-b-a');
    assert.equal(worker(v(config('ipc:///x', '${env:A:-}'), {})), '');
    assert.equal(worker(v(config('ipc:///x', '$${env:A}'), { A: 'a' })), '${env:A}');
    assert.equal(worker(v(config('ipc:///x', 'cost: $${x} and ${env:A}'), { A: 'a' })), 'cost: ${x} and a');
    assert.equal(worker(v(config('ipc:///x', '$${env:A:-d}'), {})), '${env:A:-d}');
    // Not references: left as written.
    assert.equal(worker(v(config('ipc:///x', '${A} ${env:} $env:A ${env:1A}'), { A: 'a' })), '${A} ${env:} $env:A ${env:1A}');
    // The process environment is the default.
    const name = `BRIDGE_TEST_ENV_${process.pid}`;
    process.env[name] = 'from-process';
    try {
      assert.equal(worker(validateConfig(config('ipc:///x', `\${env:${name}}`), builtinRegistry(), 'inline')), 'from-process');
    } finally {
      delete process.env[name];
    }
  });

  test('durations: "500ms", "1.5s", "2m", "1h", numbers as milliseconds', () => {
    const table: [unknown, number][] = [
      ['500ms', 500],
      ['1.5s', 1500],
      ['2m', 120_000],
      ['1.5m', 90_000],
      ['1h', 3_600_000],
      ['0ms', 0],
      [' 3s ', 3000],
      [250, 250],
      [0, 0],
      [1500.5, 1500.5],
    ];
    for (const [input, ms] of table) {
      assert.equal(parseDuration(input), ms, JSON.stringify(input));
      const c = validateConfig(
        {
          receivers: { zmq_fpm: { endpoint: 'ipc:///x', heartbeat_timeout: input } },
          exporters: { debug: {} },
          pipelines: { p: { receivers: ['zmq_fpm'], exporters: ['debug'] } },
          service: { shutdown_timeout: input },
        },
        builtinRegistry(),
        'inline',
        {},
      );
      assert.equal(receiver(c, 'zmq_fpm').heartbeatTimeoutMs, ms, `heartbeat_timeout ${JSON.stringify(input)}`);
      assert.equal(c.service.shutdownTimeoutMs, ms, `shutdown_timeout ${JSON.stringify(input)}`);
    }
    for (const bad of ['', 'abc', '1.5', '500', 's', '-1s', '1d', '1 s', '1S', '.5s', -1, Number.NaN, Number.POSITIVE_INFINITY, null, true, [], {}]) {
      assert.equal(parseDuration(bad), undefined, `${String(bad)} is not a duration`);
    }
    for (const [ms, text] of [[500, '500ms'], [1500, '1.5s'], [90_000, '90s'], [120_000, '2m'], [3_600_000, '1h']] as const) {
      assert.equal(formatDuration(ms), text);
      assert.equal(parseDuration(text), ms, `round trip of ${ms}`);
    }
    // The welford window goes through the same parser, and its 100ms floor is inclusive.
    const w = (window: unknown) =>
      processor(
        validateConfig(
          { receivers: { zmq_fpm: { endpoint: 'ipc:///x' } }, processors: { welford: { window } }, exporters: { debug: {} }, pipelines: { p: { receivers: ['zmq_fpm'], processors: ['welford'], exporters: ['debug'] } } },
          builtinRegistry(),
          'inline',
          {},
        ),
        'welford',
      ).windowMs;
    assert.equal(w('100ms'), 100);
    assert.equal(w(100), 100);
    assert.equal(w('0.1s'), 100);
  });

  test('the validated config, its service, unused list, components and their options are frozen', async () => {
    const c = await loadConfig(path.join(GOOD, 'good_fanout.json'), builtinRegistry(), {});
    assert.ok(Object.isFrozen(c), 'the config');
    assert.ok(Object.isFrozen(c.service), 'service');
    assert.ok(Object.isFrozen(c.unused), 'unused');
    assert.ok(Object.isFrozen(c.pipelines), 'the pipeline list');
    for (const p of c.pipelines) assert.ok(Object.isFrozen(p), `pipeline ${p.name}`);
    for (const map of [c.receivers, c.processors, c.exporters]) {
      for (const [id, component] of map) {
        assert.ok(Object.isFrozen(component), id);
        assert.equal(component.id, id);
        const deep = (v: unknown, at: string): void => {
          if (v === null || typeof v !== 'object') return;
          assert.ok(Object.isFrozen(v), `${id} ${at}`);
          for (const [k, x] of Object.entries(v)) deep(x, `${at}.${k}`);
        };
        deep(component.config, 'config');
      }
    }
    // ESM is strict mode: writes throw instead of being ignored.
    assert.throws(() => ((c as { source: string }).source = 'x'), TypeError);
    assert.throws(() => ((c.service as { logLevel: string }).logLevel = 'debug'), TypeError);
    assert.throws(() => ((receiver(c, 'zmq_fpm/decode').endpoints as string[])[0] = 'tcp://evil:1'), TypeError);
    assert.throws(() => (processor(c, 'welford').wallTimeBuckets as number[]).push(5), TypeError);
    assert.throws(() => ((c.pipelines as unknown[]).length = 0), TypeError);
  });

  test('each pipeline\'s receiver, processor and exporter lists are frozen too', async () => {
    const c = await loadConfig(path.join(GOOD, 'good_fanout.json'), builtinRegistry(), {});
    for (const p of c.pipelines) {
      for (const section of ['receivers', 'processors', 'exporters'] as const) {
        assert.ok(Object.isFrozen(p[section]), `pipelines["${p.name}"].${section} is not frozen`);
      }
    }
    assert.throws(() => (c.pipelines[0].exporters as string[]).push('debug/unused'), TypeError);
  });

  test('validation does not freeze or change the caller\'s object, nor the schema defaults', () => {
    const raw = { receivers: { zmq_fpm: { endpoint: '${env:EP:-ipc:///x}' } }, processors: { welford: {} }, exporters: { debug: {} }, pipelines: { p: { receivers: ['zmq_fpm'], processors: ['welford'], exporters: ['debug'] } } };
    const copy = JSON.parse(JSON.stringify(raw));
    const c = validateConfig(raw, builtinRegistry(), 'inline', {});
    assert.deepEqual(raw, copy);
    assert.ok(!Object.isFrozen(raw.receivers.zmq_fpm));
    assert.ok(!Object.isFrozen(raw.pipelines.p.receivers));
    // The frozen default buckets are a copy: a second validation still works and gets equal defaults.
    const again = validateConfig(raw, builtinRegistry(), 'inline', {});
    assert.deepEqual(processor(again, 'welford').wallTimeBuckets, processor(c, 'welford').wallTimeBuckets);
    assert.notEqual(processor(again, 'welford').wallTimeBuckets, processor(c, 'welford').wallTimeBuckets);
  });
});
