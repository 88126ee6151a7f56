import { alertsPipeline } from "../pipelines/alerts/pipeline";
import { drive } from "../runners/direct/driver";
import { inlineExecutor } from "../runners/direct/inline-executor";
import { FileSource } from "../io/sources/file-source";
import { DuckDbSink } from "../io/sinks/duckdb-sink";
async function main() {
  const n = Number(process.argv[2] ?? 100000);
  const sink = new DuckDbSink("/tmp/try.duckdb");
  await sink.open(alertsPipeline.tables);
  const report = alertsPipeline.newReport();
  const stats = await drive(alertsPipeline, new FileSource([process.argv[3]]), sink, inlineExecutor(alertsPipeline, { bufferThresholdMs: 4000 }), report, { bundleBytes: 4 << 20, maxInFlight: 2 });
  await sink.close();
  console.log(stats, report.render(), Math.round(n / stats.elapsedMs * 1000), "ev/s", process.memoryUsage().rss / 1e6);
}
main();
