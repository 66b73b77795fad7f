import type { FpmRecord } from '../../model/fpm.js';
import type { Attributes } from '../../model/metrics.js';
import { QUANTITIES, TOTALS } from './quantities.js';
import { addGroup, empty, update, type Moments } from './welford.js';

/**
 * Everything the welford processor keeps for one (worker_id, dp_rank):
 * cumulative totals and the wall-time histogram over the stream's life,
 * and Welford states of the current window.
 */
export class SeriesState {
  iterations = 0;
  readonly totals = new Float64Array(TOTALS.length);
  wallTimeSum = 0;
  readonly bucketCounts: number[];
  window: Moments[] = QUANTITIES.map(empty);
  /** Full prompt length per prefill request (computed + cached tokens), request-weighted. */
  promptLength: Moments = empty();
  /** KV context length per decode request, request-weighted. */
  decodeContext: Moments = empty();
  /** { worker_id, dp_rank }, one object for the series' life (downstream caches are keyed by it). */
  readonly attributes: Attributes;

  constructor(
    readonly workerId: string,
    readonly dpRank: number,
    readonly startTimeMs: number,
    private readonly bounds: readonly number[],
  ) {
    this.bucketCounts = new Array(bounds.length + 1).fill(0);
    this.attributes = { worker_id: workerId, dp_rank: String(dpRank) };
  }

  /** Adds one iteration (not a heartbeat). */
  add(r: FpmRecord): void {
    this.iterations++;
    const t = this.totals;
    t[0] += r.scheduledPrefillRequests;
    t[1] += r.scheduledPrefillTokens;
    t[2] += r.scheduledPrefillCachedTokens;
    t[3] += r.scheduledDecodeRequests;
    t[4] += r.scheduledDecodeKvTokens;
    const wall = r.wallTime;
    this.wallTimeSum += wall;
    const bounds = this.bounds;
    let b = 0;
    while (b < bounds.length && wall > bounds[b]) b++;
    this.bucketCounts[b]++;
    // Written out (not QUANTITIES[i].value(r)): one monomorphic call each on the hot path.
    // The order is QUANTITIES' order; a unit test checks the two agree.
    const w = this.window;
    update(w[0], r.wallTime);
    update(w[1], r.scheduledPrefillRequests);
    update(w[2], r.scheduledPrefillTokens);
    update(w[3], r.scheduledPrefillCachedTokens);
    update(w[4], r.scheduledDecodeRequests);
    update(w[5], r.scheduledDecodeKvTokens);
    update(w[6], r.queuedPrefillRequests);
    update(w[7], r.queuedPrefillTokens);
    update(w[8], r.queuedDecodeRequests);
    update(w[9], r.queuedDecodeKvTokens);
    const nPrefill = r.scheduledPrefillRequests;
    if (nPrefill > 0) addGroup(this.promptLength, nPrefill, (r.scheduledPrefillTokens + r.scheduledPrefillCachedTokens) / nPrefill, r.scheduledPrefillLengthVariance * nPrefill);
    const nDecode = r.scheduledDecodeRequests;
    if (nDecode > 0) addGroup(this.decodeContext, nDecode, r.scheduledDecodeKvTokens / nDecode, r.scheduledDecodeKvTokensVariance * nDecode);
  }

  /** Hands back the window's states and starts a new window. */
  takeWindow(): WindowStates {
    const taken = { quantities: this.window, promptLength: this.promptLength, decodeContext: this.decodeContext };
    this.window = QUANTITIES.map(empty);
    this.promptLength = empty();
    this.decodeContext = empty();
    return taken;
  }
}

export interface WindowStates {
  readonly quantities: readonly Moments[];
  readonly promptLength: Moments;
  readonly decodeContext: Moments;
}
