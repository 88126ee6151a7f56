import { alertsPipeline } from "../pipelines/alerts/pipeline";
import { drive } from "../runners/direct/driver";
import { WorkerPool } from "../runners/direct/worker-pool";
import { inlineExecutor } from "../runners/direct/inline-executor";
import { FileSource } from "../io/sources/file-source";
import { DuckDbSink } from "../io/sinks/duckdb-sink";
async function main() {
  const n = Number(process.argv[2] ?? 100000);
  const sink = new DuckDbSink("/tmp/try.duckdb");
  await sink.open(alertsPipeline.tables);
  const report = alertsPipeline.newReport();
  const pool = process.argv[4]==="0" ? null as any : new WorkerPool(Math.max(1,Number(process.argv[4] ?? 2)), { pipeline: "alerts", options: { bufferThresholdMs: 4000 } });
  const stats = await drive(new FileSource([process.argv[3]]), sink, (process.argv[4]==="0" ? inlineExecutor(alertsPipeline, { bufferThresholdMs: 4000 }) : pool.execute), report, { bundleBytes: Number(process.argv[5] ?? 4) << 20, maxInFlight: 3, commit: { maxRows: 50000, maxDelayMs: 1000 } });
  await pool?.close();
  await sink.close();
  console.log(stats.elapsedMs, stats.commits, stats.counters, report.render(), Math.round(n / stats.elapsedMs * 1000), "ev/s", process.memoryUsage().rss / 1e6);
}
main();
