import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SHARED } from '../helpers/paths.js';
import { decodeMessage } from '../../src/receivers/zmq_fpm/message.js';
import { FastFpmDecoder } from '../../src/receivers/zmq_fpm/fast-decode.js';
import { toRecord, toWireShape } from '../../src/receivers/zmq_fpm/schema.js';

interface Golden {
  name: string;
  frames: string[];
  expect: { ok: boolean; kind?: string; seq?: number | string; message?: Record<string, unknown>; reason?: string };
}

const golden: Golden[] = readFileSync(path.join(SHARED, 'fixtures/fpm/frames.jsonl'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l));

for (const useFast of [true, false]) {
  for (const g of golden) {
    test(`golden frame ${g.name} (${useFast ? 'fast' : 'general'} decoder)`, () => {
      const frames = g.frames.map((hex) => Buffer.from(hex, 'hex'));
      const result = decodeMessage(frames, useFast ? new FastFpmDecoder() : undefined);
      if (!g.expect.ok) {
        assert.equal(result.ok, false);
        if (!result.ok) assert.equal(result.reason, g.expect.reason);
        return;
      }
      assert.ok(result.ok, !result.ok ? `${result.reason}: ${result.detail}` : '');
      if (!result.ok) return;
      assert.equal(String(result.seq), String(g.expect.seq));
      const record = toRecord(result.payload, result.seq, result.payload.workerId, frames[2], 0);
      assert.equal(record.heartbeat, g.expect.kind === 'heartbeat');
      assert.deepEqual(toWireShape(record), g.expect.message);
    });
  }
}

test('the fast decoder takes every valid golden message itself (it falls back only for what it does not understand)', () => {
  const fast = new FastFpmDecoder();
  const taken = golden.filter((g) => g.expect.ok && fast.decode(Buffer.from(g.frames[2], 'hex')) !== undefined).map((g) => g.name);
  // counter_id beyond 2^53 is left to the general decoder on purpose (bigint).
  assert.deepEqual(taken.sort(), golden.filter((g) => g.expect.ok && !g.name.includes('2^53')).map((g) => g.name).sort());
});

test('the fast decoder never accepts a message the general decoder refuses', () => {
  const fast = new FastFpmDecoder();
  for (const g of golden.filter((x) => !x.expect.ok && ['msgpack', 'not_map', 'schema', 'version'].includes(x.expect.reason!))) {
    assert.equal(fast.decode(Buffer.from(g.frames[2], 'hex')), undefined, g.name);
  }
});

test('a stream keeps a copy of the payload only when asked (keep_payload)', async () => {
  const { FpmStream } = await import('../../src/receivers/zmq_fpm/stream.js');
  const { silentLogger } = await import('../../src/telemetry/logger.js');
  const g = golden.find((x) => x.name === 'v1_data')!;
  const frames = g.frames.map((hex) => Buffer.from(hex, 'hex'));
  const make = (keep: boolean) => new FpmStream('ipc:///x', 0, '', silentLogger, () => {}, () => {}, 0, keep);
  assert.equal(make(false).handle(frames, 1)!.payload, undefined);
  const kept = make(true).handle(frames, 1)!.payload!;
  assert.deepEqual(Buffer.from(kept), frames[2]);
  frames[2].fill(0); // the reader reuses its buffer: the kept copy must not change
  assert.notDeepEqual(Buffer.from(kept), frames[2]);
});
