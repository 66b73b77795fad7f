/**
 * deploy/: the Grafana dashboard queries only metrics docs/metrics.md
 * documents, and is well formed; the Kubernetes manifests carry valid bridge
 * configs and agree with the Dockerfile, the configs and each other (image,
 * config path, port, probes, shared directories).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { builtinRegistry } from '../../src/components.js';
import { validateConfig } from '../../src/config/validate.js';
import { documentedMetrics, isDocumented } from '../helpers/documented-metrics.js';
import { mebibytes, millicores, podTemplate, readManifest, type Container, type K8sObject } from '../helpers/manifests.js';
import { ROOT } from '../helpers/paths.js';
import { metricNames } from '../helpers/promql-names.js';

const documented = documentedMetrics(readFileSync(path.join(ROOT, 'docs/metrics.md'), 'utf8'));
const undocumented = (expr: string) => metricNames(expr).filter((n) => !isDocumented(n, documented));

describe('metric names in PromQL', () => {
  const cases: [string, string[]][] = [
    ['sglang_fpm_up == 0', ['sglang_fpm_up']],
    ['rate(sglang_fpm_iterations_total{worker_id=~"$worker_id", dp_rank!="all"}[$__rate_interval])', ['sglang_fpm_iterations_total']],
    ['histogram_quantile(0.99, sum by (le, worker_id) (rate(sglang:time_to_first_token_seconds_bucket{model_name="m"}[5m])))', ['sglang:time_to_first_token_seconds_bucket']],
    ['sum without (dp_rank, le) (a_total) / on (worker_id) group_left (model_name) b', ['a_total', 'b']],
    ['max(x offset 1h30m) > bool 1e-3 unless count_over_time(y[5m:1m]) or z @ start()', ['x', 'y', 'z']],
    ['{__name__="sglang:num_queue_reqs", dp_rank="0"} * 2', ['sglang:num_queue_reqs']],
    ['label_replace(up, "dst", "$1", "src", "(.*)") # a comment naming not_a_metric', ['up']],
    ['label_values(sglang_fpm_up{worker_id=~"$worker_id"}, dp_rank)', ['sglang_fpm_up']],
    ['label_values(worker_id)', []],
    ['topk(3, ${metric_a}) + Inf - NaN', []],
  ];
  for (const [expr, names] of cases) test(expr, () => assert.deepEqual(metricNames(expr), names));

  test('an undocumented name is caught, documented ones pass', () => {
    assert.deepEqual(undocumented('sum(rate(sglang_fpm_bogus_total{dp_rank="0"}[5m]))'), ['sglang_fpm_bogus_total']);
    assert.deepEqual(undocumented('rate(sglang_fpm_iterations_total[1m]) / rate(sglang_fpm_wall_time_seconds_count[1m])'), []);
    assert.deepEqual(undocumented('bridge_exporter_dropped_items_total + process_resident_memory_bytes'), []);
  });

  test('_bucket, _sum and _count only extend documented histograms', () => {
    assert.deepEqual(undocumented('sglang:inter_token_latency_seconds_bucket + sglang:inter_token_latency_seconds_sum'), []);
    assert.deepEqual(undocumented('sglang_fpm_up_bucket + sglang:num_queue_reqs_sum + sglang:bogus_seconds_bucket'), ['sglang_fpm_up_bucket', 'sglang:num_queue_reqs_sum', 'sglang:bogus_seconds_bucket']);
  });

  test('an unknown function or a regex on __name__ is an error, not a guess', () => {
    assert.throws(() => metricNames('ratee(x[5m])'), /unknown PromQL function ratee/);
    assert.throws(() => metricNames('{__name__=~"sglang_.*"}'), /cannot be checked/);
  });
});

interface Target { expr: string; refId: string; datasource?: { type: string; uid: string } }
interface Panel { id: number; type: string; title: string; datasource?: { type: string; uid: string }; targets?: Target[]; panels?: Panel[]; gridPos: { x: number; y: number; w: number; h: number } }
interface Variable { name: string; type: string; query: string | { query: string }; definition?: string; includeAll?: boolean; allValue?: string }

describe('Grafana dashboard', () => {
  const file = path.join(ROOT, 'deploy/grafana/sglang-bridge-dashboard.json');
  const dashboard = JSON.parse(readFileSync(file, 'utf8')) as { uid: string; title: string; schemaVersion: number; panels: Panel[]; templating: { list: Variable[] } };
  const all = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
  const panels = all.filter((p) => p.type !== 'row');
  const variables = new Map(dashboard.templating.list.map((v) => [v.name, v]));
  const variableQuery = (v: Variable) => (typeof v.query === 'string' ? v.query : v.query.query);
  const expressions = [...panels.flatMap((p) => p.targets!.map((t) => t.expr)), ...[...variables.values()].filter((v) => v.type === 'query').map(variableQuery)];

  test('is a dashboard of a recent schema, with unique panel ids', () => {
    assert.ok(dashboard.uid && dashboard.title);
    assert.ok(dashboard.schemaVersion >= 36 && dashboard.schemaVersion <= 41, `schemaVersion ${dashboard.schemaVersion}`);
    const ids = all.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, `duplicate panel ids: ${ids}`);
    for (const p of all) assert.ok(p.gridPos.x >= 0 && p.gridPos.x + p.gridPos.w <= 24, `${p.title} fits the 24 columns`);
  });

  test('has the datasource, worker_id and dp_rank variables', () => {
    assert.equal(variables.get('DS_PROMETHEUS')?.type, 'datasource');
    assert.equal(variables.get('DS_PROMETHEUS')?.query, 'prometheus');
    for (const name of ['worker_id', 'dp_rank']) {
      const v = variables.get(name)!;
      assert.equal(v.type, 'query', name);
      assert.match(variableQuery(v), new RegExp(`^label_values\\(.+, ${name}\\)$`), name);
      assert.ok(v.includeAll && v.allValue === '.*', `${name}: All matches series without the label too`);
    }
  });

  test('every panel has the Prometheus datasource and at least one query', () => {
    assert.ok(panels.length >= 10);
    for (const p of panels) {
      assert.deepEqual(p.datasource, { type: 'prometheus', uid: '${DS_PROMETHEUS}' }, p.title);
      assert.ok(p.targets && p.targets.length >= 1, `${p.title} has a target`);
      const refIds = p.targets.map((t) => t.refId);
      assert.equal(new Set(refIds).size, refIds.length, `${p.title}: unique refIds`);
      for (const t of p.targets) {
        assert.ok(t.expr.trim(), `${p.title} ${t.refId}: an expression`);
        assert.deepEqual(t.datasource ?? p.datasource, p.datasource, `${p.title} ${t.refId}`);
      }
    }
  });

  test('every expression names only metrics documented in docs/metrics.md', () => {
    const used = new Set<string>();
    for (const expr of expressions) {
      const names = metricNames(expr);
      assert.ok(names.length >= 1, `names a metric: ${expr}`);
      assert.deepEqual(names.filter((n) => !isDocumented(n, documented)), [], `undocumented in: ${expr}`);
      for (const n of names) used.add(n);
    }
    // What the dashboard is for: each of these is queried somewhere.
    for (const n of ['sglang_fpm_iterations_total', 'sglang_fpm_window_busy_fraction', 'sglang_fpm_window_scheduled_prefill_requests_mean', 'sglang_fpm_window_scheduled_decode_requests_mean', 'sglang_fpm_scheduled_prefill_tokens_total', 'sglang_fpm_window_queued_prefill_requests_mean', 'sglang:time_to_first_token_seconds_bucket', 'sglang:inter_token_latency_seconds_bucket', 'sglang_fpm_messages_lost_total', 'sglang_fpm_up', 'bridge_exporter_dropped_items_total', 'bridge_receiver_refused_items_total']) {
      assert.ok(used.has(n), `${n} is on the dashboard`);
    }
  });

  const promtool = '/usr/bin/promtool';
  test('every panel expression parses as PromQL (promtool)', { skip: !existsSync(promtool) && 'promtool not installed (test/setup.sh installs Debian prometheus)' }, () => {
    const substitute = (e: string) => e.replaceAll('$__rate_interval', '1m').replaceAll('$worker_id', '.*').replaceAll('$dp_rank', '.*');
    const rules = panels.flatMap((p) => p.targets!.map((t) => ({ record: `dashboard:panel_${p.id}_${t.refId}`, expr: substitute(t.expr) })));
    const dir = mkdtempSync(path.join(tmpdir(), 'dashboard-'));
    try {
      const rulesFile = path.join(dir, 'rules.yml');
      writeFileSync(rulesFile, stringify({ groups: [{ name: 'dashboard', rules }] }));
      const out = execFileSync(promtool, ['check', 'rules', rulesFile], { encoding: 'utf8' });
      assert.match(out, new RegExp(`SUCCESS: ${rules.length} rules found`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
const jsonLine = (instruction: string) => JSON.parse(new RegExp(`^${instruction} (\\[.*\\])$`, 'm').exec(dockerfile)![1]) as string[];
const CMD = jsonLine('CMD');
const CONFIG_PATH = CMD[CMD.indexOf('--config') + 1];
const EXPOSED = Number(/^EXPOSE (\d+)$/m.exec(dockerfile)![1]);
const VERSION = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const ENV_REFERENCE = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}/g;

type Raw = Record<string, Record<string, Record<string, unknown>>>;
/** Every `*.json` of the file's ConfigMaps, parsed. */
function embeddedConfigs(objects: K8sObject[]): { key: string; text: string; raw: Raw }[] {
  return objects.filter((o) => o.kind === 'ConfigMap').flatMap((cm) => Object.entries(cm.data ?? {}).filter(([k]) => k.endsWith('.json')).map(([k, text]) => ({ key: `${cm.metadata.name}/${k}`, text, raw: JSON.parse(text) as Raw })));
}
const mountOf = (c: Container, dir: string) => c.volumeMounts?.find((m) => dir === m.mountPath || dir.startsWith(m.mountPath + '/'));
const ipcDirectory = (endpoint: string) => path.dirname(/^ipc:\/\/(.+)$/.exec(endpoint)![1]);

