/**
 * A dashboard panel as data: a query of the warehouse and how to draw its
 * rows. The dashboard server (runners/dashboard) runs the query and the page
 * draws it; the pipelines only say what is worth looking at, as they say
 * what their summary reports.
 */
export interface Panel {
  /** Unique within its pipeline's page; the page's element ids use it. */
  readonly id: string;
  readonly title: string;
  /**
   * bar: one bar per x; stacked: bars of x stacked by series; line: series
   * over time (x in epoch milliseconds); doughnut: shares of x.
   */
  readonly chart: "bar" | "stacked" | "line" | "doughnut";
  /** The tables it reads: until they exist it shows its empty state; their last commit is its "last committed". */
  readonly tables: readonly string[];
  /** Rows of (x, y) or (x, series, y), in the order to draw them. */
  readonly sql: string;
  /** What y counts, for the axis. */
  readonly unit: string;
}

/** A quoted SQL string literal. */
const literal = (text: string): string => `'${text.replace(/'/g, "''")}'`;

/**
 * SQL of a series over time: `count` per time bucket of `column` in `from`,
 * by `series`, with buckets of whole minutes sized so the span has about 100.
 */
export function overTime(from: string, column: string, series: string, count = "count(*)", where = "TRUE"): string {
  return (
    `WITH src AS (SELECT * FROM ${from} WHERE ${where}), ` +
    `size AS (SELECT CAST(greatest(1, ceil((epoch_ms(max(${column})) - epoch_ms(min(${column}))) / 60000 / 100)) AS BIGINT) * 60000 AS ms FROM src) ` +
    `SELECT (epoch_ms(${column}) // size.ms) * size.ms AS x, ${series} AS series, ${count} AS y FROM src, size GROUP BY ALL ORDER BY x, series`
  );
}

/** Every pipeline's dead letters over time by reason (from the dead_letter table). */
export function deadLettersPanel(pipeline: string): Panel {
  return {
    id: "dead-letters",
    title: "Dead letters by reason over time",
    chart: "line",
    tables: ["dead_letter"],
    sql: overTime("dead_letter", "received_at", "reason_code", "count(*)", `pipeline = ${literal(pipeline)}`),
    unit: "dead letters",
  };
}

/** The top `n` values of `label` in `table` by `measure`, as bars. */
export function topPanel(id: string, title: string, table: string, label: string, n: number, measure = "count(*)", unit = "rows", where = "TRUE"): Panel {
  return { id, title, chart: "bar", tables: [table], sql: `SELECT ${label} AS x, ${measure} AS y FROM ${table} WHERE ${where} GROUP BY 1 ORDER BY y DESC, x LIMIT ${n}`, unit };
}
