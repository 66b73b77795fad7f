import type { SequenceNumber } from '../../model/fpm.js';

/**
 * Sequence numbers of one publisher endpoint (spec §2): a jump from n to n+k
 * means k-1 messages lost; a step back (to 0, or to any number not above the
 * last) means the publisher restarted, and since a restarted publisher counts
 * from 0, a first number s after the restart means s messages lost.
 * The very first number seen is a baseline: what came before the bridge
 * connected is not counted as lost.
 */
export interface SequenceStep {
  lost: number;
  restarted: boolean;
}

export class SequenceTracker {
  private last: SequenceNumber | undefined;
  private readonly step: SequenceStep = { lost: 0, restarted: false };

  /** Records `seq`; the returned object is reused by the next call. */
  observe(seq: SequenceNumber): SequenceStep {
    const last = this.last;
    this.last = seq;
    const step = this.step;
    step.lost = 0;
    step.restarted = false;
    if (last === undefined) return step;
    if (typeof seq === 'number' && typeof last === 'number') {
      if (seq > last) step.lost = seq - last - 1;
      else {
        step.restarted = true;
        step.lost = seq;
      }
      return step;
    }
    const s = BigInt(seq);
    const l = BigInt(last);
    if (s > l) step.lost = Number(s - l - 1n);
    else {
      step.restarted = true;
      step.lost = Number(s);
    }
    return step;
  }
}
