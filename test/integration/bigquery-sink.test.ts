import { expect } from "chai";
import { bigQueryClient } from "../../io/bigquery/client";
import { RetryClock, RetryPolicy } from "../../io/bigquery/retry";
import { stateTable, versionsTable } from "../../io/bigquery/tables";
import { BigQuerySink } from "../../io/sinks/bigquery-sink";
import { TableBatch } from "../../io/sinks/sink";
import { Source } from "../../io/sources/source";
import { AlertsOptions, alertsPipeline } from "../../pipelines/alerts/pipeline";
import { DEFAULT_BUFFER_THRESHOLD_MS } from "../../transforms/playback/alerts";
import { PIPELINES } from "../../pipelines/registry";
import { PlaybackGenerator } from "../../samples/playback";
import { drive } from "../../runners/direct/driver";
import { inlineExecutor } from "../../runners/direct/inline-executor";
import { bigQuerySchema } from "../../schemas/bigquery";
import { deadLetter } from "../../schemas/dead-letter";
import { rowKey } from "../../schemas/json";
import { videoPlaybackAlerts } from "../../schemas/playback";
import { Row, TableSpec } from "../../schemas/table";
import { contentId } from "../../transforms/core/ids";
import { MessageChunk } from "../../transforms/core/chunk";
import { BigQueryServer, RecordedRequest } from "../support/bigquery-server";

const PROJECT = "test-project";
const DATASET = "analytics_test";
const POLICY: RetryPolicy = { maxAttempts: 4, initialDelayMs: 100, maxDelayMs: 1_000, attemptTimeoutMs: 10_000 };

/** Records the backoffs the sink asks for instead of waiting them. */
class FakeClock implements RetryClock {
  readonly sleeps: number[] = [];
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
  }
  random(): number {
    return 0.5;
  }
}

/** Alert rows as the pipeline makes them, from generated playback events. */
function alertRows(count: number, seed = 7): Row[] {
  return [...new PlaybackGenerator({ seed }).lines(count)].map((line) => {
    const e = JSON.parse(line);
    const ms = Date.parse(e.event_timestamp);
    return { ...e, event_timestamp: ms * 1000, run_date: Math.floor(ms / 86_400_000) };
  });
}

const insertIdOf = (table: TableSpec, row: Row): string => contentId(`${table.name}\n${rowKey(table, row)}`);
const isInsertAll = (table: string) => (r: RecordedRequest): boolean => r.path.endsWith(`/tables/${table}/insertAll`);
const batchOf = (table: string, rows: Row[]): TableBatch => new Map([[table, rows]]);

