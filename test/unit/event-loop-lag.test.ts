import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SelfTelemetry } from '../../src/telemetry/self-telemetry.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function value(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  assert.ok(line, `${name} is served`);
  return Number(line.split(' ')[1]);
}

test('event-loop lag: prom-client\'s family names, once each; an idle loop reads about 0 (the sampling interval left out), a 250 ms stall reads about 0.25 s', async () => {
  const telemetry = new SelfTelemetry();
  await sleep(450);
  const idle = await telemetry.registry.metrics();
  for (const suffix of ['', '_min', '_max', '_mean', '_stddev', '_p50', '_p90', '_p99']) {
    const name = `nodejs_eventloop_lag${suffix}_seconds`;
    assert.equal(idle.split('\n').filter((l) => l === `# TYPE ${name} gauge`).length, 1, name);
  }
  assert.ok(value(idle, 'nodejs_eventloop_lag_max_seconds') < 0.05, `idle max ${value(idle, 'nodejs_eventloop_lag_max_seconds')}`);
  await sleep(50);
  const until = Date.now() + 250;
  while (Date.now() < until); // a stall of 250 ms, longer than the sampling interval: always seen
  await sleep(250);
  const stalled = await telemetry.registry.metrics();
  const max = value(stalled, 'nodejs_eventloop_lag_max_seconds');
  assert.ok(max > 0.15 && max < 0.35, `stall max ${max}`);
  assert.ok(value(stalled, 'nodejs_eventloop_lag_min_seconds') < 0.05);
});
