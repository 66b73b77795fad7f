import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SHARED } from '../helpers/paths.js';
import { decodeMessage } from '../../src/receivers/zmq_fpm/message.js';
import { FastFpmDecoder } from '../../src/receivers/zmq_fpm/fast-decode.js';
import { Frames } from '../../src/receivers/zmq_fpm/frames.js';
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

/**
 * The frames as ranges of one buffer, as the ZMTP peer hands them over,
 * each followed by bytes that would extend a truncated payload into a valid
 * one (the next message's): a decoder reading past a range's end is caught.
 */
function embedded(frames: Buffer[]): Frames {
  const filler = Buffer.from(golden.find((x) => x.name === 'v1_data')!.frames[2], 'hex');
  const parts: Buffer[] = [];
  const ranges: [number, number][] = [];
  let at = 3;
  parts.push(Buffer.from([0xa3, 0x81, 0xcb]));
  for (const f of frames) {
    parts.push(f, filler);
    ranges.push([at, at + f.length]);
    at += f.length + filler.length;
  }
  const buf = Buffer.concat(parts);
  const out = new Frames();
  for (const [start, end] of ranges) out.push(buf, start, end);
  return out;
}

for (const form of ['arrays', 'ranges'] as const) for (const useFast of [true, false]) {
  for (const g of golden) {
    test(`golden frame ${g.name} (${useFast ? 'fast' : 'general'} decoder, frames as ${form})`, () => {
      const frames = g.frames.map((hex) => Buffer.from(hex, 'hex'));
      const result = decodeMessage(form === 'arrays' ? Frames.of(frames) : embedded(frames), useFast ? new FastFpmDecoder() : undefined);
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
  assert.equal(make(false).handle(Frames.of(frames), 1)!.payload, undefined);
  const kept = make(true).handle(Frames.of(frames), 1)!.payload!;
  assert.deepEqual(Buffer.from(kept), frames[2]);
  frames[2].fill(0); // the reader reuses its buffer: the kept copy must not change
  assert.notDeepEqual(Buffer.from(kept), frames[2]);
});

test('the fast decoder reads a payload range only up to its end: every cut of a valid payload, followed by the rest of its bytes, is not taken', () => {
  const fast = new FastFpmDecoder();
  for (const g of golden.filter((x) => x.expect.ok && !x.name.includes('2^53'))) {
    const payload = Buffer.from(g.frames[2], 'hex');
    assert.ok(fast.decode(payload, 0, payload.length), g.name);
    for (let cut = 0; cut < payload.length; cut++) {
      assert.equal(fast.decode(payload, 0, cut), undefined, `${g.name} cut at ${cut} of ${payload.length}`);
    }
    // The same payload in the middle of other bytes decodes to the same values.
    const framed = Buffer.concat([Buffer.from([0xde, 0x00]), payload, payload]);
    assert.deepEqual([...fast.decode(framed, 2, 2 + payload.length)!.values], [...fast.decode(payload)!.values], g.name);
  }
});
