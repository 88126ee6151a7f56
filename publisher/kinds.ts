import { TOPICS } from "../io/pubsub/names";
import { formatTimestamp, parseTimestamp } from "../schemas/timestamp";
import { ConversationGenerator } from "../samples/conversations";
import { OttGenerator } from "../samples/ott";
import { PlaybackGenerator } from "../samples/playback";

export interface GeneratorSettings {
  seed: number;
  /** Event time of the first event, epoch microseconds. */
  startMicros: number;
  /** Events per second the event times are spaced for. */
  eps: number;
}

/** An event and its event time (epoch microseconds). */
export interface TimedEvent {
  record: Record<string, unknown>;
  time: number;
}

/** Something the publisher can send: a generator, where it goes by default, and the message attributes. */
export interface EventKind {
  readonly description: string;
  readonly topic: string;
  /** Generated events, endlessly. */
  generate(settings: GeneratorSettings): Iterator<TimedEvent>;
  /** Event time of a recorded event (--file replay); null when it has none and takes the previous line's. */
  timeOf(record: Record<string, unknown>): number | null;
  /** Attributes a reader can filter on, and `event_time` (RFC 3339) for Dataflow's `timestampAttribute`. */
  attributes(record: Record<string, unknown> | undefined, time: number): Record<string, string>;
}

/** Ids stay unique across publisher runs with different seeds (and below 2^53 for seeds up to 9,000,000). */
export const firstEventIdFor = (seed: number): number => seed * 1_000_000_000 + 1;

const timeOfField = (field: string) => (record: Record<string, unknown>): number | null =>
  typeof record[field] === "string" ? parseTimestamp(record[field] as string) : null;

/** OTT events carry their time in `timestamp` (the nested shape) or `event_timestamp` (the flat one). */
const ottTimeOf = (record: Record<string, unknown>): number | null => timeOfField("timestamp")(record) ?? timeOfField("event_timestamp")(record);

/** A generator of one event at a time, as timed events (event time read by `timeOf`). */
function timed(generator: { next(): Record<string, unknown> }, timeOf: (record: Record<string, unknown>) => number | null): Iterator<TimedEvent> {
  return {
    next: () => {
      const record = generator.next();
      return { done: false, value: { record, time: timeOf(record) ?? 0 } };
    },
  };
}

/** Conversations per generated block: each block is sorted by time; blocks follow each other. */
const CONVERSATION_BLOCK = 50;
/** Lines per conversation, on average: 2-5 messages and an order event. */
const LINES_PER_CONVERSATION = 4.5;

export const KINDS: Record<string, EventKind> = {
  playback: {
    description: "video playback events: a pool of player sessions, start/buffer/error/stop",
    topic: TOPICS.alerts.topic,
    generate: (s) => timed(new PlaybackGenerator({ seed: s.seed, startMicros: s.startMicros, meanGapMicros: 1e6 / s.eps, firstEventId: firstEventIdFor(s.seed) }), timeOfField("event_timestamp")),
    timeOf: timeOfField("event_timestamp"),
    attributes: (record, time) => ({ event_type: String(record?.event_type ?? "unknown"), event_time: formatTimestamp(time) }),
  },
  ott: {
    description: "OTT viewing events: nested device, location, quality; rating on rate; viewer profile and title genre; a quarter in the legacy flat shape",
    topic: TOPICS.ott.topic,
    generate: (s) => timed(new OttGenerator({ seed: s.seed, startMicros: s.startMicros, meanGapMicros: 1e6 / s.eps, firstEventId: firstEventIdFor(s.seed) }), ottTimeOf),
    timeOf: ottTimeOf,
    attributes: (record, time) => ({ event_type: String(record?.event_type ?? "unknown"), event_time: formatTimestamp(time) }),
  },
  conversations: {
    description: "customer/courier chat messages and order events, conversations of 2-5 messages",
    topic: TOPICS.conversations.topic,
    generate: (s) => {
      const blockSeconds = (CONVERSATION_BLOCK * LINES_PER_CONVERSATION) / s.eps;
      let block = 0;
      let pending: TimedEvent[] = [];
      const timeOf = KINDS.conversations.timeOf;
      return {
        next: () => {
          if (pending.length === 0) {
            const lines = new ConversationGenerator({
              seed: s.seed * 1000 + block,
              conversations: CONVERSATION_BLOCK,
              startMicros: s.startMicros + Math.round(block * blockSeconds * 1e6),
              spreadSeconds: blockSeconds,
              firstOrderId: firstEventIdFor(s.seed) + block * CONVERSATION_BLOCK * 7,
            }).lines();
            block++;
            let last = s.startMicros;
            pending = lines.map((line) => {
              const record = JSON.parse(line) as Record<string, unknown>;
              last = timeOf(record) ?? last;
              return { record, time: last };
            }).reverse();
          }
          return { done: false, value: pending.pop()! };
        },
      };
    },
    timeOf: timeOfField("messageSentTime"),
    attributes: (record, time) => ({ event_type: record?.senderAppType !== undefined ? "message" : "order", event_time: formatTimestamp(time) }),
  },
};
