/**
 * Plugins: loading (file, folder, npm package name), the API version check,
 * refusals that name the plugin, plugin receivers and processors, and the
 * guard: a plugin that throws or hangs does not take the pipeline down.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { builtinRegistry } from '../../src/components.js';
import { ConfigError } from '../../src/component/errors.js';
import { loadConfig } from '../../src/config/load.js';
import { sleep, startBridge, type TestBridge } from '../helpers/bridge.js';

const fixtures = path.resolve('test/plugins');
const bridges: TestBridge[] = [];
after(async () => {
  for (const b of bridges) await b.stop();
});

async function issuesOf(config: Record<string, unknown>, dir = fixtures): Promise<string[]> {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'plugin-config-')), 'config.json');
  writeFileSync(file, JSON.stringify(config));
  // Paths in "plugins" are relative to the config file: make them absolute for the temp copy.
  const plugins = (config.plugins as string[] | undefined)?.map((p) => (p.startsWith('.') ? path.resolve(dir, p) : p));
  writeFileSync(file, JSON.stringify({ ...config, plugins }));
  try {
    await loadConfig(file, builtinRegistry());
    return [];
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.issues.map((i) => `${i.path}: ${i.message}`);
  }
}

const minimal = {
  receivers: { ticker: {} },
  exporters: { debug: { verbosity: 'basic', path: '/dev/null' } },
  pipelines: { 'metrics/x': { receivers: ['ticker'], exporters: ['debug'] } },
};

test('refusals name the plugin and the fix, all reported at once with their paths', async () => {
  const issues = await issuesOf({ ...minimal, plugins: ['./wrong-version.js', './no-version.js', './no-factories.js', './bad-factory.js', './clash.js', './does-not-exist.js', './misbehaving.js'] });
  const at = (i: number) => issues.filter((s) => s.startsWith(`plugins[${i}]`));
  assert.match(at(0)[0]!, /plugins\[0\]: plugin ".*wrong-version\.js" needs plugin API version 2; this bridge offers version 1/);
  assert.match(at(1)[0]!, /does not export apiVersion \(write: export const apiVersion = 1\)/);
  assert.match(at(2)[0]!, /exports no factories/);
  assert.match(at(3)[0]!, /plugins\[3\]\.factories\[0\]: plugin ".*bad-factory\.js": exporter "half_done" has no create\(\) function/);
  assert.match(at(5)[0]!, /cannot load plugin ".*does-not-exist\.js": no such file or folder/);
  assert.ok(issues.includes('plugins: exporter type "prometheus" is defined twice (a built-in or another plugin has it)'), issues.join('\n'));
  assert.equal(issues.length, 6, issues.join('\n'));
});

test('a plugin component with a bad option is reported like a built-in one', async () => {
  const issues = await issuesOf({ ...minimal, plugins: ['./misbehaving.js'], receivers: { ticker: { every_ms: 0, bogus: 1 } } });
  assert.deepEqual(issues.sort(), ['receivers["ticker"].bogus: unknown option (known: every_ms)', 'receivers["ticker"].every_ms: must be an integer of at least 1'].sort());
});

test('loads a folder (package.json main) and an npm package name installed next to the config', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'plugin-pkg-'));
  const body = `import { defineSchema } from 'sglang-otel-bridge/plugin';
export const apiVersion = 1;
export const factories = [{ kind: 'exporter', type: 'TYPE', description: 'from a package', schema: defineSchema({}, () => ({})), create: () => ({ async start() {}, async shutdown() {}, consume() {} }) }];`;
  mkdirSync(path.join(dir, 'local-folder'));
  writeFileSync(path.join(dir, 'local-folder', 'package.json'), JSON.stringify({ type: 'module', main: 'main.js' }));
  writeFileSync(path.join(dir, 'local-folder', 'main.js'), body.replace('TYPE', 'from_folder'));
  mkdirSync(path.join(dir, 'node_modules', 'sglang-bridge-example'), { recursive: true });
  writeFileSync(path.join(dir, 'node_modules', 'sglang-bridge-example', 'package.json'), JSON.stringify({ name: 'sglang-bridge-example', type: 'module', main: 'index.js' }));
  writeFileSync(path.join(dir, 'node_modules', 'sglang-bridge-example', 'index.js'), body.replace('TYPE', 'from_npm'));
  const file = path.join(dir, 'config.json');
  writeFileSync(
    file,
    JSON.stringify({
      plugins: ['./local-folder', 'sglang-bridge-example'],
      receivers: { prometheus_multiproc: { directories: [dir] } },
      exporters: { from_folder: {}, from_npm: {} },
      pipelines: { 'metrics/x': { receivers: ['prometheus_multiproc'], exporters: ['from_folder', 'from_npm'] } },
    }),
  );
  const config = await loadConfig(file, builtinRegistry());
  assert.deepEqual([...config.exporters.keys()].sort(), ['from_folder', 'from_npm']);
});

test('plugin receiver -> plugin processor -> exporters: a throwing and a hanging plugin do not stop the others', async () => {
  const mod = (await import(pathToFileURL(path.join(fixtures, 'misbehaving.js')).href)) as { recorded: Map<string, { metrics?: { points: { attributes: Record<string, string>; value: number }[] }[] }[]> };
  const debugFile = path.join(mkdtempSync(path.join(tmpdir(), 'plugin-debug-')), 'debug.jsonl');
  const bridge = await startBridge({
    plugins: ['./test/plugins/misbehaving.js'],
    receivers: { ticker: { every_ms: 10 } },
    processors: { tag: {} },
    exporters: { throwing: {}, hanging: {}, recorder: {}, debug: { path: debugFile } },
    pipelines: { 'metrics/x': { receivers: ['ticker'], processors: ['tag'], exporters: ['throwing', 'hanging', 'recorder', 'debug'] } },
  });
  bridges.push(bridge);
  await sleep(6000); // longer than the guard's 5 s: the hanging plugin is declared hung
  const t0 = Date.now();
  await bridge.stop();
  bridges.pop();
  assert.ok(Date.now() - t0 < 7000, 'a plugin whose shutdown() never finishes is abandoned after the timeout');
  const accepted = bridge.telemetry.read('bridge_receiver_accepted_items_total', { receiver: 'ticker' });
  assert.ok(accepted > 100, `the plugin receiver ran (${accepted} ticks)`);
  const got = mod.recorded.get('recorder')!;
  assert.equal(got.length, accepted, 'the recorder got every batch');
  assert.deepEqual(got.at(-1)!.metrics![0]!.points[0]!.attributes, { plugin: 'yes' }, 'through the plugin processor');
  assert.equal(readFileSync(debugFile, 'utf8').trim().split('\n').length, accepted, 'the built-in exporter got every batch');
  const failed = (plugin: string, component: string, reason: string) => bridge.telemetry.read('bridge_plugin_failed_items_total', { component, plugin, reason });
  assert.equal(failed('./test/plugins/misbehaving.js', 'throwing', 'threw'), accepted, 'every batch the throwing plugin threw on is counted');
  const hung = failed('./test/plugins/misbehaving.js', 'hanging', 'hung');
  const backlog = failed('./test/plugins/misbehaving.js', 'hanging', 'backlog');
  assert.ok(hung + backlog > 0, 'the hanging plugin is detected');
  assert.ok(hung + backlog <= accepted - 1, 'batches before it was declared hung were handed to it');
});
