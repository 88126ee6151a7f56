import { DuckDbSink } from "../io/sinks/duckdb-sink";
import { alertsPipeline } from "../pipelines/alerts/pipeline";
import { PlaybackGenerator } from "../publisher/generators/playback";
import { decodePlaybackEvent, detectAlerts } from "../transforms/playback/alerts";
async function main() {
  const g = new PlaybackGenerator({ seed: 1 });
  const events: any[] = [];
  for (let i = 0; i < 150000; i++) { const e: any = decodePlaybackEvent(g.next()); e.event_type = "error"; events.push(e); }
  const rows = detectAlerts(events, 4000);
  const sink = new DuckDbSink("/tmp/sinktry.duckdb");
  await sink.open(alertsPipeline.tables);
  const t0 = Date.now();
  for (let i = 0; i < rows.length; i += Number(process.argv[2])) await sink.write(new Map([["video_playback_alerts", rows.slice(i, i + Number(process.argv[2]))]]));
  console.log("write ms", Date.now() - t0);
  await sink.close();
}
main();
