import { formatCount } from "../format";
import { RunReport, SummaryLine } from "../definition";
import { ingestionLog, IngestionLogRow } from "../../schemas/catalog";
import { Row } from "../../schemas/table";

/** One line per input file: skipped as unchanged, or the rows it gave. */
export class CatalogReport implements RunReport {
  private readonly files: IngestionLogRow[] = [];

  observe(table: string, rows: readonly Row[]): void {
    if (table === ingestionLog.name) this.files.push(...(rows as readonly IngestionLogRow[]));
  }

  render(): SummaryLine[] {
    return this.files.map((f): SummaryLine => {
      const md5 = `MD5 ${f.md5.slice(0, 12)}...`;
      if (f.skipped_unchanged) return [f.file_name, `unchanged (${md5}), skipped; ${f.table_name} kept`];
      return [f.file_name, `${md5}: ${formatCount(f.rows_read)} lines -> ${formatCount(f.rows_stored)} rows of ${f.table_name} + ${formatCount(f.rows_dead_lettered)} dead letters`];
    });
  }
}