for (const name of ['sidecar.yaml', 'daemonset.yaml']) {
  describe(`deploy/kubernetes/${name}`, () => {
    const objects = readManifest(path.join(ROOT, 'deploy/kubernetes', name));
    const pod = podTemplate(objects);
    const bridge = pod.spec.containers.find((c) => /(^|\/)sglang-otel-bridge:/.test(c.image))!;
    const configs = embeddedConfigs(objects);
    const env = Object.fromEntries((bridge?.env ?? []).map((e) => [e.name, e.value ?? `placeholder-${e.name.toLowerCase()}`]));
    const metricsPort = bridge?.ports?.find((p) => p.name === 'metrics');

    test('is YAML of named Kubernetes objects, with one bridge container', () => {
      for (const o of objects) assert.ok(o.apiVersion && o.kind && o.metadata?.name, JSON.stringify(o).slice(0, 80));
      assert.ok(bridge, 'a container runs the sglang-otel-bridge image');
      assert.ok(configs.length >= 1, 'a ConfigMap holds a bridge config');
    });

    test('each embedded bridge config validates, with and without the container env', () => {
      for (const { key, text, raw } of configs) {
        for (const e of [env, {}]) {
          const config = validateConfig(raw, builtinRegistry(), key, e);
          assert.deepEqual(config.unused, [], `${key}: every component is in a pipeline`);
        }
        for (const m of text.matchAll(ENV_REFERENCE)) assert.ok(m[2] || m[1] in env, `${key}: \${env:${m[1]}} has a default or the container sets it`);
      }
    });

    test('the image, command and config path agree with the Dockerfile', () => {
      assert.equal(bridge.image.split(':').pop(), VERSION, 'image tag = package.json version');
      if (bridge.command) assert.deepEqual(bridge.command, jsonLine('ENTRYPOINT'));
      if (bridge.args) assert.deepEqual(bridge.args, CMD);
      assert.equal(CONFIG_PATH, '/etc/sglang-otel-bridge/config.json');
      assert.match(dockerfile, new RegExp(`^COPY \\S+ ${CONFIG_PATH}$`, 'm'), 'the image has a config at the path its CMD reads');
      const mount = bridge.volumeMounts!.find((m) => m.mountPath === path.dirname(CONFIG_PATH))!;
      assert.ok(mount?.readOnly, `${path.dirname(CONFIG_PATH)} is mounted read-only`);
      const volume = pod.spec.volumes!.find((v) => v.name === mount.name)!;
      const configMap = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === volume.configMap?.name);
      assert.ok(configMap?.data?.[path.basename(CONFIG_PATH)], `ConfigMap ${volume.configMap?.name} has ${path.basename(CONFIG_PATH)}`);
    });

    test('port, probes and scrape hint agree with the prometheus exporter', () => {
      assert.equal(metricsPort?.containerPort, EXPOSED, 'the metrics port is the one the image exposes');
      for (const { key, raw } of configs) {
        const exporter = raw.exporters.prometheus as { host?: string; port?: number; path?: string };
        assert.equal(exporter.host, '0.0.0.0', `${key}: reachable from outside the container`);
        assert.equal(exporter.port ?? 9464, EXPOSED, key);
        assert.equal(exporter.path ?? '/metrics', '/metrics', key);
      }
      assert.deepEqual(bridge.livenessProbe?.httpGet, { path: '/healthz', port: 'metrics' });
      assert.deepEqual(bridge.readinessProbe?.httpGet, { path: '/readyz', port: 'metrics' });
      const hints = [pod.metadata.annotations, ...objects.filter((o) => o.kind === 'Service' && Object.entries(o.spec!.selector as object).every(([k, v]) => pod.metadata.labels?.[k] === v)).map((s) => s.metadata.annotations)].filter((a) => a?.['prometheus.io/scrape'] === 'true');
      assert.equal(hints.length, 1, 'one scrape hint (pod or Service annotations), not two');
      assert.equal(hints[0]!['prometheus.io/port'], String(EXPOSED));
      assert.equal(hints[0]!['prometheus.io/path'], '/metrics');
    });

    test('the bridge runs non-root on a read-only root filesystem, within measured resources', () => {
      const sc = bridge.securityContext!;
      assert.equal(sc.runAsNonRoot, true);
      assert.notEqual(sc.runAsUser, 0);
      assert.equal(sc.readOnlyRootFilesystem, true);
      assert.equal(sc.allowPrivilegeEscalation, false);
      assert.deepEqual(sc.capabilities?.drop, ['ALL']);
      assert.equal(pod.spec.automountServiceAccountToken, false, 'no Kubernetes API access is needed');
      const { requests, limits } = bridge.resources!;
      // BENCHMARKS.md: about 80 MiB RSS and a few % of a core at 3,200 FPM messages/s.
      assert.ok(mebibytes(requests!.memory) >= 96 && mebibytes(limits!.memory) >= mebibytes(requests!.memory));
      assert.ok(millicores(requests!.cpu) >= 20 && millicores(limits!.cpu) >= 200);
      for (const m of pod.spec.containers.flatMap((c) => c.volumeMounts ?? [])) assert.ok(pod.spec.volumes!.some((v) => v.name === m.name), `volume ${m.name} exists`);
    });

    test('the bridge mounts the directories its config reads', () => {
      for (const { key, raw } of configs) {
        for (const [id, r] of Object.entries(raw.receivers)) {
          const dirs = id.startsWith('zmq_fpm') ? [ipcDirectory(r.endpoint as string)] : id.startsWith('prometheus_multiproc') ? (r.directories as { path: string }[]).map((d) => d.path) : [];
          for (const dir of dirs) assert.ok(mountOf(bridge, dir)?.readOnly, `${key} ${id}: ${dir} is mounted read-only in the bridge`);
        }
      }
    });
  });
}

