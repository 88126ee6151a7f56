import { SourceError } from "../sources/source";

/** A call gets no answer within this: the connection counts as lost (a pull returns at once when healthy, even with nothing to deliver). */
export const CALL_TIMEOUT_MS = 5000;
/** How long a lost connection is retried by default (--retryTimeoutSec). */
export const DEFAULT_RETRY_TIMEOUT_SEC = 60;
/** Once stopping, a call gets this long: Ctrl-C must end the run within seconds. */
export const STOPPING_TIMEOUT_MS = 1500;
/** Backoff between attempts while the connection is lost: doubled from the first to the last. */
const FIRST_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 5000;

/** gRPC codes after which the same call may succeed: the service is down, frozen, overloaded or restarting. */
const TRANSIENT_CODES = new Set([2 /* UNKNOWN */, 4 /* DEADLINE_EXCEEDED */, 8 /* RESOURCE_EXHAUSTED */, 10 /* ABORTED */, 13 /* INTERNAL */, 14 /* UNAVAILABLE */]);

/** The per-call settings of the client library (google-gax): a deadline, and none of its own retries (they are done here, bounded). */
export interface CallSettings {
  timeout: number;
  retry: null;
}

export type ConnectionState =
  | { lost: true; since: number; reason: string; retryUntil: number }
  | { lost: false; downMs: number };

const sleep = (ms: number, signal?: AbortSignal): Promise<void> => untilAborted(new Promise((resolve) => setTimeout(resolve, ms)), signal).then(() => undefined);

/**
 * `promise`, or undefined once `signal` has aborted and `graceMs` more have
 * passed (a call in flight then ends on its own deadline; nobody waits for it).
 * The grace lets a pull already answered deliver its messages, so they are
 * handed back for redelivery at once instead of after their ack deadline.
 */
function untilAborted<T>(promise: Promise<T>, signal?: AbortSignal, graceMs = 0): Promise<T | undefined> {
  if (signal === undefined) return promise;
  promise.catch(() => undefined);
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const abort = (): void => void setTimeout(() => resolve(undefined), graceMs).unref();
    signal.addEventListener("abort", abort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", abort));
  });
}

const codeOf = (error: unknown): number | undefined => (error as { code?: unknown }).code as number | undefined;

/** Why a call failed, in a few words for the status line. */
function reasonOf(error: unknown, timeoutMs: number): string {
  const code = codeOf(error);
  if (code === 4) return `no answer within ${timeoutMs / 1000} s`;
  if (code === 14) return "connection refused or dropped";
  return ((error as Error).message ?? String(error)).split("\n")[0];
}

/**
 * The Pub/Sub connection of a run, as its calls see it. Every call has a
 * deadline and no retries of the client library (whose defaults kept a run
 * silent for a minute or more). A call that fails for a transient reason
 * marks the connection lost, which `onChange` reports at once; calls are then
 * repeated with backoff until one succeeds (the connection is back) or it has
 * been lost for `retryMs`, after which every call fails with one line.
 */
export class PubSubConnection {
  private lostSince?: number;
  private reason = "";
  private failure?: SourceError;

  constructor(
    /** What is read, for the messages: `projects/P/subscriptions/S`. */
    private readonly resource: string,
    private readonly retryMs: number,
    private readonly onChange?: (state: ConnectionState) => void,
  ) {}

  get lost(): boolean {
    return this.lostSince !== undefined;
  }

  /**
   * `call`, repeated while the connection is lost. Resolves undefined once
   * `stop` aborts: then a call is tried once, briefly, and not at all while
   * the connection is lost (what it would have acknowledged is redelivered,
   * and the sink's ledger knows it was committed). A permanent error (a
   * subscription that does not exist, a refusal) is thrown as it is.
   */
  async retried<T>(call: (settings: CallSettings) => Promise<T>, stop?: AbortSignal): Promise<T | undefined> {
    for (let attempt = 0; ; attempt++) {
      if (this.failure !== undefined) throw this.failure;
      if (stop?.aborted) return this.lost ? undefined : this.once(call, STOPPING_TIMEOUT_MS);
      const started = Date.now();
      try {
        const result = await untilAborted(call({ timeout: CALL_TIMEOUT_MS, retry: null }), stop, STOPPING_TIMEOUT_MS);
        if (result === undefined) return undefined; // stopped while waiting
        this.reached();
        return result;
      } catch (error) {
        if (!TRANSIENT_CODES.has(codeOf(error) ?? -1)) throw error;
        this.failed(error, started, CALL_TIMEOUT_MS);
        if (this.failure !== undefined) throw this.failure;
        await sleep(Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** attempt), stop);
      }
    }
  }

  /** `call` tried once, for what the next attempt makes up for (deadline extensions, handing messages back): a failure only marks the connection lost. */
  async once<T>(call: (settings: CallSettings) => Promise<T>, timeoutMs = CALL_TIMEOUT_MS): Promise<T | undefined> {
    const started = Date.now();
    try {
      const result = await call({ timeout: timeoutMs, retry: null });
      this.reached();
      return result;
    } catch (error) {
      if (TRANSIENT_CODES.has(codeOf(error) ?? -1)) this.failed(error, started, timeoutMs);
      return undefined;
    }
  }

  private reached(): void {
    if (this.lostSince === undefined) return;
    const downMs = Date.now() - this.lostSince;
    this.lostSince = undefined;
    this.onChange?.({ lost: false, downMs });
  }

  /** A transient failure of a call started at `started`: the connection has been lost since then, at the latest. */
  private failed(error: unknown, started: number, timeoutMs: number): void {
    if (this.failure !== undefined) return;
    this.reason = reasonOf(error, timeoutMs);
    if (this.lostSince === undefined) {
      this.lostSince = started;
      this.onChange?.({ lost: true, since: started, reason: this.reason, retryUntil: started + this.retryMs });
    }
    const downMs = Date.now() - this.lostSince;
    if (downMs < this.retryMs) return;
    const host = process.env.PUBSUB_EMULATOR_HOST;
    this.failure = new SourceError(
      `lost Pub/Sub${host ? ` at ${host} (PUBSUB_EMULATOR_HOST)` : ""} for ${Math.round(downMs / 1000)} s (${this.reason}), gave up after --retryTimeoutSec ${this.retryMs / 1000}: ` +
        `what was committed is kept, the other messages stay in ${this.resource} for the next run`,
    );
  }
}
