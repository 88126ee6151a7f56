import { BigQuerySink } from "../io/sinks/bigquery-sink";
import { DuckDbSink } from "../io/sinks/duckdb-sink";
import { JsonlSink } from "../io/sinks/jsonl-sink";
import { Sink } from "../io/sinks/sink";
import { StdoutSink } from "../io/sinks/stdout-sink";
import { RunSettings } from "./settings";

/** The sink a run's settings name: the direct runner's, and a flink or universal run's with LOOPBACK workers. */
export function createSink(pipeline: string, settings: RunSettings): Sink {
  switch (settings.sink) {
    case "jsonl":
      return new JsonlSink(settings.outputDir);
    case "stdout":
      return new StdoutSink();
    case "bigquery":
      return new BigQuerySink({ project: settings.project, dataset: settings.dataset, pipeline });
    case "duckdb":
      return new DuckDbSink(settings.warehouse);
  }
}
