import { formatTimestamp } from "../schemas/timestamp";
import { Random } from "./random";

/** The catalog: 20 titles across movies, episodes, documentaries and specials, each with its genre and maturity rating (samples/catalog.ts writes them in IMDb's layout). */
export const TITLES: readonly { id: string; title: string; kind: string; genre: string; maturity: string; minutes: number }[] = [
  ["Stranger Lights", "series_episode", "Sci-Fi", "TV-14", 50], ["The Crown Road", "series_episode", "Drama", "TV-MA", 58],
  ["Money Heist Redux", "series_episode", "Thriller", "TV-MA", 45], ["Ocean Deep", "documentary", "Documentary", "TV-G", 90],
  ["Red Notice 2", "movie", "Action", "PG-13", 118], ["Glass Onion Tales", "movie", "Mystery", "PG-13", 139],
  ["Bridgerton Nights", "series_episode", "Romance", "TV-MA", 62], ["Wednesday Again", "series_episode", "Comedy", "TV-14", 48],
  ["Our Planet III", "documentary", "Documentary", "TV-G", 52], ["Extraction Point", "movie", "Action", "R", 116],
  ["Squid Trials", "series_episode", "Thriller", "TV-MA", 55], ["Kitchen Stars", "special", "Reality", "TV-PG", 70],
  ["Comedy Live Lisbon", "special", "Comedy", "TV-MA", 65], ["The Witcher Saga", "series_episode", "Fantasy", "TV-MA", 60],
  ["Little Explorers", "series_episode", "Kids", "TV-Y", 24], ["Space Race", "movie", "Sci-Fi", "PG", 124],
  ["Narcos Coast", "series_episode", "Crime", "TV-MA", 50], ["Cooking Abroad", "documentary", "Documentary", "TV-PG", 45],
  ["Holiday Special", "special", "Family", "TV-G", 80], ["Dark Matter", "movie", "Sci-Fi", "R", 131],
].map((t, i) => ({ id: `title_${String(i + 1).padStart(3, "0")}`, title: t[0] as string, kind: t[1] as string, genre: t[2] as string, maturity: t[3] as string, minutes: t[4] as number }));

/** Event time of the first generated event by default: a Saturday's prime time. */
export const OTT_START_MICROS = Date.UTC(2024, 5, 1, 20) * 1000;

/** The 15 viewing locations, with coordinates. */
const LOCATIONS = [
  ["US", "California", "Los Angeles", 34.05, -118.24], ["US", "New York", "New York", 40.71, -74.01], ["GB", "England", "London", 51.51, -0.13],
  ["CA", "Ontario", "Toronto", 43.65, -79.38], ["AU", "New South Wales", "Sydney", -33.87, 151.21], ["DE", "Berlin", "Berlin", 52.52, 13.4],
  ["FR", "Ile-de-France", "Paris", 48.86, 2.35], ["IN", "Maharashtra", "Mumbai", 19.08, 72.88], ["BR", "Sao Paulo", "Sao Paulo", -23.55, -46.63],
  ["JP", "Tokyo", "Tokyo", 35.68, 139.69], ["MX", "CDMX", "Mexico City", 19.43, -99.13], ["ES", "Madrid", "Madrid", 40.42, -3.7],
  ["ID", "Jakarta", "Jakarta", -6.21, 106.85], ["KR", "Seoul", "Seoul", 37.57, 126.98], ["ZA", "Gauteng", "Johannesburg", -26.2, 28.05],
] as const;

