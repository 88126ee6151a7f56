import { registerModule } from "./registry";
import { DeadLetter } from "../../schemas/dead-letter";
import { contentId } from "./ids";
import { utcDay } from "../../schemas/timestamp";
import { Rejection } from "./validate";

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
    reason: rejection.reason,
    received_at: receivedAt,
    run_date: utcDay(receivedAt),
  };
}

registerModule("transforms/core/dead-letter", module.exports);
