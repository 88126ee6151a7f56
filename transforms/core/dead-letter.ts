import { registerModule } from "./registry";
import { DeadLetter } from "../../schemas/dead-letter";
import { contentId } from "./ids";
import { utcDay } from "../../schemas/timestamp";
import { Rejection } from "./validate";

/** The reason with the integer as the record wrote it, not as JSON.parse rounded it (the reason ends with "got <rounded>"). */
function withExactInteger(reason: string, field: string, payload: string): string {
  const written = new RegExp(`"${field}"\\s*:\\s*(-?\\d+(?:\\.\\d+)?(?:[eE][-+]?\\d+)?)`).exec(payload);
  return written === null ? reason : reason.replace(/got \S+$/, `got ${written[1]}`);
}

/** A dead-letter row for a rejected record. Its id is stable across re-reads of the same record. */
export function deadLetterOf(pipeline: string, source: string, payload: string, rejection: Rejection, receivedAt: number): DeadLetter {
  const id = contentId(`${pipeline}\n${source}\n${payload}`);
  return {
    dead_letter_id: id,
    pipeline,
    source,
    // A copy: the payload is a slice of its whole chunk's text, which it would otherwise keep alive.
    payload: Buffer.from(payload, "utf8").toString("utf8"),
    reason_code: rejection.code,
    reason: rejection.inexactInteger === undefined ? rejection.reason : withExactInteger(rejection.reason, rejection.inexactInteger, payload),
    received_at: receivedAt,
    run_date: utcDay(receivedAt),
  };
}

registerModule("transforms/core/dead-letter", module.exports);