const DEVICES: readonly (readonly [readonly [string, string, string, string], number])[] = [
  [["mobile", "iOS", "app", "iPhone 15"], 22], [["mobile", "Android", "app", "Pixel 8"], 20], [["tv", "tvOS", "app", "Apple TV 4K"], 10],
  [["tv", "Android", "app", "Bravia XR"], 14], [["web", "Windows", "Chrome", "PC"], 12], [["web", "macOS", "Safari", "MacBook Air"], 8],
  [["tablet", "iOS", "app", "iPad Air"], 9], [["tablet", "Android", "app", "Galaxy Tab S9"], 5],
];
const TIERS: readonly (readonly [string, number])[] = [["basic", 35], ["standard", 45], ["premium", 20]];
const AGE_GROUPS: readonly (readonly [string, number])[] = [["18-24", 20], ["25-34", 30], ["35-44", 22], ["45-54", 15], ["55+", 13]];
const GENDERS: readonly (readonly [string, number])[] = [["female", 48], ["male", 48], ["other", 4]];
const RESOLUTIONS: Record<string, readonly [string, number, number]> = { basic: ["SD", 800, 2500], standard: ["HD", 2500, 6000], premium: ["4K", 6000, 15000] };

interface User {
  id: string;
  device: readonly [string, string, string, string];
  location: (typeof LOCATIONS)[number];
  tier: string;
  ageGroup: string;
  gender: string;
  /** Legacy clients send the flat shape. */
  legacy: boolean;
}

interface Viewing {
  user: User;
  title: (typeof TITLES)[number];
  sessionId: string;
  position: number;
  paused: boolean;
  started: boolean;
}

export interface OttGeneratorOptions {
  seed: number;
  startMicros: number;
  meanGapMicros: number;
  /** Concurrent viewing sessions. */
  sessions?: number;
  users?: number;
  firstEventId?: number;
  /** Share of users on legacy clients, which send the flat shape (default 0.25). */
  legacyShare?: number;
  /** Share of events that arrive 5-60 s after their event time (default 0.02). */
  delayedShare?: number;
  /** Share of events that arrive 10-20 min after their event time, later than the default allowed lateness (default 0.001). */
  veryLateShare?: number;
}

/** The flat shape's event types for the model's: its clients know only five. */
const FLAT_SHAPE_TYPES: Record<string, string> = {
  start: "video_start", resume: "video_start", pause: "video_pause", rate: "video_pause", stop: "video_stop",
  complete: "video_complete", buffer: "buffer_event", seek: "buffer_event",
};

/**
 * OTT viewing events in the nested shape (device, location, quality,
 * rating on `rate`), from a catalog of 20 titles, 10,000 users and 15
 * located cities, with weighted devices, subscription tiers and event types.
 * Each event also carries what the demographic trends need: the viewer's
 * profile and the title's genre and maturity rating. A share of users are on
 * legacy clients that send the flat shape (video_start, ...,
 * buffer_event, watch duration, coordinates); a few events arrive late.
 */
export class OttGenerator {
  private readonly random: Random;
  private readonly users: User[] = [];
  private readonly pool: Viewing[] = [];
  private clock: number;
  private nextEventId: number;
  private nextSession = 1;

  constructor(private readonly options: OttGeneratorOptions) {
    this.random = new Random(options.seed);
    this.clock = options.startMicros;
    this.nextEventId = options.firstEventId ?? 1;
    const r = this.random;
    for (let i = 0; i < (options.users ?? 10_000); i++) {
      this.users.push({
        id: `user_${String(i + 1).padStart(5, "0")}`,
        device: r.weighted(DEVICES),
        location: r.pick(LOCATIONS),
        tier: r.weighted(TIERS),
        ageGroup: r.weighted(AGE_GROUPS),
        gender: r.weighted(GENDERS),
        legacy: r.float() < (options.legacyShare ?? 0.25),
      });
    }
    for (let i = 0; i < (options.sessions ?? 200); i++) this.pool.push(this.newViewing());
  }

  private newViewing(): Viewing {
    const r = this.random;
    // Popularity falls off along the catalog, so some titles trend.
    const title = TITLES[Math.min(TITLES.length - 1, Math.floor(Math.pow(r.float(), 1.8) * TITLES.length))];
    return { user: r.pick(this.users), title, sessionId: `session_${this.options.seed}_${this.nextSession++}`, position: 0, paused: false, started: false };
  }