describe('deploy/kubernetes/sidecar.yaml: SGLang and the bridge meet', () => {
  const objects = readManifest(path.join(ROOT, 'deploy/kubernetes/sidecar.yaml'));
  const pod = podTemplate(objects);
  const sglang = pod.spec.containers.find((c) => c.name === 'sglang')!;
  const bridge = pod.spec.containers.find((c) => c.name === 'bridge')!;
  const script = [...(sglang.command ?? []), ...(sglang.args ?? [])].join(' ');
  const flag = (name: string) => new RegExp(`--${name}(?:\\s+|=)(\\S+)`).exec(script)?.[1];
  const configs = Object.fromEntries(embeddedConfigs(objects).map((c) => [c.key.split('/')[1], c.raw]));

  test('SGLang publishes FPM where the bridge subscribes, for as many ranks', () => {
    assert.match(script, /--enable-metrics\b/);
    assert.match(script, /--enable-forward-pass-metrics\b/);
    for (const config of Object.values(configs)) {
      const fpm = config.receivers.zmq_fpm as { endpoint: string; dp_size: number };
      assert.equal(flag('forward-pass-metrics-ipc-name'), fpm.endpoint);
      assert.equal(Number(flag('dp-size') ?? 1), fpm.dp_size);
      const dir = ipcDirectory(fpm.endpoint);
      assert.equal(mountOf(sglang, dir)?.name, mountOf(bridge, dir)?.name, `${dir}: one volume in both containers`);
      assert.equal(mountOf(sglang, dir)?.mountPath, mountOf(bridge, dir)?.mountPath);
    }
    assert.ok(pod.spec.securityContext?.fsGroup, 'fsGroup: the socket files are group-accessible to the bridge');
    assert.match(script, /umask 0?002/);
  });

  test('launch_server /metrics is scraped at its port; Engine mode reads its multiprocess directory', () => {
    const target = new URL((configs['config.json'].receivers.prometheus_scrape.targets as string[])[0]);
    assert.equal(target.port, flag('port'));
    const directory = (configs['engine.json'].receivers.prometheus_multiproc.directories as { path: string }[])[0].path;
    assert.equal(sglang.env?.find((e) => e.name === 'PROMETHEUS_MULTIPROC_DIR')?.value, directory);
    assert.equal(mountOf(sglang, directory)?.name, mountOf(bridge, directory)?.name);
    assert.ok(pod.spec.volumes!.find((v) => v.name === mountOf(bridge, directory)?.name)?.emptyDir, 'an emptyDir');
  });
});

describe('deploy/kubernetes/daemonset.yaml: the node directories', () => {
  const file = path.join(ROOT, 'deploy/kubernetes/daemonset.yaml');
  const objects = readManifest(file);
  const text = readFileSync(file, 'utf8');
  const pod = podTemplate(objects);
  const bridge = pod.spec.containers[0];
  const config = embeddedConfigs(objects)[0].raw;

  test('reads a hostPath at the same path as on the host, with no RBAC objects', () => {
    const endpoint = config.receivers.zmq_fpm.endpoint as string;
    const mount = mountOf(bridge, ipcDirectory(endpoint))!;
    const volume = pod.spec.volumes!.find((v) => v.name === mount.name)!;
    assert.equal(volume.hostPath?.path, mount.mountPath, 'the paths SGLang pods are told to use are the host paths');
    // The instructions for SGLang pods in the comments name the same endpoint.
    assert.ok(text.includes(`--forward-pass-metrics-ipc-name ${endpoint}`), 'the SGLang instructions name the endpoint');
    assert.deepEqual(objects.filter((o) => /Role|ServiceAccount/.test(o.kind)), []);
    assert.ok(!pod.spec.hostNetwork, 'ipc and files need no host network');
  });
});
