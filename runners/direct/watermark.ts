/** Event times the estimate looks back over: recent enough to follow the stream, many enough that a few outliers do not count. */
const RECENT = 10_000;
/** The share of recent event times allowed to lie behind the estimate. */
const QUANTILE = 0.01;

/**
 * The input watermark of unbounded input on the direct runner, estimated the
 * way Dataflow estimates Pub/Sub's: from the event times of what arrives.
 * It is a low quantile of the most recent event times, so it follows the
 * bulk of the stream and no single outlier moves it (events stamped in the
 * future are dead letters before they get here); it never goes back, and it
 * never passes the wall clock. Bounded input never advances it: a file has
 * no late data.
 */
export class WatermarkEstimator {
  private readonly recent = new Float64Array(RECENT);
  private size = 0;
  private next = 0;

  constructor(private micros: number = Number.NEGATIVE_INFINITY) {}

  get current(): number {
    return this.micros;
  }

  /** Takes in the event times of a bundle's valid records, in arrival order. */
  observe(eventTimes: readonly number[]): void {
    if (eventTimes.length === 0) return;
    for (const time of eventTimes) {
      this.recent[this.next] = time;
      this.next = (this.next + 1) % RECENT;
      if (this.size < RECENT) this.size++;
    }
    const sorted = this.recent.slice(0, this.size).sort();
    const low = sorted[Math.floor(QUANTILE * (this.size - 1))];
    this.micros = Math.max(this.micros, Math.min(low, Date.now() * 1000));
  }
}
