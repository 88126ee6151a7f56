import { fieldSpecs, RowOf, tableSpec } from "./table";

const deadLetterFields = fieldSpecs([
  { name: "dead_letter_id", type: "UUID", mode: "REQUIRED", description: "Stable id of the rejected record: a hash of pipeline, source and payload, so a re-read record is stored once." },
  { name: "pipeline", type: "STRING", mode: "REQUIRED", description: "Pipeline that rejected the record." },
  { name: "source", type: "STRING", mode: "REQUIRED", description: "Where the record came from: file:line, or subscription#messageId." },
  { name: "payload", type: "STRING", mode: "REQUIRED", description: "The record exactly as received." },
  { name: "reason_code", type: "STRING", mode: "REQUIRED", description: "Machine-readable class of the rejection (invalid_json, missing_field, ...)." },
  { name: "reason", type: "STRING", mode: "REQUIRED", description: "Human-readable reason, naming the field and value at fault." },
  { name: "received_at", type: "TIMESTAMP", mode: "REQUIRED", description: "When the pipeline read the record (UTC)." },
  { name: "run_date", type: "DATE", mode: "REQUIRED", description: "UTC date of received_at; the partition column." },
] as const);

/** Every record a pipeline could not accept, with why: nothing is dropped silently. */
export const deadLetter = tableSpec({
  name: "dead_letter",
  description: "Records a pipeline rejected, with the raw payload and the reason.",
  fields: deadLetterFields,
  key: ["dead_letter_id"],
  partitionField: "run_date",
  clustering: ["pipeline", "reason_code"],
} as const);

export type DeadLetter = RowOf<typeof deadLetterFields>;
