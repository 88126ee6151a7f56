import { formatTimestamp } from "../schemas/timestamp";
import { Random } from "./random";

/** The sample's cities and ISPs, with how much each one adds to buffering (1 = typical). */
const CITIES: readonly (readonly [string, number])[] = [
  ["Jakarta", 30], ["Surabaya", 14], ["Bandung", 12], ["Medan", 9], ["Semarang", 7],
  ["Makassar", 6], ["Palembang", 5], ["Denpasar", 5], ["Yogyakarta", 6], ["Balikpapan", 3],
];
const CITY_STRAIN: Record<string, number> = { Makassar: 1.25, Medan: 1.15, Balikpapan: 1.2, Palembang: 1.1 };
const ISPS: readonly (readonly [string, number])[] = [
  ["Indihome", 40], ["Biznet", 15], ["First Media", 12], ["MyRepublic", 10], ["XL Home", 10], ["CBN", 6], ["Telkomsel Orbit", 7],
];
const ISP_STRAIN: Record<string, number> = { Indihome: 1.1, "Telkomsel Orbit": 1.35, "First Media": 1.05, Biznet: 0.8, CBN: 0.85 };
const BITRATES = [400, 800, 1500, 2400, 4800] as const;

interface Session {
  id: number;
  userId: number;
  movieId: number;
  city: string;
  isp: string;
  bitrate: number;
  strain: number;
  started: boolean;
}

export interface PlaybackGeneratorOptions {
  seed: number;
  /** Concurrent player sessions (default 100). */
  sessions?: number;
  /** Event time of the first event, epoch microseconds. */
  startMicros?: number;
  /** Mean gap between consecutive events, microseconds (Poisson arrivals). */
  meanGapMicros?: number;
  /** Id of the first event; later ones count up from it. */
  firstEventId?: number;
}

/** 2025-10-27 00:00:00 UTC, the day of the example playback event (test/unit/playback-alerts.test.ts). */
export const SAMPLE_START_MICROS = Date.UTC(2025, 9, 27) * 1000;

/**
 * Video playback events as players publish them: a pool of active sessions,
 * each going start -> buffer* (-> error)* -> stop, then replaced by a new one.
 * Buffering is 0-5000 ms, worse on some ISPs and cities, so alerts cluster.
 */
export class PlaybackGenerator {
  private readonly random: Random;
  private readonly pool: Session[] = [];
  private nextSessionId = 1;
  private nextEventId = 1;
  private clock: number;
  private readonly meanGap: number;

  constructor(options: PlaybackGeneratorOptions) {
    this.random = new Random(options.seed);
    this.clock = options.startMicros ?? SAMPLE_START_MICROS;
    this.meanGap = options.meanGapMicros ?? 1_000_000;
    this.nextEventId = options.firstEventId ?? 1;
    for (let i = 0; i < (options.sessions ?? 100); i++) this.pool.push(this.newSession());
  }

  private newSession(): Session {
    const r = this.random;
    const city = r.weighted(CITIES);
    const isp = r.weighted(ISPS);
    return {
      id: this.nextSessionId++,
      userId: r.int(1, 5000),
      movieId: r.int(1, 200),
      city,
      isp,
      bitrate: r.pick(BITRATES),
      strain: (CITY_STRAIN[city] ?? 1) * (ISP_STRAIN[isp] ?? 1),
      started: false,
    };
  }

  /** Buffering in ms, 0-5000: mostly short, with a tail that grows with the session's strain. */
  private bufferMs(session: Session): number {
    const x = Math.pow(this.random.float(), 1.6 / session.strain);
    return Math.min(5000, Math.round(x * 5000));
  }

  /** The next event as a plain object, fields in the event's own order (schemas/playback.ts). */
  next(): Record<string, string | number> {
    const r = this.random;
    const slot = r.int(0, this.pool.length - 1);
    const session = this.pool[slot];
    let type: string;
    let buffer = 0;
    if (!session.started) {
      session.started = true;
      type = "start";
      buffer = Math.round(r.float() * 1500 * session.strain);
    } else {
      type = r.weighted([["buffer", 70], ["error", 4 * session.strain], ["stop", 8]] as const);
      if (type === "buffer") {
        buffer = this.bufferMs(session);
        if (buffer > 3000 && session.bitrate > 400) session.bitrate = BITRATES[BITRATES.indexOf(session.bitrate as never) - 1];
      }
    }
    if (type === "stop") this.pool[slot] = this.newSession();
    this.clock += Math.max(1000, Math.round(r.exponential(this.meanGap)));
    const stamp = formatTimestamp(this.clock - (this.clock % 1_000_000));
    return {
      event_id: this.nextEventId++,
      session_id: session.id,
      user_id: session.userId,
      movie_id: session.movieId,
      event_type: type,
      event_timestamp: `${stamp.slice(0, 10)} ${stamp.slice(11, 19)}`,
      buffer_duration_ms: Math.min(5000, buffer),
      bitrate_kbps: session.bitrate,
      city: session.city,
      isp: session.isp,
      country: "Indonesia",
    };
  }

  /** `count` events as JSON lines. */
  *lines(count: number): Generator<string> {
    for (let i = 0; i < count; i++) yield JSON.stringify(this.next());
  }
}
