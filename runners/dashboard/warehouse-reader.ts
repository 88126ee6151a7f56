import { existsSync } from "fs";
import { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";

/** A panel query's rows: x (a label, or epoch ms), series (or null), y. */
export type PanelRow = [x: string | number, series: string | null, y: number];

/**
 * Read queries on the warehouse: through a connection of the running
 * pipeline's own DuckDB instance while it writes (DuckDB allows one writing
 * process; its connections see each commit), or through the file opened
 * read-only when no run of this process holds it.
 */
export class WarehouseReader {
  private constructor(
    private readonly connection: DuckDBConnection,
    /** The read-only instance this reader opened itself, closed with it. */
    private readonly instance?: DuckDBInstance,
  ) {}

  /** Over a connection of a running sink's instance. */
  static ofConnection(connection: DuckDBConnection): WarehouseReader {
    return new WarehouseReader(connection);
  }

  /** The file, read-only; undefined when there is no file yet (nothing committed: every panel is empty). */
  static async ofFile(path: string): Promise<WarehouseReader | undefined> {
    if (!existsSync(path)) return undefined;
    const instance = await DuckDBInstance.create(path, { access_mode: "READ_ONLY" });
    return new WarehouseReader(await instance.connect(), instance);
  }

  /** Names of the tables in the warehouse. */
  async tables(): Promise<Set<string>> {
    const reader = await this.connection.runAndReadAll("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'");
    return new Set(reader.getRows().map((r) => String(r[0])));
  }

  /** A panel's rows: columns x, y or x, series, y (line charts: x in epoch ms). */
  async panelRows(sql: string, timeAxis: boolean): Promise<PanelRow[]> {
    const reader = await this.connection.runAndReadAll(sql);
    const columns = reader.columnNames();
    const at = (name: string): number => columns.indexOf(name);
    const x = at("x"), series = at("series"), y = at("y");
    return reader.getRowsJson().map((row) => [
      timeAxis ? Number(row[x]) : String(row[x] ?? "(none)"),
      series < 0 || row[series] === null ? null : String(row[series]),
      Number(row[y]),
    ]);
  }

  /** Epoch ms of the last commit of `pipeline` the ledger recorded, or null. */
  async lastCommit(pipeline: string): Promise<number | null> {
    if (!(await this.tables()).has("__committed_units")) return null;
    const reader = await this.connection.runAndReadAll("SELECT epoch_ms(max(committed_at)) FROM __committed_units WHERE pipeline = $pipeline", { pipeline });
    const value = reader.getRowsJson()[0]?.[0];
    return value === null || value === undefined ? null : Number(value);
  }

  close(): void {
    this.connection.closeSync();
    this.instance?.closeSync();
  }
}
