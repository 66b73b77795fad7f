import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Frames } from '../../src/receivers/zmq_fpm/frames.js';
import { ZmtpSubscriber } from '../../src/receivers/zmq_fpm/zmtp.js';

/**
 * The ZMTP peer's parsing of a publisher's byte stream, however the reads
 * cut it. White-box: the bytes are fed to the peer's read callback path
 * (`receive`) directly, each read copied into one reused buffer as libuv
 * does, so that a frame kept as a range of a previous read (instead of
 * carried over) shows up as wrong bytes.
 */
interface PeerInternals {
  socket: { write(b: Buffer): boolean } | undefined;
  receive(chunk: Buffer): void;
}

function publisherGreeting(): Buffer {
  const g = Buffer.alloc(64);
  g[0] = 0xff;
  g[9] = 0x7f;
  g[10] = 3;
  g.write('NULL', 12, 'ascii');
  g[32] = 1; // as-server
  return g;
}

function command(name: string, body: Buffer): Buffer {
  const content = Buffer.concat([Buffer.from([name.length]), Buffer.from(name, 'ascii'), body]);
  return Buffer.concat([Buffer.from([0x04, content.length]), content]);
}

function frame(body: Buffer, more: boolean): Buffer {
  const flags = more ? 0x01 : 0x00;
  if (body.length < 256) return Buffer.concat([Buffer.from([flags, body.length]), body]);
  const head = Buffer.alloc(9);
  head[0] = flags | 0x02;
  head.writeBigUInt64BE(BigInt(body.length), 1);
  return Buffer.concat([head, body]);
}

function patterned(length: number, seed: number): Buffer {
  return Buffer.from(Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff));
}

// What the publisher sends after its greeting: READY, then messages of several shapes, with a
// PING command between two frames of one message (libzmq may send heartbeats there).
const MESSAGES: Buffer[][] = [
  [Buffer.alloc(0), patterned(8, 1), patterned(200, 2)],
  [Buffer.alloc(0), patterned(8, 3), patterned(700, 4)], // a long frame (over 255 bytes)
  [patterned(1, 5)],
  [Buffer.alloc(0), patterned(8, 6), patterned(3, 7), patterned(90, 8), Buffer.alloc(0)],
  [Buffer.alloc(0), patterned(8, 9), patterned(40, 10)],
];

function publisherStream(): Buffer {
  const parts = [publisherGreeting(), command('READY', Buffer.from([11, ...Buffer.from('Socket-Type'), 0, 0, 0, 3, ...Buffer.from('PUB')]))];
  MESSAGES.forEach((m, i) =>
    m.forEach((f, j) => {
      parts.push(frame(f, j < m.length - 1));
      if (i === 3 && j === 1) parts.push(command('PING', Buffer.from([0, 10, 0x61, 0x62])));
    }),
  );
  return Buffer.concat(parts);
}

function feed(stream: Buffer, cuts: number[]): { messages: Buffer[][]; written: Buffer[] } {
  const messages: Buffer[][] = [];
  const written: Buffer[] = [];
  const peer = new ZmtpSubscriber('ipc:///unused', { maxMessageBytes: 1 << 20 }, {
    message: (frames: Frames) => messages.push(Array.from({ length: frames.count }, (_, i) => Buffer.from(frames.view(i)))),
    disconnected: () => assert.fail('the peer dropped the connection'),
  });
  const internals = peer as unknown as PeerInternals;
  internals.socket = { write: (b: Buffer) => written.push(Buffer.from(b)) > 0 };
  const readBuffer = Buffer.alloc(stream.length);
  let from = 0;
  for (const to of [...cuts, stream.length]) {
    readBuffer.fill(0xee); // the previous read's bytes are gone
    const n = stream.copy(readBuffer, 0, from, to);
    internals.receive(readBuffer.subarray(0, n));
    from = to;
  }
  return { messages, written };
}

test('the ZMTP peer delivers every message exactly, wherever the reads cut the stream (each single cut point)', () => {
  const stream = publisherStream();
  for (let cut = 1; cut < stream.length; cut++) {
    const { messages } = feed(stream, [cut]);
    assert.deepEqual(messages, MESSAGES, `one cut at byte ${cut}`);
  }
});

test('the ZMTP peer delivers every message exactly when the stream arrives byte by byte, and answers a PING sent inside a message', () => {
  const stream = publisherStream();
  const cuts = Array.from({ length: stream.length - 1 }, (_, i) => i + 1);
  const { messages, written } = feed(stream, cuts);
  assert.deepEqual(messages, MESSAGES);
  const pong = written.find((b) => b[0] === 0x04 && b.toString('ascii', 3, 7) === 'PONG');
  assert.ok(pong, 'a PONG went back');
  assert.deepEqual([...pong.subarray(7)], [0x61, 0x62], 'the PONG carries the PING context');
});

test('the ZMTP peer delivers every message exactly with reads of varied sizes', () => {
  const stream = publisherStream();
  for (const step of [2, 3, 7, 64, 65, 255, 256, 300]) {
    const cuts: number[] = [];
    for (let at = step; at < stream.length; at += step) cuts.push(at);
    assert.deepEqual(feed(stream, cuts).messages, MESSAGES, `reads of ${step} bytes`);
  }
});
