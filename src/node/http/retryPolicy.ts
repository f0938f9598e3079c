/**
 * When to try a request again and how long to wait (reliability item 12): only idempotent
 * requests, only on 429, 5xx and network errors, a few times, exponential backoff with full
 * jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"), and never sooner than the
 * server's Retry-After.
 */

export interface RetryPolicy {
  /** Attempts after the first. */
  readonly retries: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** A Retry-After longer than this is not waited out: the request fails and says why. */
  readonly maxRetryAfterMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { retries: 3, baseDelayMs: 300, maxDelayMs: 10_000, maxRetryAfterMs: 60_000 };

/** Statuses worth another try: the server is busy or briefly broken, not refusing the request. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 408 || status === 500 || status === 502 || status === 503 || status === 504;
}

/** Full jitter: a uniformly random wait in [0, min(max, base·2^attempt)). `attempt` counts from 0. */
export function backoffDelayMs(attempt: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.floor(random() * ceiling);
}

/**
 * Retry-After as milliseconds to wait: delta-seconds (`120`) or an HTTP-date. Returns undefined
 * when absent or unreadable. `nowMs` is the current time for dates.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (v === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const date = Date.parse(v);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/** How long to wait before attempt `attempt + 1`: the backoff, but at least what the server asked. */
export function retryDelayMs(attempt: number, policy: RetryPolicy, random: () => number, retryAfterMs: number | undefined): number {
  const backoff = backoffDelayMs(attempt, policy, random);
  return retryAfterMs === undefined ? backoff : Math.max(retryAfterMs, backoff);
}
