import { IngestionLogRow } from "../../schemas/catalog";
import { formatTimestamp, utcDay } from "../../schemas/timestamp";
import { registerModule } from "../core/registry";

/** A snapshot file as a run found it: where, its table, its MD5 (hex) and size as stored, and whether that MD5 equals the last logged one. */
export interface SnapshotFileInfo {
  readonly path: string;
  readonly name: string;
  readonly table: string;
  readonly md5: string;
  readonly size: number;
  readonly unchanged: boolean;
}

/** What a file gave: data lines read, rows its table holds from it, lines sent to dead_letter. */
export interface FileCounts {
  readonly read: number;
  readonly stored: number;
  readonly dead: number;
}

/** The ingestion_log row of one file and run (an unchanged file: skipped, nothing read); `startedAt`, `finishedAt` epoch microseconds. */
export function ingestionLogRow(file: SnapshotFileInfo, counts: FileCounts, startedAt: number, finishedAt: number): IngestionLogRow {
  return {
    ingestion_id: `${formatTimestamp(startedAt)}/${file.name}`,
    file_name: file.name,
    file_path: file.path,
    table_name: file.table,
    md5: file.md5,
    size_bytes: file.size,
    skipped_unchanged: file.unchanged,
    rows_read: file.unchanged ? 0 : counts.read,
    rows_stored: file.unchanged ? 0 : counts.stored,
    rows_dead_lettered: file.unchanged ? 0 : counts.dead,
    started_at: startedAt,
    finished_at: finishedAt,
    run_date: utcDay(startedAt),
  };
}

/** The file a dead letter's `source` (`file:line`) names. */
export const fileOfOrigin = (source: string): string => source.slice(0, source.lastIndexOf(":"));

registerModule("transforms/catalog/ingestion-log", module.exports);
