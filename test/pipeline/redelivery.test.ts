import { expect } from "chai";
import { join } from "path";
import { DuckDbSink } from "../../io/sinks/duckdb-sink";
import { Source } from "../../io/sources/source";
import { PipelineDefinition } from "../../pipelines/definition";
import { PIPELINES } from "../../pipelines/registry";
import { ConversationGenerator } from "../../samples/conversations";
import { OTT_START_MICROS, OttGenerator } from "../../samples/ott";
import { drive, RunStats } from "../../runners/direct/driver";
import { CommitReport } from "../../runners/direct/committer";
import { inlineExecutor } from "../../runners/direct/inline-executor";
import { MessageChunk } from "../../transforms/core/chunk";
import { query, tempDir, warehouseTables } from "../helpers";

/** A message as Pub/Sub delivers it: its id (kept on every redelivery) and its data. */
interface Message {
  id: string;
  data: string;
}

/**
 * A subscription's pull side, as the Pub/Sub source presents it: unbounded,
 * micro-batches of messages with their ids and a fresh ack id per delivery.
 * Like Pub/Sub, it refuses an ack id it never handed out. With
 * `crashAfterCommits`, the process "dies" between a commit and its
 * acknowledgement: that acknowledge throws, so the committed messages are
 * never acked and a later run gets them again. With `quiet`, the stream
 * goes quiet after its last message for as long as `quiet` takes.
 */
class Subscription implements Source {
  readonly description = "projects/test/subscriptions/double";
  readonly bounded = false;
  private readonly handedOut = new Set<string>();
  private acks = 0;

  constructor(
    private readonly messages: readonly Message[],
    private readonly batch: number,
    private readonly crashAfterCommits = Infinity,
    private readonly quiet?: () => Promise<void>,
  ) {}

  async *chunks(): AsyncGenerator<MessageChunk> {
    for (let i = 0; i < this.messages.length; i += this.batch) {
      const batch = this.messages.slice(i, i + this.batch);
      const ackIds = batch.map((m) => `ack:${m.id}:${this.handedOut.size}`);
      for (const id of ackIds) this.handedOut.add(id);
      yield { kind: "messages", source: this.description, ids: batch.map((m) => m.id), ackIds, payloads: batch.map((m) => m.data), receivedAt: Date.now() * 1000 };
    }
    await this.quiet?.();
  }

  async acknowledge(ackIds: readonly string[]): Promise<void> {
    for (const id of ackIds) if (!this.handedOut.has(id)) throw new Error(`INVALID_ARGUMENT: unknown ack id ${id}`);
    if (ackIds.length > 0 && ++this.acks > this.crashAfterCommits) throw new Error("crashed between the commit and its acknowledgement");
  }
}

const defaults = (definition: PipelineDefinition<unknown>): Record<string, unknown> =>
  Object.fromEntries(definition.options.filter((o) => o.default !== undefined).map((o) => [o.name, o.default]));

/** One run of `pipeline` from `source` into `warehouse`, a commit per micro-batch, as a restart of the process would run it. */
async function run(pipeline: string, source: Source, warehouse: string): Promise<RunStats> {
  const definition = PIPELINES[pipeline];
  // A lateness longer than the data's span: no window expires, so runs in any order of crashes give the same views.
  const options = { ...defaults(definition), allowedLatenessSec: 86_400 };
  const sink = new DuckDbSink(warehouse);
  await sink.open(definition.tables, definition.merges);
  try {
    return await drive(source, sink, inlineExecutor(definition, options), () => undefined, { definition, bundleBytes: 1, maxInFlight: 2, commit: { maxRows: 1, maxDelayMs: 0, checkpointCommits: 3, checkpointMs: 60_000 } });
  } finally {
    await sink.close();
  }
}

const SAMPLES: Record<string, () => string[]> = {
  ott: () => [...new OttGenerator({ seed: 4, startMicros: OTT_START_MICROS, meanGapMicros: 200_000, delayedShare: 0, veryLateShare: 0 }).lines(1200)],
  conversations: () => new ConversationGenerator({ seed: 4, conversations: 200 }).lines(),
};

