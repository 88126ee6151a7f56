import { expect } from "chai";
import { parseArgs, ParsedArgs } from "../../cli/args";
import { DEFAULT_WAREHOUSE } from "../../io/sinks/duckdb-sink";
import { DataflowSettings, DirectSettings, FlinkSettings, RunSettings } from "../../runners/settings";

const settingsOf = (argv: string[]): RunSettings => (parseArgs(argv) as ParsedArgs).settings;

function direct(settings: RunSettings): DirectSettings {
  if (settings.runner !== "direct") throw new Error(`expected the direct runner, got ${settings.runner}`);
  return settings;
}

describe("run settings, typed from the option specs", () => {
  it("give the direct runner its defaults, and a flag that depends on another only with it", () => {
    const settings = direct(settingsOf(["alerts"]));
    expect(settings).to.include({ source: "file", sink: "duckdb", streaming: false, maxBatch: 1000, directNumWorkers: 1 });
    if (settings.sink !== "duckdb") throw new Error("the default sink is duckdb");
    const warehouse: string = settings.warehouse; // narrowed by the sink: no cast
    expect(warehouse).to.equal(DEFAULT_WAREHOUSE);
    const jsonl = direct(settingsOf(["alerts", "--sink", "jsonl"]));
    // @ts-expect-error --warehouse is not there unless --sink=duckdb
    const unnarrowed: string = jsonl.warehouse;
    expect(unnarrowed).to.equal(undefined);
  });

  it("give a portable runner what it needs, and none of the direct runner's flags", () => {
    const settings = settingsOf(["alerts", "--runner=dataflow", "--project=p", "--region=europe-west1", "--tempLocation=gs://test-bucket/temp", "--sdkContainerImage=worker:1"]);
    if (settings.runner !== "dataflow") throw new Error("expected dataflow");
    const dataflow: DataflowSettings = settings;
    const needed: [string, string, boolean, "pubsub", "bigquery"] = [dataflow.region, dataflow.dataset, dataflow.streaming, dataflow.source, dataflow.sink];
    expect(needed).to.deep.equal(["europe-west1", "video_analytics", true, "pubsub", "bigquery"]);
    // @ts-expect-error --maxBatch is the direct runner's
    expect(dataflow.maxBatch).to.equal(undefined);
  });

  it("give flink a local sink with its flags (LOOPBACK workers), where Dataflow's sink stays BigQuery", () => {
    const settings = settingsOf(["alerts", "--runner=flink", "--sink=duckdb", "--streaming=false"]);
    if (settings.runner !== "flink") throw new Error("expected flink");
    const flink: FlinkSettings = settings;
    if (flink.sink !== "duckdb") throw new Error("expected --sink=duckdb");
    const local: [string, number, boolean, number] = [flink.warehouse, flink.idleMs, flink.streaming, flink.paneDelaySec];
    expect(local).to.deep.equal([DEFAULT_WAREHOUSE, 2000, false, 10]);
    expect(flink.environmentType).to.equal(undefined);
    const dataflow = settingsOf(["alerts", "--runner=dataflow", "--project=p", "--region=europe-west1", "--tempLocation=gs://test-bucket/temp", "--sdkContainerImage=worker:1"]);
    if (dataflow.runner !== "dataflow") throw new Error("expected dataflow");
    // @ts-expect-error a Dataflow job's rows go to BigQuery only
    const duckdb: "duckdb" = dataflow.sink;
    expect(duckdb).to.equal("bigquery");
    // @ts-expect-error --idleMs applies to the direct runner and to flink and universal
    expect(dataflow.idleMs).to.equal(undefined);
  });
});