describe("BigQuery sink against the local BigQuery API server", function () {
  this.timeout(60_000);
  let server: BigQueryServer;
  let endpoint: string;
  let clock: FakeClock;

  beforeEach(async () => {
    server = new BigQueryServer();
    endpoint = await server.start();
    clock = new FakeClock();
  });
  afterEach(() => server.stop());

  function sink(settings: { maxRows?: number; maxBytes?: number; retry?: RetryPolicy } = {}): BigQuerySink {
    return new BigQuerySink({
      project: PROJECT,
      dataset: DATASET,
      pipeline: "alerts",
      client: bigQueryClient({ project: PROJECT, endpoint }),
      retry: settings.retry ?? POLICY,
      clock,
      limits: { maxRows: settings.maxRows ?? 500, maxBytes: settings.maxBytes ?? 8_000_000 },
    });
  }

  async function openAlerts(s = sink()): Promise<BigQuerySink> {
    await s.open(alertsPipeline.tables, alertsPipeline.merges);
    return s;
  }

  const tableCreations = (): any[] => server.requests.filter((r) => r.method === "POST" && r.path.endsWith("/tables")).map((r) => r.body);

  it("creates the dataset and every pipeline's tables from the schema source: schema, DAY partitioning, clustering", async () => {
    for (const pipeline of Object.values(PIPELINES)) await sink().open(pipeline.tables, pipeline.merges);
    expect(server.requests[0]).to.include({ method: "GET", path: `/bigquery/v2/projects/${PROJECT}/datasets/${DATASET}` });
    expect(server.requests[1]).to.include({ method: "POST", path: `/bigquery/v2/projects/${PROJECT}/datasets` });
    expect(server.requests[1].body.datasetReference.datasetId).to.equal(DATASET);
    const created = new Map(tableCreations().map((b) => [b.tableReference.tableId, b]));
    for (const pipeline of Object.values(PIPELINES)) {
      for (const spec of pipeline.tables) {
        const physical = pipeline.merges?.has(spec.name) ? [versionsTable(spec), stateTable(spec)] : [spec];
        for (const table of physical) {
          const body = created.get(table.name);
          expect(body, table.name).to.not.equal(undefined);
          expect(body.schema.fields, table.name).to.deep.equal(bigQuerySchema(table));
          expect(body.timePartitioning, table.name).to.deep.equal({ type: "DAY", field: table.partitionField });
          expect(body.clustering, table.name).to.deep.equal({ fields: table.clustering });
        }
      }
    }
    expect(created.get("video_playback_alerts").clustering).to.deep.equal({ fields: ["city", "isp"] });
    const view = created.get("customer_courier_conversations");
    expect(view.view.useLegacySql).to.equal(false);
    expect(view.view.query).to.match(/FROM `test-project\.analytics_test\.customer_courier_conversations__versions` .*PARTITION BY merge_key ORDER BY merge_version DESC/);
  });

  it("leaves existing tables alone on a second open, and refuses a table whose columns differ", async () => {
    await openAlerts();
    const before = server.requests.length;
    await openAlerts();
    expect(server.requests.slice(before).map((r) => r.method)).to.deep.equal(["GET", "GET", "GET"]);
    const stored = server.tables.get(`${PROJECT}.${DATASET}.video_playback_alerts`)!;
    stored.resource.schema.fields = stored.resource.schema.fields.slice(1);
    const error = await openAlerts().then(() => undefined, (e: Error) => e);
    expect(error?.message).to.match(/^BigQuery table test-project:analytics_test\.video_playback_alerts has columns \(session_id INT64 REQUIRED.*\), expected \(event_id INT64 REQUIRED/);
  });

  it("streams rows in requests within the row and byte limits, each with an insertId derived from table and key", async () => {
    const s = await openAlerts(sink({ maxRows: 100 }));
    const rows = alertRows(250);
    const result = await s.write(batchOf("video_playback_alerts", rows));
    expect(result.get("video_playback_alerts")).to.deep.equal({ stored: 250, duplicates: 0 });
    const requests = server.insertAlls("video_playback_alerts");
    expect(requests.map((r) => r.body.rows.length)).to.deep.equal([100, 100, 50]);
    for (const r of requests) expect(r.body).to.include({ skipInvalidRows: false, ignoreUnknownValues: false });
    const sent = requests.flatMap((r) => r.body.rows);
    expect(sent.map((r: any) => r.insertId)).to.deep.equal(rows.map((row) => insertIdOf(videoPlaybackAlerts, row)));
    expect(sent[0].json.event_timestamp).to.match(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
    expect(sent[0].json.run_date).to.match(/^\d{4}-\d{2}-\d{2}$/);

    const bySize = await openAlerts(sink({ maxBytes: 10_000 }));
    const before = server.insertAlls("video_playback_alerts").length;
    await bySize.write(batchOf("video_playback_alerts", alertRows(200, 8)));
    const sizes = server.insertAlls("video_playback_alerts").slice(before).map((r) => Buffer.byteLength(JSON.stringify(r.body.rows)));
    expect(sizes.length).to.be.greaterThan(1);
    for (const size of sizes) expect(size).to.be.at.most(10_000);
  });

  it("sends a key repeated within a write once, and a re-sent row has the same insertId so BigQuery keeps one", async () => {
    const s = await openAlerts();
    const rows = alertRows(20);
    expect((await s.write(batchOf("video_playback_alerts", [...rows, ...rows.slice(0, 5)]))).get("video_playback_alerts")).to.deep.equal({ stored: 20, duplicates: 5 });
    await s.write(batchOf("video_playback_alerts", rows));
    const ids = server.insertAlls("video_playback_alerts").map((r) => r.body.rows.map((x: any) => x.insertId));
    expect(ids[1]).to.deep.equal(ids[0]);
    expect(server.rows(PROJECT, DATASET, "video_playback_alerts")).to.have.length(20);
  });

  for (const fault of [
    { name: "500 backendError", fault: { status: 500, reason: "backendError" } },
    { name: "503", fault: { status: 503, reason: "backendError" } },
    { name: "429 rateLimitExceeded", fault: { status: 429, reason: "rateLimitExceeded" } },
    { name: "a dropped connection", fault: { dropConnection: true as const } },
  ]) {
    it(`retries insertAll after ${fault.name} with backoff and jitter, same insertIds, and stores each row once`, async () => {
      const s = await openAlerts();
      server.inject(isInsertAll("video_playback_alerts"), 2, fault.fault);
      const rows = alertRows(300);
      await s.write(batchOf("video_playback_alerts", rows));
      const requests = server.insertAlls("video_playback_alerts");
      expect(requests).to.have.length(3);
      expect(requests[1].body.rows).to.deep.equal(requests[0].body.rows);
      expect(requests[2].body.rows).to.deep.equal(requests[0].body.rows);
      // random() = 0.5: half of 100 ms, then half of 200 ms.
      expect(clock.sleeps).to.deep.equal([50, 100]);
      expect(server.rows(PROJECT, DATASET, "video_playback_alerts").map((r) => r.event_id)).to.deep.equal(rows.map((r) => r.event_id));
    });
  }

  it("abandons a request that does not answer within the timeout and retries it", async () => {
    const s = await openAlerts(sink({ retry: { ...POLICY, attemptTimeoutMs: 300 } }));
    server.inject(isInsertAll("video_playback_alerts"), 1, { hang: true });
    await s.write(batchOf("video_playback_alerts", alertRows(10)));
    expect(server.insertAlls("video_playback_alerts")).to.have.length(2);
    expect(server.rows(PROJECT, DATASET, "video_playback_alerts")).to.have.length(10);
  });

  it("rejects the write after the retry budget, naming the table, attempts and last error", async () => {
    const s = await openAlerts();
    server.inject(isInsertAll("video_playback_alerts"), 100, { status: 503, reason: "backendError", message: "Service is unavailable" });
    const error = await s.write(batchOf("video_playback_alerts", alertRows(10))).then(() => undefined, (e: Error) => e);
    expect(error?.message).to.equal(`BigQuery: insertAll into ${PROJECT}:${DATASET}.video_playback_alerts failed after 4 attempts: HTTP 503 Service is unavailable`);
    expect(server.insertAlls("video_playback_alerts")).to.have.length(POLICY.maxAttempts);
  });

  it("retries rows failing for a transient reason within the batch's one retry budget", async () => {
    const s = await openAlerts();
    const rows = alertRows(10);
    let failures = 2;
    server.failRow = (table, row) => (table === "video_playback_alerts" && row.event_id === rows[3].event_id && failures-- > 0 ? "backendError" : undefined);
    await s.write(batchOf("video_playback_alerts", rows));
    expect(server.rows(PROJECT, DATASET, "video_playback_alerts").map((r) => r.event_id)).to.have.members(rows.map((r) => r.event_id));
    expect(server.rows(PROJECT, DATASET, "video_playback_alerts")).to.have.length(rows.length);
    expect(server.insertAlls("video_playback_alerts")).to.have.length(3);
    server.failRow = (table) => (table === "video_playback_alerts" ? "backendError" : undefined);
    const error = await s.write(batchOf("video_playback_alerts", alertRows(12).slice(10))).then(() => undefined, (e: Error) => e);
    expect(error?.message).to.match(/insertAll into .* failed after 4 attempts: rows failed with backendError/);
    expect(server.insertAlls("video_playback_alerts")).to.have.length(3 + POLICY.maxAttempts);
  });

  it("does not retry what cannot succeed (403 accessDenied)", async () => {
    const s = await openAlerts();
    server.inject(isInsertAll("video_playback_alerts"), 1, { status: 403, reason: "accessDenied", message: "Access Denied: Table" });
    const error = await s.write(batchOf("video_playback_alerts", alertRows(10))).then(() => undefined, (e: Error) => e);
    expect(error?.message).to.match(/^BigQuery: insertAll into .* failed: HTTP 403 Access Denied: Table$/);
    expect(server.insertAlls("video_playback_alerts")).to.have.length(1);
  });

  it("dead-letters rows BigQuery refuses as invalid, with its reason, and re-sends the stopped rest", async () => {
    const s = await openAlerts();
    server.rejectRow = (table, row) => (table === "video_playback_alerts" && row.city === "Medan" ? "Field city: value rejected by a row-level policy" : undefined);
    const rows = alertRows(400);
    const medan = rows.filter((r) => r.city === "Medan");
    expect(medan.length).to.be.greaterThan(0);
    const result = await s.write(batchOf("video_playback_alerts", rows));
    expect(result.get("video_playback_alerts")).to.deep.equal({ stored: rows.length - medan.length, duplicates: 0 });
    expect(result.get("dead_letter")).to.deep.equal({ stored: medan.length, duplicates: 0 });
    const first = server.insertAlls("video_playback_alerts")[0];
    expect(first.body.rows).to.have.length(400); // one request: refused whole, then again without the invalid rows
    expect(server.insertAlls("video_playback_alerts")[1].body.rows).to.have.length(rows.length - medan.length);
    expect(server.rows(PROJECT, DATASET, "video_playback_alerts").map((r) => r.event_id)).to.deep.equal(rows.filter((r) => r.city !== "Medan").map((r) => r.event_id));
    const letters = server.rows(PROJECT, DATASET, "dead_letter");
    expect(letters.map((l) => JSON.parse(l.payload as string).event_id)).to.deep.equal(medan.map((r) => r.event_id));
    expect(letters[0]).to.include({ pipeline: "alerts", reason_code: "bigquery_invalid", reason: "BigQuery refused the row of video_playback_alerts: Field city: value rejected by a row-level policy" });
    expect(letters[0].source).to.equal(`bigquery:${DATASET}.video_playback_alerts#${insertIdOf(videoPlaybackAlerts, medan[0])}`);
  });

  it("dead-letters a row that does not fit the table's schema with BigQuery's message", async () => {
    const s = await openAlerts();
    const rows = alertRows(5);
    const bad = { ...rows[2], event_type: null };
    await s.write(batchOf("video_playback_alerts", [rows[0], rows[1], bad, rows[3], rows[4]]));
    const letters = server.rows(PROJECT, DATASET, "dead_letter");
    expect(letters.map((l) => l.reason)).to.deep.equal(["BigQuery refused the row of video_playback_alerts (event_type): Missing required field: event_type."]);
    expect(server.rows(PROJECT, DATASET, "video_playback_alerts")).to.have.length(4);
  });

  it("writes the pipeline's own dead letters beside refused rows, keyed like the others", async () => {
    const s = await openAlerts();
    const letter = { dead_letter_id: "00000000-0000-0000-0000-000000000001", pipeline: "alerts", source: "f:1", payload: "{", reason_code: "invalid_json", reason: "not JSON", received_at: 1_700_000_000_000_000, run_date: 19675 };
    await s.write(new Map([["video_playback_alerts", alertRows(3)], ["dead_letter", [letter]]]));
    const request = server.insertAlls("dead_letter")[0];
    expect(request.body.rows[0].insertId).to.equal(insertIdOf(deadLetter, letter));
    expect(server.rows(PROJECT, DATASET, "dead_letter")).to.have.length(1);
  });

  /** Playback events as Pub/Sub-like message chunks whose acks are recorded. */
  class RecordingSource implements Source {
    readonly description = "recorded messages";
    readonly bounded = false;
    readonly acked: string[] = [];
    /** Rows stored in BigQuery at the moment of each acknowledgement. */
    readonly storedAtAck: number[] = [];
    constructor(private readonly chunks_: MessageChunk[]) {}
    async *chunks(): AsyncGenerator<MessageChunk> {
      for (const chunk of this.chunks_) yield chunk;
    }
    async acknowledge(ackIds: readonly string[]): Promise<void> {
      this.acked.push(...ackIds);
      this.storedAtAck.push(server.rows(PROJECT, DATASET, "video_playback_alerts").length);
    }
  }

  /** One message chunk of 500 lines, message ids counted from `first`. */
  function messageChunk(lines: string[], first: number): MessageChunk {
    const ids = lines.map((_l, j) => String(first + j));
    return { kind: "messages", source: "sub", ids, ackIds: ids.map((id) => `ack-${id}`), payloads: lines, receivedAt: 1_700_000_000_000_000 };
  }

  function messageSource(count: number): RecordingSource {
    const lines = [...new PlaybackGenerator({ seed: 3 }).lines(count)];
    const chunks: MessageChunk[] = [];
    for (let i = 0; i < lines.length; i += 500) chunks.push(messageChunk(lines.slice(i, i + 500), i));
    return new RecordingSource(chunks);
  }

  const options: AlertsOptions = { bufferThresholdMs: DEFAULT_BUFFER_THRESHOLD_MS, sampleEvents: 1 };
  const run = (source: Source, s: BigQuerySink) =>
    drive(source, s, inlineExecutor(alertsPipeline, options), () => undefined, {
      definition: alertsPipeline,
      bundleBytes: 1 << 20,
      maxInFlight: 2,
      commit: { maxRows: 50_000, maxDelayMs: 10 },
    });

  it("acknowledges a batch only after BigQuery accepted its rows, through retries", async () => {
    const source = messageSource(2000);
    server.inject(isInsertAll("video_playback_alerts"), 3, { status: 500, reason: "backendError" });
    await run(source, await openAlerts());
    expect(source.acked).to.have.length(2000);
    const total = server.rows(PROJECT, DATASET, "video_playback_alerts").length;
    expect(total).to.be.greaterThan(0);
    // Each ack saw its batch's rows already stored; the last saw all of them.
    expect(source.storedAtAck[source.storedAtAck.length - 1]).to.equal(total);
    for (const stored of source.storedAtAck) expect(stored).to.be.greaterThan(0);
  });

  it("acknowledges nothing while BigQuery never confirms a write (requests hang past the timeout)", async () => {
    const source = messageSource(1000);
    server.inject(isInsertAll("video_playback_alerts"), 1000, { hang: true });
    const s = await openAlerts(sink({ retry: { maxAttempts: 2, initialDelayMs: 10, maxDelayMs: 10, attemptTimeoutMs: 200 } }));
    const error = await run(source, s).then(() => undefined, (e: Error) => e);
    expect(error?.message).to.match(/^BigQuery: insertAll into .*video_playback_alerts failed after 2 attempts: /);
    expect(source.acked).to.deep.equal([]);
    expect(server.rows(PROJECT, DATASET, "video_playback_alerts")).to.deep.equal([]);
  });
});
