import type { FpmPayload } from './encode.js';

/**
 * Plausible scheduler iterations for the simulator: a few prefills, many
 * decodes, a waiting queue, wall time growing with the batch. Deterministic
 * for a seed, so demos and tests can be repeated.
 */
export type Iteration = Pick<FpmPayload, 'wall_time' | 'scheduled_requests' | 'queued_requests'>;

function variance(xs: number[]): number {
  if (!xs.length) return 0;
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return xs.reduce((a, x) => a + (x - m) ** 2, 0) / xs.length;
}

/** A small linear congruential generator: deterministic, good enough for load shapes. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 0x1_0000_0000;
  };
}

export function makeIteration(rnd: () => number): Iteration {
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)];
  const prompts = Array.from({ length: pick([0, 0, 0, 1, 2, 4]) }, () => int(16, 8192));
  const cached = prompts.map((p) => int(0, Math.floor(p / 2)));
  const kv = Array.from({ length: int(0, 256) }, () => int(32, 16384));
  const qPrefill = Array.from({ length: int(0, 32) }, () => int(16, 8192));
  const qDecode = Array.from({ length: pick([0, 0, 0, 3]) }, () => int(32, 16384));
  const computed = prompts.reduce((a, p, i) => a + p - cached[i], 0);
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  return {
    wall_time: Math.round((0.004 + 0.00002 * kv.length + 0.0000015 * computed + rnd() * 0.002) * 1e9) / 1e9,
    scheduled_requests: {
      num_prefill_requests: prompts.length,
      sum_prefill_tokens: computed,
      var_prefill_length: variance(prompts),
      sum_prefill_kv_tokens: sum(cached),
      num_decode_requests: kv.length,
      sum_decode_kv_tokens: sum(kv),
      var_decode_kv_tokens: variance(kv),
    },
    queued_requests: {
      num_prefill_requests: qPrefill.length,
      sum_prefill_tokens: sum(qPrefill),
      var_prefill_length: variance(qPrefill),
      num_decode_requests: qDecode.length,
      sum_decode_kv_tokens: sum(qDecode),
      var_decode_kv_tokens: variance(qDecode),
    },
  };
}

/** A heartbeat: everything at its default (spec §4). */
export function heartbeatIteration(): Iteration {
  return {
    wall_time: 0,
    scheduled_requests: { num_prefill_requests: 0, sum_prefill_tokens: 0, var_prefill_length: 0, sum_prefill_kv_tokens: 0, num_decode_requests: 0, sum_decode_kv_tokens: 0, var_decode_kv_tokens: 0 },
    queued_requests: { num_prefill_requests: 0, sum_prefill_tokens: 0, var_prefill_length: 0, num_decode_requests: 0, sum_decode_kv_tokens: 0, var_decode_kv_tokens: 0 },
  };
}
