import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SequenceTracker } from '../../src/receivers/zmq_fpm/sequence.js';

function run(seqs: (number | bigint)[]) {
  const t = new SequenceTracker();
  let lost = 0;
  let restarts = 0;
  for (const s of seqs) {
    const step = t.observe(s);
    lost += step.lost;
    if (step.restarted) restarts++;
  }
  return { lost, restarts };
}

const TABLE: [string, (number | bigint)[], { lost: number; restarts: number }][] = [
  ['consecutive', [0, 1, 2, 3], { lost: 0, restarts: 0 }],
  ['first number is a baseline, not a loss', [41, 42, 43], { lost: 0, restarts: 0 }],
  ['one gap of three', [0, 1, 5, 6], { lost: 3, restarts: 0 }],
  ['restart to 0', [0, 1, 2, 0, 1], { lost: 0, restarts: 1 }],
  ['restart, first message after it lost', [0, 1, 2, 1, 2], { lost: 1, restarts: 1 }],
  ['same number twice counts as a restart', [5, 5], { lost: 5, restarts: 1 }],
  ['beyond 2^53 (bigint), with a gap', [2n ** 60n, 2n ** 60n + 3n], { lost: 2, restarts: 0 }],
  ['number to bigint', [Number.MAX_SAFE_INTEGER - 1, 2n ** 53n + 1n], { lost: 2, restarts: 0 }],
];

for (const [name, seqs, expected] of TABLE) test(`sequence: ${name}`, () => assert.deepEqual(run(seqs), expected));
