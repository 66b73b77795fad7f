/**
 * The prometheus_multiproc receiver in a running pipeline:
 * receiver (interval 200ms) -> prometheus exporter (scraped over HTTP) or
 * debug exporter (JSON lines). The fixture copy is served with
 * prometheus_client's values, live writes show up on the next read, counter
 * start times follow OpenTelemetry's rules, missing / empty / legacy
 * directories are diagnosed on /metrics, per-rank mostrecent gauges keep every
 * dp rank, and the receiver's own telemetry counts files and skips.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startBridge, sleep, type TestBridge } from '../helpers/bridge.js';
import { parseExposition, valueOf, type Sample } from '../helpers/exposition.js';
import { appendDb, copyFixture, expectedProm, labelsText, locate, parseProm, pyKey, setValue, tempDir, toTriples, writeDb, writeRestartedScheduler } from '../helpers/multiproc.js';

const temps: string[] = [];
const bridges: TestBridge[] = [];
after(async () => {
  for (const b of bridges) await b.stop();
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});
function temp(prefix: string): string {
  const d = tempDir(prefix);
  temps.push(d);
  return d;
}

async function bridgeFor(receivers: Record<string, unknown>, exporters: Record<string, unknown> = { prometheus: { port: 0 } }): Promise<TestBridge> {
  const b = await startBridge({
    receivers,
    exporters,
    pipelines: { 'metrics/multiproc': { receivers: Object.keys(receivers), exporters: Object.keys(exporters) } },
  });
  bridges.push(b);
  return b;
}

/** Scrapes until `check` holds for the parsed samples; returns that scrape's text. */
async function scrapeUntil(bridge: TestBridge, what: string, check: (samples: Sample[], text: string) => boolean, timeoutMs = 8000): Promise<string> {
  const end = Date.now() + timeoutMs;
  while (true) {
    const last = await bridge.scrape();
    if (check(parseExposition(last), last)) return last;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last scrape:\n${last}`);
    await sleep(100);
  }
}

function value(samples: Sample[], name: string, labels: Record<string, string>): number | undefined {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return found.length === 1 ? found[0].value : undefined;
}

const isSglang = (name: string) => name.startsWith('sglang:');
const expectedSglang = parseProm(expectedProm('sglang'));

/** The scrape's sglang:* samples equal expected.prom's (names, labels, le spelled `1.0` as Python does, values). */
function servesFixture(text: string, expected = expectedSglang): boolean {
  try {
    assert.deepEqual(parseProm(text, { keep: isSglang }).triples, expected.triples);
    return true;
  } catch {
    return false;
  }
}

describe('prometheus_multiproc receiver in a pipeline', { timeout: 120_000 }, () => {
  test('(a) the sglang fixture copy is served: every sample equal to expected.prom, counters as ..._total', async () => {
    const dir = copyFixture('sglang', temp('a'));
    const bridge = await bridgeFor({ prometheus_multiproc: { directories: [dir], interval: '200ms' } });
    const text = await scrapeUntil(bridge, 'the fixture', (_s, t) => servesFixture(t));
    const got = parseProm(text, { keep: isSglang });
    assert.deepEqual(got.triples, expectedSglang.triples);
    assert.deepEqual(got.type, expectedSglang.type);
    assert.deepEqual(got.help, expectedSglang.help);
    const samples = parseExposition(text);
    assert.equal(valueOf(samples, 'sglang:prompt_tokens_total', { is_streaming: 'true' }), 408870);
    assert.equal(valueOf(samples, 'sglang:time_to_first_token_seconds_count', { is_streaming: 'false' }), 67);
    assert.match(text, /# TYPE sglang:prompt_tokens_total counter\n/);
    assert.ok(!samples.some((s) => s.name === 'sglang:prompt_tokens'), 'no counter without _total');
  });

  test('(b) steady state: a value overwritten in place and a newly appended entry both show on the next read', async () => {
    const dir = copyFixture('sglang', temp('b'));
    const bridge = await bridgeFor({ prometheus_multiproc: { directories: [dir], interval: '200ms' } });
    await scrapeUntil(bridge, 'the fixture', (_s, t) => servesFixture(t));

    // An existing counter entry of one process: its own value + 1000 -> the merged sum + 1000.
    const file = path.join(dir, 'counter_4102.db');
    const entry = locate(readFileSync(file), 'current').find((e) => e.key.includes('sglang:realtime_tokens_total'));
    assert.ok(entry, 'a realtime_tokens entry in counter_4102.db');
    const [, sampleName, labels] = JSON.parse(entry!.key) as [string, string, Record<string, string>, string];
    const own = readFileSync(file).readDoubleLE(entry!.valueOffset);
    const before = valueOf(parseExposition(expectedProm('sglang')), sampleName, labels);
    setValue(file, entry!.key, own + 1000);

    // A new series appended to the same file and a new mostrecent gauge entry to another (used updated last).
    const newLabels = { ...labels, mode: 'brand_new' };
    appendDb(file, [{ key: pyKey('sglang:realtime_tokens', 'sglang:realtime_tokens_total', newLabels, 'Total number of tokens processed.'), value: 77 }]);
    const gaugeLabels = { engine_type: 'unified', model_name: 'Qwen/Qwen3-0.6B', dp_rank: '0', tp_rank: '0', pp_rank: '0', moe_ep_rank: '0', extra: 'new' };
    appendDb(path.join(dir, 'gauge_mostrecent_4102.db'), [{ key: pyKey('sglang:num_running_reqs', 'sglang:num_running_reqs', gaugeLabels, 'The number of running requests.'), value: 12, timestamp: Date.now() / 1000 }]);

    const text = await scrapeUntil(bridge, 'the new values', (s) => value(s, sampleName, labels) === before + 1000 && value(s, sampleName, newLabels) === 77 && value(s, 'sglang:num_running_reqs', { extra: 'new' }) === 12);
    const samples = parseExposition(text);
    // Everything else unchanged: the scrape is expected.prom with the one value changed and the two series added.
    const changed = labelsText(labels);
    const want = expectedSglang.triples.map(([n, l, v]): [string, string, number] => (n === sampleName && l === changed ? [n, l, before + 1000] : [n, l, v]));
    want.push([sampleName, labelsText(newLabels), 77], ['sglang:num_running_reqs', labelsText(gaugeLabels), 12]);
    assert.deepEqual(parseProm(text, { keep: isSglang }).triples, toTriples(want.map(([name, l, v]) => ({ name, labels: Object.fromEntries(JSON.parse(l)), value: v }))));
    assert.equal(valueOf(samples, 'bridge_multiproc_entries', { receiver: 'prometheus_multiproc' }), 288 + 2);
  });

  test('(c) counter start times: kept while a counter rises, new when it goes down or a counter file disappears', async () => {
    const dir = temp('c');
    const out = path.join(temp('c-out'), 'debug.jsonl');
    const key = (k: string) => pyKey('c', 'c_total', { k }, 'A counter.');
    writeDb(path.join(dir, 'counter_1.db'), [{ key: key('a'), value: 1 }, { key: key('c'), value: 10 }]);
    writeDb(path.join(dir, 'counter_2.db'), [{ key: key('a'), value: 2 }, { key: key('b'), value: 4 }]);
    await bridgeFor({ prometheus_multiproc: { directories: [dir], interval: '200ms' } }, { debug: { path: out, verbosity: 'detailed' } });

    type Line = { metric: string; kind: string; attributes: Record<string, string>; startTimeMs: number; timeMs: number; value: number };
    const lines = (): Line[] => {
      if (!existsSync(out)) return [];
      const text = readFileSync(out, 'utf8');
      return text.slice(0, text.lastIndexOf('\n') + 1).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line).filter((l) => l.metric === 'c_total');
    };
    const series = (k: string) => lines().filter((l) => l.attributes.k === k);
    /** Waits until series k has had `count` points with value v since `from` points; returns them. */
    async function points(k: string, v: number, count: number, from = 0): Promise<Line[]> {
      const end = Date.now() + 8000;
      while (true) {
        const got = series(k).slice(from).filter((l) => l.value === v);
        if (got.length >= count) return got;
        if (Date.now() > end) throw new Error(`timed out waiting for ${count} points c_total{k=${k}} = ${v}; have ${JSON.stringify(series(k).slice(-5))}`);
        await sleep(50);
      }
    }

    const a3 = await points('a', 3, 3);
    assert.equal(a3[0].kind, 'sum');
    const s0 = a3[0].startTimeMs;
    for (const p of a3) assert.equal(p.startTimeMs, s0, 'same start time across reads');
    assert.ok(a3[2].timeMs > a3[0].timeMs);
    const c0 = (await points('c', 10, 1))[0].startTimeMs;

    setValue(path.join(dir, 'counter_1.db'), key('a'), 5); // a: 3 -> 7, rises
    const a7 = await points('a', 7, 2);
    for (const p of a7) assert.equal(p.startTimeMs, s0, 'a rising counter keeps its start time');

    let mark = series('a').length;
    setValue(path.join(dir, 'counter_1.db'), key('a'), 0); // a: 7 -> 2, went down: reset
    const a2 = await points('a', 2, 3, mark);
    const s1 = a2[0].startTimeMs;
    assert.ok(s1 > s0, `a reset counter gets a new start time (${s1} > ${s0})`);
    for (const p of a2) assert.equal(p.startTimeMs, s1);
    const cNow = series('c').at(-1)!;
    assert.equal(cNow.startTimeMs, c0, 'another counter that did not go down keeps its start time');

    setValue(path.join(dir, 'counter_1.db'), key('a'), 10); // a: 2 -> 12, rises again
    for (const p of await points('a', 12, 2)) assert.equal(p.startTimeMs, s1);

    mark = series('c').length;
    unlinkSync(path.join(dir, 'counter_2.db')); // c's value stays 10, but a counter file is gone: sums may have gone back
    const removedAt = Date.now();
    // Points read after the removal (lines of earlier reads may still be on their way to the file).
    const end = Date.now() + 8000;
    const afterRemoval = () => series('c').slice(mark).filter((l) => l.timeMs > removedAt);
    while (afterRemoval().length < 3) {
      if (Date.now() > end) throw new Error(`timed out waiting for c_total{k=c} after the removal: ${JSON.stringify(series('c').slice(-4))}`);
      await sleep(50);
    }
    const cAfter = afterRemoval();
    for (const p of cAfter) assert.equal(p.value, 10, 'c itself did not change');
    const s2 = cAfter[0].startTimeMs;
    assert.ok(s2 > c0, `after a counter file disappeared, a new start time (${s2} > ${c0})`);
    for (const p of cAfter) assert.equal(p.startTimeMs, s2, 'and it is kept afterwards');
    assert.equal(series('b').filter((l) => l.timeMs > removedAt).length, 0, 'b is no longer sent');
  });

  test('(d) a directory that does not exist yet is waited for, diagnosed, then served; the diagnosis clears', async () => {
    const parent = temp('d');
    const dir = path.join(parent, 'later', 'mp');
    const bridge = await bridgeFor({ prometheus_multiproc: { directories: [dir], interval: '200ms' } });
    await scrapeUntil(bridge, 'multiproc_dir_missing = 1', (s) => value(s, 'bridge_diagnostic', { code: 'multiproc_dir_missing' }) === 1);
    await sleep(500);
    // Still up and still waiting after a few more reads.
    const still = parseExposition(await bridge.scrape());
    assert.equal(value(still, 'bridge_diagnostic', { code: 'multiproc_dir_missing' }), 1);
    assert.ok(!still.some((s) => s.name.startsWith('sglang:')));

    // The directory appears with its files at once (staged, then renamed into place).
    const staged = copyFixture('sglang', temp('d-stage'));
    mkdirSync(path.dirname(dir), { recursive: true });
    renameSync(staged, dir);
    const text = await scrapeUntil(bridge, 'the fixture and the diagnosis cleared', (s, t) => servesFixture(t) && value(s, 'bridge_diagnostic', { code: 'multiproc_dir_missing' }) === 0);
    assert.ok(servesFixture(text));
  });

  test('(e) an empty directory -> multiproc_dir_empty; a legacy-layout directory -> multiproc_legacy_layout (and served)', async () => {
    const empty = temp('e-empty');
    const legacy = copyFixture('legacy-0.16', temp('e-legacy'));
    const bridge = await bridgeFor({
      'prometheus_multiproc/empty': { directories: [empty], interval: '200ms' },
      'prometheus_multiproc/legacy': { directories: [legacy], interval: '200ms' },
    });
    const expected = parseProm(expectedProm('legacy-0.16'));
    const text = await scrapeUntil(
      bridge,
      'both diagnoses',
      (s, t) => value(s, 'bridge_diagnostic', { receiver: 'prometheus_multiproc/empty', code: 'multiproc_dir_empty' }) === 1 && value(s, 'bridge_diagnostic', { receiver: 'prometheus_multiproc/legacy', code: 'multiproc_legacy_layout' }) === 1 && servesFixture(t, expected),
    );
    const samples = parseExposition(text);
    // Each holds only for its own directory.
    assert.equal(value(samples, 'bridge_diagnostic', { receiver: 'prometheus_multiproc/legacy', code: 'multiproc_dir_empty' }) ?? 0, 0);
    assert.equal(value(samples, 'bridge_diagnostic', { receiver: 'prometheus_multiproc/empty', code: 'multiproc_legacy_layout' }) ?? 0, 0);
    assert.equal(valueOf(samples, 'bridge_multiproc_files', { receiver: 'prometheus_multiproc/empty' }), 0);
    assert.equal(valueOf(samples, 'bridge_multiproc_files', { receiver: 'prometheus_multiproc/legacy' }), 10);
  });

  test('(f) per-rank mostrecent gauges: every dp rank with sglang: true; prometheus_client\'s single latest value with per_rank_gauges off', async () => {
    const dir = temp('f');
    const ranks = (dp: string) => ({ model_name: 'm', dp_rank: dp, tp_rank: '0', pp_rank: '0' });
    const running = pyKey('sglang:num_running_reqs', 'sglang:num_running_reqs', { model_name: 'm', tp_rank: '0', pp_rank: '0' }, 'The number of running requests.');
    writeDb(path.join(dir, 'counter_201.db'), [{ key: pyKey('sglang:num_requests', 'sglang:num_requests_total', ranks('0'), 'Number of requests processed.'), value: 3 }]);
    writeDb(path.join(dir, 'counter_202.db'), [{ key: pyKey('sglang:num_requests', 'sglang:num_requests_total', ranks('1'), 'Number of requests processed.'), value: 4 }]);
    // Both ranks write one label set; rank 0 (read first) wrote last: prometheus_client keeps only its 5.
    writeDb(path.join(dir, 'gauge_mostrecent_201.db'), [
      { key: running, value: 5, timestamp: 1_700_000_200 },
      { key: pyKey('sglang:token_usage', 'sglang:token_usage', { model_name: 'm' }, 'The token usage.'), value: 0.5, timestamp: 1_700_000_150 },
    ]);
    writeDb(path.join(dir, 'gauge_mostrecent_202.db'), [{ key: running, value: 7, timestamp: 1_700_000_100 }]);

    const bridge = await bridgeFor({
      'prometheus_multiproc/rank': { directories: [{ path: dir, sglang: true, attributes: { variant: 'rank' } }], interval: '200ms' },
      'prometheus_multiproc/off': { directories: [{ path: dir, sglang: true, attributes: { variant: 'off' } }], interval: '200ms', per_rank_gauges: 'off' },
    });
    const text = await scrapeUntil(bridge, 'both variants', (s) => s.some((x) => x.labels.variant === 'rank' && x.name === 'sglang:num_running_reqs') && s.some((x) => x.labels.variant === 'off' && x.name === 'sglang:num_running_reqs'));
    const samples = parseExposition(text);
    const of = (variant: string, name: string) =>
      samples
        .filter((s) => s.name === name && s.labels.variant === variant)
        .map((s) => [JSON.stringify(Object.fromEntries(Object.entries(s.labels).filter(([k]) => k !== 'variant').sort())), s.value])
        .sort();

    const label = (o: Record<string, string>) => JSON.stringify(Object.fromEntries(Object.entries(o).sort()));
    assert.deepEqual(of('rank', 'sglang:num_running_reqs'), [
      [label(ranks('0')), 5],
      [label(ranks('1')), 7],
    ]);
    assert.deepEqual(of('off', 'sglang:num_running_reqs'), [[label({ model_name: 'm', tp_rank: '0', pp_rank: '0' }), 5]]);
    // A label set written by one process is left as it is, in both.
    assert.deepEqual(of('rank', 'sglang:token_usage'), [[label({ model_name: 'm' }), 0.5]]);
    assert.deepEqual(of('off', 'sglang:token_usage'), [[label({ model_name: 'm' }), 0.5]]);
    // Counters are not touched by the option.
    assert.deepEqual(of('rank', 'sglang:num_requests_total'), of('off', 'sglang:num_requests_total'));
    assert.equal(of('rank', 'sglang:num_requests_total').length, 2);
  });

  test('(f2) per-rank gauges after a scheduler restart: the new process\'s value for its rank, not a stale or duplicate one', async () => {
    // Old scheduler pid 900 and its replacement pid 1000 are both dp rank 0 (files of dead processes stay); pid 1001 is dp rank 1.
    const dir = temp('f-restart');
    writeRestartedScheduler(dir, 1_700_000_000);
    const bridge = await bridgeFor({ prometheus_multiproc: { directories: [{ path: dir, sglang: true }], interval: '200ms' } });
    const text = await scrapeUntil(bridge, 'the gauge', (s) => s.some((x) => x.name === 'sglang:num_running_reqs'));
    const got = parseProm(text, { keep: (n) => n === 'sglang:num_running_reqs' }).triples;
    assert.deepEqual(got, [
      ['sglang:num_running_reqs', labelsText({ dp_rank: '0', model_name: 'm' }), 2],
      ['sglang:num_running_reqs', labelsText({ dp_rank: '1', model_name: 'm' }), 3],
    ]);
  });

  test('(g) self-telemetry: bridge_multiproc_files, and skipped_files{reason="empty"} after a 0-byte file appears', async () => {
    const dir = copyFixture('sglang', temp('g'));
    const bridge = await bridgeFor({ prometheus_multiproc: { directories: [dir], interval: '200ms' } });
    const r = { receiver: 'prometheus_multiproc' };
    let text = await scrapeUntil(bridge, 'the fixture', (s, t) => servesFixture(t) && value(s, 'bridge_multiproc_files', r) === 10);
    let samples = parseExposition(text);
    assert.equal(valueOf(samples, 'bridge_multiproc_skipped_files', { ...r, reason: 'empty' }), 0);
    assert.equal(valueOf(samples, 'bridge_multiproc_entries', r), 288);

    writeFileSync(path.join(dir, 'counter_9999.db'), '');
    text = await scrapeUntil(bridge, 'skipped_files{reason="empty"} = 1', (s) => value(s, 'bridge_multiproc_skipped_files', { ...r, reason: 'empty' }) === 1);
    samples = parseExposition(text);
    assert.equal(valueOf(samples, 'bridge_multiproc_files', r), 10, 'the 0-byte file is not counted as read');
    for (const reason of ['truncated', 'corrupt', 'bad_key', 'vanished', 'unknown_prefix']) assert.equal(valueOf(samples, 'bridge_multiproc_skipped_files', { ...r, reason }), 0, reason);
    assert.equal(valueOf(samples, 'bridge_diagnostic', { ...r, code: 'multiproc_damaged_files' }), 1);
    assert.ok(servesFixture(text), 'every other file still served exactly');

    unlinkSync(path.join(dir, 'counter_9999.db'));
    await scrapeUntil(bridge, 'the skip and the diagnosis cleared', (s) => value(s, 'bridge_multiproc_skipped_files', { ...r, reason: 'empty' }) === 0 && value(s, 'bridge_diagnostic', { ...r, code: 'multiproc_damaged_files' }) === 0);
  });
});