  next(): Record<string, unknown> {
    const r = this.random;
    const slot = r.int(0, this.pool.length - 1);
    const v = this.pool[slot];
    const length = v.title.minutes * 60;
    let type: string;
    if (!v.started) {
      type = "start";
      v.started = true;
    } else if (v.paused) {
      type = "resume";
      v.paused = false;
    } else {
      type = r.weighted([["pause", 12], ["seek", 8], ["complete", 6], ["rate", 3], ["progress", 60], ["stop", 6], ["buffer", 6]] as const);
    }
    if (type === "progress" || type === "seek") {
      v.position = Math.min(length, v.position + (type === "seek" ? r.int(-300, 900) : r.int(30, 600)));
      v.position = Math.max(0, v.position);
      if (type === "progress") type = v.position >= length ? "complete" : "pause";
    }
    if (type === "pause") v.paused = true;
    if (type === "complete") v.position = length;
    const done = type === "complete" || type === "stop" || (type === "pause" && r.float() < 0.15);
    if (done) this.pool[slot] = this.newViewing();
    this.clock += Math.max(1000, Math.round(r.exponential(this.options.meanGapMicros)));
    const u = v.user;
    const quality = RESOLUTIONS[u.tier];
    const bitrate = r.int(quality[1], quality[2]);
    const bufferMs = type === "buffer" || (u.legacy && type === "seek") ? r.int(200, 8000) : null;
    const time = this.eventTime();
    const eventId = `evt_${this.nextEventId++}`;
    if (u.legacy) {
      return {
        event_id: eventId, user_id: u.id, session_id: v.sessionId, content_id: v.title.id, content_title: v.title.title,
        content_type: v.title.kind, genre: v.title.genre, maturity_rating: v.title.maturity, event_type: FLAT_SHAPE_TYPES[type],
        event_timestamp: formatTimestamp(time), watch_duration_seconds: v.position, buffer_duration_ms: bufferMs,
        device_type: u.device[0], device_os: u.device[1], country: u.location[0], city: u.location[2], latitude: u.location[3],
        longitude: u.location[4], subscription_tier: u.tier, video_quality: quality[0], bitrate_kbps: bitrate, age_group: u.ageGroup, gender: u.gender,
      };
    }
    const event: Record<string, unknown> = {
      event_id: eventId,
      user_id: u.id,
      content_id: v.title.id,
      event_type: type,
      timestamp: formatTimestamp(time),
      session_id: v.sessionId,
      position: v.position,
      device: { type: u.device[0], os: u.device[1], browser: u.device[2], model: u.device[3] },
      location: { country: u.location[0], region: u.location[1], city: u.location[2], latitude: u.location[3], longitude: u.location[4] },
      quality: { resolution: quality[0], bitrate: bitrate },
      subscription_tier: u.tier,
      profile: { age_group: u.ageGroup, gender: u.gender },
      content: { title: v.title.title, type: v.title.kind, genre: v.title.genre, maturity_rating: v.title.maturity, duration_seconds: length },
    };
    if (type === "rate") event.rating = r.int(1, 5);
    if (bufferMs !== null) event.buffer_ms = bufferMs;
    return event;
  }

  /** `count` events as JSON lines. */
  *lines(count: number): Generator<string> {
    for (let i = 0; i < count; i++) yield JSON.stringify(this.next());
  }

  /** Most events arrive at their event time; some late (a phone back online), a few very late. */
  private eventTime(): number {
    const r = this.random.float();
    const delayed = this.options.delayedShare ?? 0.02, veryLate = this.options.veryLateShare ?? 0.001;
    if (r < veryLate) return this.clock - this.random.int(600, 1200) * 1e6;
    if (r < veryLate + delayed) return this.clock - this.random.int(5, 60) * 1e6;
    return this.clock;
  }
}