describe("Pub/Sub redelivery on the direct runner (a subscription double)", () => {
  const dir = tempDir();

  for (const [pipeline, sample] of Object.entries(SAMPLES)) {
    describe(pipeline, () => {
      const messages = sample().map((data, i) => ({ id: String(10_000 + i), data }));
      const clean = join(dir, `${pipeline}-clean.duckdb`);
      let once: Record<string, Record<string, unknown>[]>;

      before(async () => {
        await run(pipeline, new Subscription(messages, 100), clean);
        once = await warehouseTables(clean);
      });

      it("a crash between commit and acknowledgement, then the redelivery of every message, leaves every table as one clean run", async () => {
        const warehouse = join(dir, `${pipeline}-crashed.duckdb`);
        let crash: Error | undefined;
        await run(pipeline, new Subscription(messages, 100, 3), warehouse).catch((e: Error) => (crash = e));
        expect(crash?.message).to.equal("crashed between the commit and its acknowledgement");
        const redelivered = await run(pipeline, new Subscription(messages, 100), warehouse);
        expect(redelivered.skippedUnits, "messages the crashed run committed").to.be.at.least(400);
        const got = await warehouseTables(warehouse);
        for (const [name, rows] of Object.entries(once)) expect(got[name], name).to.deep.equal(rows);
      });

      it("events published twice (same event id, new message ids) in a later run count once", async () => {
        const warehouse = join(dir, `${pipeline}-republished.duckdb`);
        await run(pipeline, new Subscription(messages, 100), warehouse);
        // A publisher retry: every third message again, under new message ids, shuffled in with nothing new.
        const retried = messages.filter((_, i) => i % 3 === 0).map((m, i) => ({ id: String(90_000 + i), data: m.data }));
        const second = await run(pipeline, new Subscription(retried, 50), warehouse);
        expect(second.skippedUnits).to.equal(0);
        expect(await warehouseTables(warehouse)).to.deep.equal(once);
      });
    });
  }

  it("a stream gone quiet gets its views' rows at the next checkpoint, without waiting for more messages", async () => {
    const definition = PIPELINES.ott;
    const sink = new DuckDbSink(join(dir, "ott-quiet.duckdb"));
    await sink.open(definition.tables, definition.merges);
    const messages = SAMPLES.ott().slice(0, 200).map((data, i) => ({ id: String(i), data }));
    let rowsWhileQuiet = -1;
    const quiet = async (): Promise<void> => {
      await new Promise((resolve) => setTimeout(resolve, 8_000));
      rowsWhileQuiet = await sink.rowCount("ott_viewers_per_title");
    };
    try {
      // One commit, not a checkpoint unless it comes after 3 s; the checkpoint must follow it within 3 s all the same.
      const policy = { maxRows: 1, maxDelayMs: 0, checkpointCommits: 100, checkpointMs: 3_000 };
      const options = { ...defaults(definition), allowedLatenessSec: 86_400 };
      await drive(new Subscription(messages, 200, Infinity, quiet), sink, inlineExecutor(definition, options), () => undefined, { definition, bundleBytes: 1, maxInFlight: 2, commit: policy });
    } finally {
      await sink.close();
    }
    expect(rowsWhileQuiet).to.be.greaterThan(0);
  });

  it("a commit keeps its messages' payloads only when a bundle may run again (ott's countedOnceBy), and acknowledges every message either way", async () => {
    for (const pipeline of ["conversations", "ott"]) {
      const definition = PIPELINES[pipeline];
      const sink = new DuckDbSink(join(dir, `${pipeline}-kept.duckdb`));
      await sink.open(definition.tables, definition.merges);
      const messages = SAMPLES[pipeline]().slice(0, 300).map((data, i) => ({ id: String(i), data }));
      const kept = { ids: 0, payloads: 0 };
      try {
        const options = { ...defaults(definition), allowedLatenessSec: 86_400 };
        const onCommit = (_: unknown, commit: CommitReport): void => {
          for (const chunk of commit.chunks as MessageChunk[]) {
            kept.ids += chunk.ids.length;
            kept.payloads += chunk.payloads.length;
          }
        };
        const policy = { maxRows: 1, maxDelayMs: 0, checkpointCommits: 3, checkpointMs: 60_000 };
        await drive(new Subscription(messages, 100), sink, inlineExecutor(definition, options), () => undefined, { definition, bundleBytes: 1, maxInFlight: 2, commit: policy, onCommit });
      } finally {
        await sink.close();
      }
      expect(kept, pipeline).to.deep.equal({ ids: 300, payloads: pipeline === "ott" ? 300 : 0 });
    }
  });

  it("ott reports republished events as duplicates counted once, not dead letters", async () => {
    const warehouse = join(dir, "ott-duplicates.duckdb");
    const messages = SAMPLES.ott().slice(0, 300).map((data, i) => ({ id: String(i), data }));
    await run("ott", new Subscription(messages, 100), warehouse);
    const again = await run("ott", new Subscription(messages.map((m) => ({ id: `r${m.id}`, data: m.data })), 100), warehouse);
    expect(again.counters.duplicate_records).to.equal(300);
    expect(await query(warehouse, "SELECT count(*) AS n FROM dead_letter")).to.deep.equal([{ n: "0" }]);
    expect(await query(warehouse, "SELECT sum(events) AS n FROM ott_viewers_per_title")).to.deep.equal([{ n: "300" }]);
  });
});
