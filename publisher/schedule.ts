import { EventKind, TimedEvent } from "./kinds";

/** A line to send, its record (when it is JSON) and event time, and when to send it (ms after the start). */
export interface Scheduled {
  line: string;
  record?: Record<string, unknown>;
  time: number;
  at: number;
}

/** Generated events, evenly paced at `eps`. */
export function* paced(events: Iterator<TimedEvent>, eps: number): Generator<Scheduled> {
  for (let i = 0; ; i++) {
    const event = events.next().value as TimedEvent;
    yield { line: JSON.stringify(event.record), record: event.record, time: event.time, at: (i * 1000) / eps };
  }
}

/**
 * A recorded JSONL file in event-time order, paced by the gaps between event
 * times divided by `speedup`. A line without a time of its own (an order
 * event, or a line that is not JSON: sent as it is, to exercise dead letters)
 * takes the time of the line before it, and stays right after it; lines before
 * the first one with a time take that time (sent at the start, not at 1970's).
 */
export function replay(lines: readonly string[], kind: EventKind, speedup: number): Scheduled[] {
  let last: number | undefined;
  const read = lines
    .filter((line) => line.trim() !== "")
    .map((line, index) => {
      let record: Record<string, unknown> | undefined;
      try {
        const parsed: unknown = JSON.parse(line);
        if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) record = parsed as Record<string, unknown>;
      } catch {
        record = undefined;
      }
      last = (record && kind.timeOf(record)) ?? last;
      return { line, record, time: last, index };
    });
  const firstKnown = read.find((t) => t.time !== undefined)?.time ?? 0;
  const timed = read.map((t) => ({ line: t.line, record: t.record, time: t.time ?? firstKnown, index: t.index }));
  timed.sort((a, b) => a.time - b.time || a.index - b.index);
  const first = timed.length > 0 ? timed[0].time : 0;
  return timed.map((t) => ({ line: t.line, record: t.record, time: t.time, at: (t.time - first) / 1000 / speedup }));
}
