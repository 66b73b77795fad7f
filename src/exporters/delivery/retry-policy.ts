/**
 * When to try a failed export again: exponential backoff with jitter, as the
 * OpenTelemetry Collector's exporter helper does (defaults: 5 s initial,
 * multiplier 1.5, at most 30 s apart, give up 300 s after the first attempt).
 * Pure: the random source is injected.
 */
export interface RetryPolicy {
  /** false: a failed export is dropped at once (counted). */
  readonly enabled: boolean;
  readonly initialIntervalMs: number;
  readonly maxIntervalMs: number;
  readonly multiplier: number;
  /** Fraction of the interval added or taken away at random (0.2 = +-20%). */
  readonly jitter: number;
  /** An item still failing this long after its first attempt is dropped (0 = retry forever). */
  readonly maxElapsedMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  enabled: true,
  initialIntervalMs: 5_000,
  maxIntervalMs: 30_000,
  multiplier: 1.5,
  jitter: 0.2,
  maxElapsedMs: 300_000,
};

/**
 * Delay before retry number `retry` (1 = the first retry), in ms. A server's
 * Retry-After wins over the computed backoff (it may be longer than
 * `maxIntervalMs`: the server knows best when it can take data again).
 */
export function retryDelayMs(policy: RetryPolicy, retry: number, retryAfterMs: number | undefined, random: () => number = Math.random): number {
  if (retryAfterMs !== undefined && retryAfterMs >= 0) return retryAfterMs;
  const base = Math.min(policy.initialIntervalMs * policy.multiplier ** Math.max(0, retry - 1), policy.maxIntervalMs);
  const jittered = base * (1 + policy.jitter * (2 * random() - 1));
  return Math.max(0, Math.min(jittered, policy.maxIntervalMs));
}

/** True when another attempt may start `delayMs` from now without passing the policy's deadline. */
export function mayRetry(policy: RetryPolicy, firstAttemptMs: number, nowMs: number, delayMs: number): boolean {
  if (!policy.enabled) return false;
  if (policy.maxElapsedMs === 0) return true;
  return nowMs + delayMs - firstAttemptMs <= policy.maxElapsedMs;
}
