import { spawn } from 'node:child_process';
import { PUBLISHER, SYSTEM_PYTHON } from './paths.js';

/** What shared/tools/fpm-publisher.py printed: the exact truth of what it sent. */
export interface PublisherRank {
  endpoint: string;
  dp_rank: number;
  data: number;
  heartbeats: number;
  bad: Record<string, number>;
  skipped_seq: number;
  restarts: number;
  sum: { wall_time: number; scheduled: Record<string, number>; queued: Record<string, number> };
  last_seq: number;
}

export interface PublisherTruth {
  worker_id: string;
  schema: string;
  ranks: PublisherRank[];
}

/** Runs the Python publisher (pyzmq + msgpack, SGLang's side) to completion; rejects if it fails. */
export function runPublisher(args: string[]): Promise<PublisherTruth> {
  return new Promise((resolve, reject) => {
    const child = spawn(SYSTEM_PYTHON, [PUBLISHER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`fpm-publisher.py exited ${code}: ${err}`));
      else resolve(JSON.parse(out));
    });
  });
}
