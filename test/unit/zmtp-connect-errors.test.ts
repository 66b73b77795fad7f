import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ZmtpSubscriber } from '../../src/receivers/zmq_fpm/zmtp.js';

test('a connection failure other than "publisher not there yet" is reported (ENOTDIR here; EACCES in the field), "not there yet" is not', async () => {
  const failures: string[] = [];
  const handlers = { message: () => undefined, disconnected: () => undefined, connectFailed: (e: NodeJS.ErrnoException) => failures.push(e.code ?? '') };
  const bad = new ZmtpSubscriber('ipc:///etc/passwd/fpm', { maxMessageBytes: 1 << 20, reconnectMs: 20 }, handlers);
  const absent = new ZmtpSubscriber('ipc:///tmp/no-such-dir-for-fpm/fpm', { maxMessageBytes: 1 << 20, reconnectMs: 20 }, { ...handlers, connectFailed: (e: NodeJS.ErrnoException) => failures.push(`absent:${e.code}`) });
  bad.start();
  absent.start();
  await new Promise((r) => setTimeout(r, 200));
  await bad.close();
  await absent.close();
  assert.ok(failures.length >= 2, `retried and reported each time: ${failures}`);
  assert.ok(failures.every((c) => c === 'ENOTDIR'), `only the real failure: ${failures}`);
});
