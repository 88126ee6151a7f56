/**
 * Retries of BigQuery API calls: exponential backoff with full jitter on what
 * BigQuery documents as transient (429, 5xx, 408) and on network errors and
 * timeouts; anything else (400, 403, 404...) fails at once. After the budget
 * the last error is thrown, so a sink write rejects and nothing is acknowledged.
 */

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Backoff ceiling of the first retry; doubled for each further one. */
  initialDelayMs: number;
  /** Largest backoff ceiling. */
  maxDelayMs: number;
  /** An attempt not answered within this is abandoned and counts as a transient failure. */
  attemptTimeoutMs: number;
  /** Told, in one line, of an attempt unanswered for NOTICE_MS and of a failed attempt about to be repeated (the run's status line). */
  notice?: (line: string) => void;
}

/** An attempt unanswered this long is said (the connection may be lost), though it may still be waited for. */
export const NOTICE_MS = 8000;

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 8, initialDelayMs: 500, maxDelayMs: 32_000, attemptTimeoutMs: 60_000 };

/** Waits and randomness, injectable so tests run fast and deterministically. */
export interface RetryClock {
  sleep(ms: number): Promise<void>;
  /** A number in [0, 1). */
  random(): number;
}

export const REAL_CLOCK: RetryClock = {
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
};

const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);

/** Error codes of a failed connection or a request that timed out (node, node-fetch, gaxios). */
const NETWORK_CODES = new Set(["ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", "EPIPE", "EAI_AGAIN", "ESOCKETTIMEDOUT", "ECONNABORTED", "UND_ERR_SOCKET"]);

interface ApiErrorLike {
  code?: number | string;
  type?: string;
  name?: string;
  message?: string;
}

/** What an attempt throws to be retried with backoff though the call itself succeeded (rows that failed for a transient reason). */
export class RetryableError extends Error {}

/** Whether a failed call may succeed if repeated. */
function isTransient(error: unknown): boolean {
  if (error instanceof RetryableError) return true;
  const e = (error ?? {}) as ApiErrorLike;
  if (typeof e.code === "number") return RETRYABLE_STATUS.has(e.code) || e.code >= 500;
  if (typeof e.code === "string" && NETWORK_CODES.has(e.code)) return true;
  // node-fetch (under teeny-request): "request-timeout" and "system" (socket) errors.
  return e.type === "request-timeout" || e.type === "system" || e.name === "AbortError" || e.name === "TimeoutError";
}

/** The backoff before retry number `retry` (1-based): uniform in [0, min(max, initial * 2^(retry-1))). */
function backoffMs(policy: RetryPolicy, retry: number, random: () => number): number {
  return random() * Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (retry - 1));
}

/** The error after the budget: says what failed, how often, and the last reason. */
export class RetriesExhausted extends Error {
  constructor(readonly what: string, readonly attempts: number, readonly last: unknown) {
    super(`${what} failed after ${attempts} attempt${attempts === 1 ? "" : "s"}: ${describeError(last)}`);
  }
}

/** One line for an API or network error. */
export function describeError(error: unknown): string {
  const e = (error ?? {}) as ApiErrorLike;
  const status = typeof e.code === "number" ? `HTTP ${e.code} ` : typeof e.code === "string" ? `${e.code} ` : "";
  return `${status}${(e.message ?? String(error)).split("\n")[0]}`;
}

/** An attempt that got no answer in time. */
class AttemptTimeout extends Error {
  readonly name = "TimeoutError";
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
  }
}

/**
 * `promise`, or an AttemptTimeout after `ms`. The client library's own
 * `timeout` does nothing (its node-fetch 3 dropped that option), so a hung
 * request is abandoned here; should it still land later, the rows' insertIds
 * make the retry's copy a duplicate BigQuery drops.
 */
function deadline<T>(promise: Promise<T>, ms: number, slow?: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new AttemptTimeout(ms)), ms);
  });
  const noticed = slow && ms > NOTICE_MS ? setTimeout(slow, NOTICE_MS) : undefined;
  promise.catch(() => undefined); // an abandoned attempt may fail later: nobody waits for it
  return Promise.race([promise, expired]).finally(() => (clearTimeout(timer), clearTimeout(noticed)));
}

/**
 * Calls `attempt` until it succeeds, retrying transient errors with backoff.
 * `attempt` receives the attempt number (1-based). A permanent error is thrown
 * as it is; the last transient one, wrapped in RetriesExhausted.
 */
export async function withRetries<T>(what: string, policy: RetryPolicy, clock: RetryClock, attempt: (n: number) => Promise<T>): Promise<T> {
  const notice = policy.notice;
  for (let n = 1; ; n++) {
    const of = `attempt ${n} of ${policy.maxAttempts}`;
    const slow = notice && ((): void => notice(`BigQuery: no answer to ${what} for ${NOTICE_MS / 1000} s (${of}, abandoned after ${policy.attemptTimeoutMs / 1000} s)`));
    try {
      const result = await deadline(attempt(n), policy.attemptTimeoutMs, slow);
      if (n > 1) notice?.(`BigQuery: ${what} succeeded (${of})`);
      return result;
    } catch (error) {
      if (!isTransient(error)) throw error;
      if (n >= policy.maxAttempts) throw new RetriesExhausted(what, n, error);
      const wait = backoffMs(policy, n, clock.random);
      notice?.(`BigQuery: ${what} failed (${describeError(error)}), ${of}: next in ${(wait / 1000).toFixed(1)} s`);
      await clock.sleep(wait);
    }
  }
}
