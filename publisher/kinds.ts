import { TOPICS } from "../io/pubsub/names";
import { formatTimestamp, parseTimestamp } from "../transforms/core/timestamp";
import { PlaybackGenerator } from "./generators/playback";

export interface GeneratorSettings {
  seed: number;
  /** Event time of the first event, epoch microseconds. */
  startMicros: number;
  /** Events per second the event times are spaced for. */
  eps: number;
}

/** Something the publisher can send: a generator, where it goes by default, and the message attributes. */
export interface EventKind {
  readonly description: string;
  readonly topic: string;
  events(settings: GeneratorSettings): Iterator<Record<string, unknown>>;
  /** Attributes a reader can filter on, and `event_time` for Dataflow's `timestampAttribute`. */
  attributes(event: Record<string, unknown>): Record<string, string>;
}

/** Ids stay unique across publisher runs with different seeds (and below 2^53 for seeds up to 9,000,000). */
export const firstEventIdFor = (seed: number): number => seed * 1_000_000_000 + 1;

export const KINDS: Record<string, EventKind> = {
  playback: {
    description: "video playback events (seed 000): a pool of player sessions, start/buffer/error/stop",
    topic: TOPICS.alerts.topic,
    events: (s) => {
      const generator = new PlaybackGenerator({ seed: s.seed, startMicros: s.startMicros, meanGapMicros: 1e6 / s.eps, firstEventId: firstEventIdFor(s.seed) });
      return { next: () => ({ done: false, value: generator.next() }) };
    },
    attributes: (event) => ({
      event_type: String(event.event_type),
      event_time: formatTimestamp(parseTimestamp(String(event.event_timestamp)) ?? 0),
    }),
  },
};
