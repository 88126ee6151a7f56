import { stat } from "fs/promises";
import { BigQuerySink } from "../io/sinks/bigquery-sink";
import { DuckDbSink } from "../io/sinks/duckdb-sink";
import { JsonlSink } from "../io/sinks/jsonl-sink";
import { Sink } from "../io/sinks/sink";
import { StdoutSink } from "../io/sinks/stdout-sink";
import { warehouseFileProblem } from "../io/sinks/warehouse-file";
import { RunSettings, SettingsError } from "./settings";

/**
 * The sink a run's settings name: the direct runner's, and a flink or
 * universal run's with LOOPBACK workers. `notice` is told of calls to a
 * remote sink (BigQuery) that are slow or retried.
 */
export function createSink(pipeline: string, settings: RunSettings, notice?: (line: string) => void): Sink {
  switch (settings.sink) {
    case "jsonl":
      return new JsonlSink(settings.outputDir);
    case "stdout":
      return new StdoutSink();
    case "bigquery":
      return new BigQuerySink({ project: settings.project, dataset: settings.dataset, pipeline, notice });
    case "duckdb":
      return new DuckDbSink(settings.warehouse, settings.warehouseMemoryMb);
  }
}

/** A warehouse that is not a DuckDB file, or an output directory that is a file: refused before anything runs. */
export async function checkLocalSink(settings: RunSettings): Promise<void> {
  const warehouseProblem = settings.sink === "duckdb" ? await warehouseFileProblem(settings.warehouse) : undefined;
  if (warehouseProblem !== undefined) throw new SettingsError(warehouseProblem);
  const outputDir = settings.sink === "jsonl" ? await stat(settings.outputDir).catch(() => undefined) : undefined;
  if (settings.sink === "jsonl" && outputDir !== undefined && !outputDir.isDirectory()) throw new SettingsError(`--outputDir ${settings.outputDir} is a file: give a directory (created if missing)`);
}
