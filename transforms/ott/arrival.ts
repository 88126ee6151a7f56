import { registerModule } from "../core/registry";
import { OttEvent } from "../../schemas/ott";
import { currentBundle } from "../core/bundle-context";
import { Arrival, DUPLICATE } from "../core/parse";
import { formatTimestamp } from "../../schemas/timestamp";
import { reject, Rejection } from "../core/validate";

export interface ArrivalParams {
  /** Events stamped more than this ahead of their arrival cannot be right (a client clock off by years). */
  maxFutureMicros: number;
}

/**
 * Admits a decoded event, or says why not. `future_timestamp` (a dead letter)
 * when it is stamped more than the allowed bound ahead of the time it
 * arrived: such an event would otherwise pull event time forward and make
 * every later event look late. A repeated `event_id` (a publisher retry, a
 * redelivery, a repeated line) is a duplicate: skipped, so the views count
 * every event once; the runner says which ids earlier commits already
 * counted (currentBundle.skipKeys). Lateness is not judged here: it is a
 * matter of windows and the watermark (windowed-view.ts), and a late event is
 * still a fact for `user_events`.
 */
export function admitEvent(event: OttEvent, params: ArrivalParams, arrival: Arrival): Rejection | typeof DUPLICATE | null {
  if (event.timestamp > arrival.receivedAt + params.maxFutureMicros) {
    const ahead = Math.round((event.timestamp - arrival.receivedAt) / 1e6);
    return reject(
      "future_timestamp",
      `event time ${formatTimestamp(event.timestamp)} is ${ahead} s ahead of its arrival (${formatTimestamp(arrival.receivedAt)}), more than the ${params.maxFutureMicros / 1e6} s allowed`,
    );
  }
  if (currentBundle.skipKeys.has(event.event_id) || arrival.seen.has(event.event_id)) return DUPLICATE;
  arrival.seen.add(event.event_id);
  return null;
}

registerModule("transforms/ott/arrival", module.exports);
