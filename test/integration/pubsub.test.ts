import { expect } from "chai";
import { OTT_VIEW_TABLES } from "../../schemas/ott";
import { OTT_START_MICROS, OttGenerator } from "../../samples/ott";
import { ChildProcess, spawn, spawnSync } from "child_process";
import { join } from "path";
import { subscriberApi } from "../../io/pubsub/client";
import { startEmulator } from "../../io/pubsub/emulator";
import { useEmulator } from "../support/emulator-suite";
import { spawnAsync } from "../support/run-async";
import { query, ROOT, runCli, runScript, summaryLine, tempDir, warehouseTables, writeLines } from "../helpers";

const PROJECT = "test-project";
const START = "2025-10-27T08:00:00Z";

/** The alert rule, written out independently: ids of alerting events among JSON lines. */
function alertIds(lines: readonly string[]): number[] {
  return lines
    .map((l) => JSON.parse(l))
    .filter((e) => e.event_type === "error" || e.buffer_duration_ms > 4000)
    .map((e) => Number(e.event_id))
    .sort((a, b) => a - b);
}

describe("Pub/Sub on the real emulator", function () {
  this.timeout(180_000);
  const dir = tempDir();
  const emu = useEmulator(PROJECT, { PUBSUB_PROJECT_ID: PROJECT });

  /** A fresh topic and subscription (ack deadline 10 s, the minimum, so redeliveries come quickly). */
  async function freshSubscription(name: string): Promise<string> {
    const topic = (await emu.pubsub.createTopic(name))[0];
    await topic.createSubscription(`${name}-sub`, { ackDeadlineSeconds: 10 });
    return `${name}-sub`;
  }

  function publish(topic: string, count: number, seed: number, extra: string[] = []): string[] {
    const args = ["playback", "--count", String(count), "--seed", String(seed), "--startTime", START, "--eps", "50000", ...extra];
    const sent = runScript("publisher/cli.js", [...args, "--topic", topic], { env: emu.env });
    expect(sent.status, sent.stderr).to.equal(0);
    const dry = runScript("publisher/cli.js", [...args, "--dry-run"], { env: emu.env });
    return dry.stdout.trim().split("\n");
  }

  /** `count` events of `pipeline` recorded to a file and replayed to `topic` at once: returns the file, for a batch run to compare with. */
  function publishRecorded(pipeline: string, topic: string, count: number, seed: number): string {
    const recorded = join(dir, `${topic}.jsonl`);
    const gen = runScript("publisher/cli.js", [pipeline, "--output", "file", "--out", recorded, "--count", String(count), "--eps", "100000", "--seed", String(seed), "--startTime", START], { env: emu.env });
    expect(gen.status, gen.stderr).to.equal(0);
    const replayed = runScript("publisher/cli.js", [pipeline, "--file", recorded, "--speedup", "1000000", "--topic", topic], { env: emu.env });
    expect(replayed.status, replayed.stderr).to.equal(0);
    return recorded;
  }

  function drain(subscription: string, warehouse: string, idleMs = 1500): ReturnType<typeof runCli> {
    const run = runCli(["alerts", "--source", "pubsub", "--subscription", subscription, "--warehouse", warehouse, "--idleMs", String(idleMs)], ROOT, emu.env);
    expect(run.status, run.stderr).to.equal(0);
    return run;
  }

  const storedIds = async (warehouse: string) =>
    (await query(warehouse, "SELECT event_id FROM video_playback_alerts ORDER BY event_id")).map((r) => Number(r.event_id));

  it("resources ensure creates topics, subscriptions and tables, and a second run changes nothing", async () => {
    const warehouse = join(dir, "ensure.duckdb");
    const first = runScript("cli/resources.js", ["ensure", "--warehouse", warehouse], { env: emu.env });
    expect(first.status, first.stderr).to.equal(0);
    expect(first.stdout).to.match(/created\s+subscription projects\/test-project\/subscriptions\/video-playback-events-sub/);
    expect(first.stdout).to.match(/created\s+table video_playback_alerts/);
    const metadata = (await emu.pubsub.subscription("video-playback-events-sub").getMetadata())[0];
    expect(metadata.ackDeadlineSeconds).to.equal(60);
    expect(metadata.deadLetterPolicy?.deadLetterTopic).to.equal(`projects/${PROJECT}/topics/video-playback-events-dead-letter`);
    expect(metadata.deadLetterPolicy?.maxDeliveryAttempts).to.equal(5);
    const second = runScript("cli/resources.js", ["ensure", "--warehouse", warehouse], { env: emu.env });
    expect(second.status).to.equal(0);
    const lines = second.stdout.trim().split("\n");
    expect(lines).to.have.length(first.stdout.trim().split("\n").length);
    for (const line of lines) expect(line).to.match(/^exists /);
    expect(lines.filter((l) => l.includes("subscriptions/customer-courier-conversations-sub"))).to.have.length(1);
  });

  it("resources ensure | head ends quietly with exit 0 when head is gone before it prints (no EPIPE stack)", () => {
    // `true` closes the pipe at once, as head does after its lines: every write of the listing then meets a closed pipe.
    const script = `"${process.execPath}" dist/cli/resources.js ensure --warehouse "${join(dir, "piped.duckdb")}" | true; exit \${PIPESTATUS[0]}`;
    const run = spawnSync("bash", ["-c", script], { cwd: ROOT, env: emu.env, encoding: "utf8" });
    expect(run.stderr).to.equal("");
    expect(run.status).to.equal(0);
  });

  it("says in one line, exit 1, that a subscription does not exist", () => {
    const run = runCli(["alerts", "--source", "pubsub", "--subscription", "no-such-sub", "--warehouse", join(dir, "none.duckdb")], ROOT, emu.env);
    expect(run.status).to.equal(1);
    expect(run.stderr.trim().split("\n")).to.deep.equal([
      `error: subscription projects/${PROJECT}/subscriptions/no-such-sub does not exist (npm run resources -- ensure creates the defaults)`,
    ]);
  });

  it("publishes with attributes a Dataflow reader can use as timestampAttribute", async () => {
    const subscription = await freshSubscription("attributes");
    publish("attributes", 3, 1);
    const api = await subscriberApi(emu.pubsub);
    const response = (await api.pull({ subscription: `projects/${PROJECT}/subscriptions/${subscription}`, maxMessages: 10 }))[0];
    await api.close();
    const received = response.receivedMessages ?? [];
    expect(received).to.have.length(3);
    const first = received.map((m) => m.message!).find((m) => JSON.parse(Buffer.from(m.data as Uint8Array).toString()).event_id === 1_000_000_001)!;
    expect(first.attributes?.event_type).to.equal("start");
    expect(first.attributes?.event_time).to.equal("2025-10-27T08:00:00Z");
  });

  it("drains a subscription into exactly the expected alerts, and acks what it committed", async () => {
    const subscription = await freshSubscription("drain");
    const lines = publish("drain", 3000, 11);
    const warehouse = join(dir, "drain.duckdb");
    const run = drain(subscription, warehouse);
    expect(summaryLine(run.stdout, "read")).to.equal("3,000 lines = 3,000 valid + 0 dead letters + 0 blank");
    expect(await storedIds(warehouse)).to.deep.equal(alertIds(lines));
    expect(summaryLine(drain(subscription, warehouse, 500).stdout, "read")).to.match(/^0 lines/);
  });

  it("says at start how many messages wait in the dead-letter subscription; replay-dead-letters moves them back to the input topic, counting them", async () => {
    expect(runScript("cli/resources.js", ["ensure", "--pipeline", "alerts", "--warehouse", join(dir, "replay-ensure.duckdb")], { env: emu.env }).status).to.equal(0);
    // As Pub/Sub does after maxDeliveryAttempts failed deliveries: the messages land on the dead-letter topic.
    const lines = publish("video-playback-events-dead-letter", 40, 21);
    const deadLetterSub = `projects/${PROJECT}/subscriptions/video-playback-events-dead-letter-sub`;
    const before = drain(await freshSubscription("replay-other"), join(dir, "replay-before.duckdb"), 500);
    expect(before.stderr).to.include(`dead-letter subscription ${deadLetterSub}: 40 messages waiting (after the cause is fixed: npm run resources -- replay-dead-letters --pipeline alerts)`);
    const replay = runScript("cli/resources.js", ["replay-dead-letters", "--pipeline", "alerts"], { env: emu.env });
    expect(replay.status, replay.stderr).to.equal(0);
    expect(replay.stdout).to.equal(`moved 40 messages from ${deadLetterSub} to projects/${PROJECT}/topics/video-playback-events\n`);
    const warehouse = join(dir, "replayed.duckdb");
    const after = drain("video-playback-events-sub", warehouse);
    expect(after.stderr).to.not.include("dead-letter subscription"); // nothing waits: nothing said
    expect(await storedIds(warehouse)).to.deep.equal(alertIds(lines));
  });

  it("dead-letters malformed messages with their message id, and acks them so they never loop", async () => {
    const subscription = await freshSubscription("poison");
    const topic = emu.pubsub.topic("poison");
    const good = publish("poison", 2, 3);
    const bad = ["{not json", '{"event_id": 5}', "[1,2]"];
    const ids = await Promise.all(bad.map((payload) => topic.publishMessage({ data: Buffer.from(payload) })));
    const warehouse = join(dir, "poison.duckdb");
    drain(subscription, warehouse);
    const rows = await query(warehouse, "SELECT source, payload, reason_code FROM dead_letter ORDER BY payload");
    const expected = bad
      .map((payload, i) => ({ source: `projects/${PROJECT}/subscriptions/${subscription}#${ids[i]}`, payload }))
      .sort((a, b) => (a.payload < b.payload ? -1 : 1));
    expect(rows.map((r) => ({ source: r.source, payload: r.payload }))).to.deep.equal(expected);
    expect(rows.map((r) => r.reason_code).sort()).to.deep.equal(["invalid_json", "missing_field", "not_object"]);
    expect(await storedIds(warehouse)).to.deep.equal(alertIds(good));
    await new Promise((resolve) => setTimeout(resolve, 11_000)); // past the ack deadline: an unacked message would be back
    expect(summaryLine(drain(subscription, warehouse, 500).stdout, "read")).to.match(/^0 lines/);
  });

  it("dead-letters a message whose data is not valid UTF-8 as invalid_utf8, naming the byte; a real U+FFFD is kept", async () => {
    const subscription = await freshSubscription("utf8");
    const topic = emu.pubsub.topic("utf8");
    const good = publish("utf8", 2, 5);
    const invalid = Buffer.concat([Buffer.from('{"event_id": 7, "title": "caf'), Buffer.from([0xe9]), Buffer.from('"}')]);
    const invalidId = (await Promise.all([invalid, Buffer.from('{"title": "\ufffd"}')].map((data) => topic.publishMessage({ data }))))[0];
    const warehouse = join(dir, "utf8.duckdb");
    const run = drain(subscription, warehouse);
    expect(summaryLine(run.stdout, "dead letters")).to.equal("2 (invalid_utf8 1, missing_field 1)");
    const rows = await query(warehouse, "SELECT source, reason FROM dead_letter WHERE reason_code = 'invalid_utf8'");
    expect(rows).to.deep.equal([{ source: `projects/${PROJECT}/subscriptions/${subscription}#${invalidId}`, reason: "not valid UTF-8 at byte 29 of the message (0xe9)" }]);
    expect(await storedIds(warehouse)).to.deep.equal(alertIds(good));
  });

  it("streams conversations from the emulator into the same table as a batch run over the same events", async () => {
    const subscription = await freshSubscription("conversations");
    const recorded = publishRecorded("conversations", "conversations", 4000, 8);
    const streamed = join(dir, "conversations-stream.duckdb"), batch = join(dir, "conversations-batch.duckdb");
    const run = runCli(["conversations", "--source", "pubsub", "--subscription", subscription, "--warehouse", streamed, "--idleMs", "1500", "--maxBatch", "300"], ROOT, emu.env);
    expect(run.status, run.stderr).to.equal(0);
    expect(runCli(["conversations", "--input", recorded, "--warehouse", batch]).status).to.equal(0);
    const final = "SELECT * FROM customer_courier_conversations ORDER BY order_id";
    const rows = await query(batch, final);
    expect(rows.length).to.be.greaterThan(500);
    expect(await query(streamed, final)).to.deep.equal(rows);
  });

  it("streams OTT events from the emulator into the same user_events and views as a batch run", async () => {
    const subscription = await freshSubscription("ott");
    const args = ["ott", "--count", "6000", "--eps", "2000", "--seed", "8", "--startTime", START];
    const sent = runScript("publisher/cli.js", [...args, "--topic", "ott"], { env: emu.env });
    expect(sent.status, sent.stderr).to.equal(0);
    const recorded = writeLines(join(dir, "ott.jsonl"), runScript("publisher/cli.js", [...args, "--dry-run"], { env: emu.env }).stdout.trim().split("\n"));
    const streamed = join(dir, "ott-stream.duckdb"), batch = join(dir, "ott-batch.duckdb");
    // A lateness longer than the sample's latest arrivals: no window expires before its events arrive, so the stream equals the batch.
    const run = runCli(["ott", "--source", "pubsub", "--subscription", subscription, "--warehouse", streamed, "--idleMs", "1500", "--maxBatch", "300", "--allowedLatenessSec", "3600"], ROOT, emu.env);
    expect(run.status, run.stderr).to.equal(0);
    expect(runCli(["ott", "--input", recorded, "--warehouse", batch]).status).to.equal(0);
    for (const table of ["user_events", ...Object.values(OTT_VIEW_TABLES).map((t) => t.name)]) {
      const sql = `SELECT * FROM ${table} ORDER BY ALL`;
      const rows = await query(batch, sql);
      expect(rows.length, table).to.be.greaterThan(0);
      expect(await query(streamed, sql), table).to.deep.equal(rows);
    }
  });

  /** Starts a streaming pipeline and resolves once it reported its first commit. */
  async function startStreaming(subscription: string, warehouse: string, pipeline = "alerts", extra: string[] = [], childEnv = emu.env): Promise<{ child: ChildProcess; output: () => string }> {
    const child = spawn(
      process.execPath,
      [join(ROOT, "dist/cli/main.js"), pipeline, "--source", "pubsub", "--subscription", subscription, "--warehouse", warehouse, "--streaming", "--maxBatch", "500", ...extra],
      { env: childEnv, stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    child.stdout!.on("data", (d) => (out += d));
    child.stderr!.on("data", (d) => (out += d));
    await new Promise<void>((resolve, reject) => {
      const poll = setInterval(() => {
        if (/commits \d+/.test(out)) (clearInterval(poll), resolve());
        if (child.exitCode !== null) (clearInterval(poll), reject(new Error(`pipeline exited: ${out}`)));
      }, 20);
    });
    return { child, output: () => out };
  }

  const exited = (child: ChildProcess): Promise<number | null> =>
    child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((resolve) => child.once("exit", (code) => resolve(code)));

  it("stops cleanly on SIGTERM: finishes, acks and summarizes; the rest is still there, nothing doubled", async () => {
    const subscription = await freshSubscription("sigterm");
    const lines = publish("sigterm", 20_000, 21);
    const warehouse = join(dir, "sigterm.duckdb");
    const { child, output } = await startStreaming(subscription, warehouse);
    child.kill("SIGTERM");
    expect(await exited(child), output()).to.equal(0);
    expect(output()).to.include("alerts: interrupted, committed what was read");
    const rest = drain(subscription, warehouse);
    expect(rest.stdout).to.not.include("already there"); // every committed message was acked
    expect(await storedIds(warehouse)).to.deep.equal(alertIds(lines));
  });

  it("loses nothing and doubles nothing when killed with SIGKILL mid-stream and restarted", async () => {
    const subscription = await freshSubscription("sigkill");
    const lines = publish("sigkill", 20_000, 31);
    const warehouse = join(dir, "sigkill.duckdb");
    const { child } = await startStreaming(subscription, warehouse);
    child.kill("SIGKILL");
    await exited(child);
    // Messages it pulled but never acked come back after the 10 s ack deadline.
    drain(subscription, warehouse, 15_000);
    expect(await storedIds(warehouse)).to.deep.equal(alertIds(lines));
    const dead = await query(warehouse, "SELECT count(*) AS n FROM dead_letter");
    expect(Number(dead[0].n)).to.equal(0);
  });

  /** Every table of results, as `warehouseTables` gives them, minus the dead letters (their source names a file line or a message). */
  const results = async (warehouse: string) => {
    const { dead_letter, ...tables } = await warehouseTables(warehouse);
    expect(dead_letter, "dead letters").to.deep.equal([]);
    return tables;
  };

  for (const pipeline of ["ott", "conversations"]) {
    it(`${pipeline}: killed with SIGKILL mid-stream, restarted and drained, every table equals a batch run over the same events`, async () => {
      const subscription = await freshSubscription(`${pipeline}-sigkill`);
      const recorded = publishRecorded(pipeline, `${pipeline}-sigkill`, 3000, 9);
      const streamed = join(dir, `${pipeline}-sigkill.duckdb`), batch = join(dir, `${pipeline}-sigkill-batch.duckdb`);
      // A lateness longer than the sample's span: no window expires, whatever the order of redelivery.
      const lateness = pipeline === "ott" ? ["--allowedLatenessSec", "86400"] : [];
      const { child } = await startStreaming(subscription, streamed, pipeline, lateness);
      child.kill("SIGKILL");
      await exited(child);
      // Messages it pulled but never acked come back after the 10 s ack deadline.
      const rest = runCli([pipeline, "--source", "pubsub", "--subscription", subscription, "--warehouse", streamed, "--idleMs", "12000", ...lateness], ROOT, emu.env);
      expect(rest.status, rest.stderr).to.equal(0);
      expect(runCli([pipeline, "--input", recorded, "--warehouse", batch, ...lateness]).status).to.equal(0);
      const expected = await results(batch);
      expect(Object.values(expected).reduce((n, rows) => n + rows.length, 0)).to.be.greaterThan(1000);
      expect(await results(streamed)).to.deep.equal(expected);
    });
  }

  describe("a lost connection: noticed at once, retried for --retryTimeoutSec, then one line; Ctrl-C ends within seconds; nothing lost", () => {
    /** Resolves with the milliseconds it took until `pattern` is in the output; rejects after `timeoutMs`. */
    const waitFor = (output: () => string, pattern: RegExp, timeoutMs: number): Promise<number> => {
      const started = Date.now();
      return new Promise((resolve, reject) => {
        const poll = setInterval(() => {
          if (pattern.test(output())) (clearInterval(poll), resolve(Date.now() - started));
          else if (Date.now() - started > timeoutMs) (clearInterval(poll), reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${output()}`)));
        }, 50);
      });
    };
    /** Runs `body` with the suite's emulator frozen (SIGSTOP), and thaws it whatever happens. */
    async function frozen<T>(body: () => Promise<T>): Promise<T> {
      emu.emulator!.signal("SIGSTOP");
      try {
        return await body();
      } finally {
        emu.emulator!.signal("SIGCONT");
      }
    }
    const LOST = /Pub\/Sub lost since \d\d:\d\d:\d\d UTC \(no answer within 5 s\): retrying until \d\d:\d\d:\d\d UTC, then the run stops \(--retryTimeoutSec\)/;

    it("frozen for a while: the status line says so within 10 s, and once it answers again the run goes on; every message stored once", async () => {
      const subscription = await freshSubscription("thaw");
      const lines = publish("thaw", 20_000, 41);
      const warehouse = join(dir, "thaw.duckdb");
      const { child, output } = await startStreaming(subscription, warehouse);
      await frozen(async () => {
        // Loose for a loaded 2-core machine; the client library's own retries kept the line frozen for 61-140 s.
        expect(await waitFor(output, LOST, 20_000)).to.be.below(20_000);
        await new Promise((resolve) => setTimeout(resolve, 3000));
      });
      await waitFor(output, /Pub\/Sub back after \d+\.\d s/, 20_000);
      child.kill("SIGTERM");
      expect(await exited(child), output()).to.equal(0);
      drain(subscription, warehouse, 12_000);
      expect(await storedIds(warehouse)).to.deep.equal(alertIds(lines));
    });

    it("frozen longer than --retryTimeoutSec: exit 1 with one line; the next run stores what was not committed, each table as one clean run would", async () => {
      const subscription = await freshSubscription("frozen");
      const recorded = publishRecorded("conversations", "frozen", 3000, 12);
      const streamed = join(dir, "frozen.duckdb"), batch = join(dir, "frozen-batch.duckdb");
      const { child, output } = await startStreaming(subscription, streamed, "conversations", ["--retryTimeoutSec", "8"]);
      const stderr = (): string => output().split("\n").filter((l) => !/^\s|^conversations:/.test(l)).join("\n");
      const started = Date.now();
      const code = await frozen(() => exited(child));
      // 5 s to notice, 8 s of retries, then the exit: well under the 61-140 s of before.
      expect(Date.now() - started, output()).to.be.below(40_000);
      expect(code).to.equal(1);
      expect(stderr()).to.match(LOST);
      const errors = output().split("\n").filter((l) => l.startsWith("error"));
      expect(errors).to.have.length(1);
      expect(errors[0]).to.match(new RegExp(`^error: lost Pub/Sub at ${emu.emulator!.host} \\(PUBSUB_EMULATOR_HOST\\) for \\d+ s \\(no answer within 5 s\\), gave up after --retryTimeoutSec 8: what was committed is kept, the other messages stay in projects/${PROJECT}/subscriptions/frozen-sub for the next run$`));
      expect(output()).to.not.match(/DEADLINE_EXCEEDED|    at /);
      // Messages it pulled but never acked come back after the 10 s ack deadline.
      const rest = runCli(["conversations", "--source", "pubsub", "--subscription", subscription, "--warehouse", streamed, "--idleMs", "12000"], ROOT, emu.env);
      expect(rest.status, rest.stderr).to.equal(0);
      expect(runCli(["conversations", "--input", recorded, "--warehouse", batch]).status).to.equal(0);
      const expected = await results(batch);
      expect(Object.values(expected).reduce((n, rows) => n + rows.length, 0)).to.be.greaterThan(500);
      expect(await results(streamed)).to.deep.equal(expected);
    });

    it("Ctrl-C while Pub/Sub is frozen ends within seconds with exit 0 and the summary; what was not acknowledged comes back to the next run", async () => {
      const subscription = await freshSubscription("frozen-sigint");
      const lines = publish("frozen-sigint", 20_000, 43);
      const warehouse = join(dir, "frozen-sigint.duckdb");
      const { child, output } = await startStreaming(subscription, warehouse);
      const elapsed = await frozen(async () => {
        await new Promise((resolve) => setTimeout(resolve, 500)); // a pull or an acknowledgement now waits for an answer
        const started = Date.now();
        child.kill("SIGINT");
        const code = await exited(child);
        expect(code, output()).to.equal(0);
        return Date.now() - started;
      });
      // Within 5 s on a quiet machine; loose for a loaded one. Before: 55 s and a raw DEADLINE_EXCEEDED.
      expect(elapsed, output()).to.be.below(10_000);
      expect(output()).to.include("alerts: interrupted, committed what was read");
      expect(output(), output()).to.not.match(/DEADLINE_EXCEEDED|^error|    at /m);
      drain(subscription, warehouse, 12_000);
      expect(await storedIds(warehouse)).to.deep.equal(alertIds(lines));
    });

    it("started while Pub/Sub is frozen: says so within seconds and stops after --retryTimeoutSec with one line", async () => {
      const subscription = await freshSubscription("frozen-start");
      const started = Date.now();
      const run = await frozen(() =>
        spawnAsync(process.execPath, [join(ROOT, "dist/cli/main.js"), "alerts", "--source", "pubsub", "--subscription", subscription, "--warehouse", join(dir, "frozen-start.duckdb"), "--retryTimeoutSec", "5"], { env: emu.env }),
      );
      // Counting the dead letters gives up after 5 s, the first pull after 5 more, then 5 s of retries.
      expect(Date.now() - started, run.stderr).to.be.below(40_000);
      expect(run.status, run.stderr).to.equal(1);
      expect(run.stderr).to.match(LOST);
      expect(run.stderr.split("\n").filter((l) => l.startsWith("error"))).to.have.length(1);
    });

    it("the emulator killed mid-stream: said within 10 s, exit 1 with one line after --retryTimeoutSec; what was stored is stored once", async () => {
      const own = await startEmulator(PROJECT);
      try {
        const ownEnv = { ...emu.env, PUBSUB_EMULATOR_HOST: own.host };
        const resources = runScript("cli/resources.js", ["ensure", "--pipeline", "alerts", "--warehouse", join(dir, "killed-ensure.duckdb")], { env: ownEnv });
        expect(resources.status, resources.stderr).to.equal(0);
        const args = ["playback", "--count", "20000", "--seed", "44", "--startTime", START, "--eps", "50000"];
        expect(runScript("publisher/cli.js", args, { env: ownEnv }).status).to.equal(0);
        const lines = runScript("publisher/cli.js", [...args, "--dry-run"], { env: emu.env }).stdout.trim().split("\n");
        const warehouse = join(dir, "killed.duckdb");
        const { child, output } = await startStreaming("video-playback-events-sub", warehouse, "alerts", ["--retryTimeoutSec", "5"], ownEnv);
        await own.stop();
        const started = Date.now();
        expect(await waitFor(output, /Pub\/Sub lost since .* \(connection refused or dropped\)/, 20_000)).to.be.below(10_000);
        expect(await exited(child), output()).to.equal(1);
        expect(Date.now() - started).to.be.below(30_000);
        const errors = output().split("\n").filter((l) => l.startsWith("error"));
        expect(errors).to.deep.equal([
          `error: lost Pub/Sub at ${own.host} (PUBSUB_EMULATOR_HOST) for ${/for (\d+) s/.exec(errors[0])?.[1]} s (connection refused or dropped), gave up after --retryTimeoutSec 5: what was committed is kept, the other messages stay in projects/${PROJECT}/subscriptions/video-playback-events-sub for the next run`,
        ]);
        const stored = await storedIds(warehouse);
        expect(stored.length).to.be.greaterThan(0);
        expect(new Set(stored).size).to.equal(stored.length);
        expect(alertIds(lines)).to.include.members(stored);
      } finally {
        await own.stop();
      }
    });
  });

  describe("ott event time on a stream: the watermark follows the bulk of events", () => {
    const S = OTT_START_MICROS;
    const generated = (seed: number, startMicros: number, count: number, firstEventId: number) =>
      [...new OttGenerator({ seed, startMicros, meanGapMicros: 100_000, legacyShare: 0, delayedShare: 0, veryLateShare: 0, firstEventId }).lines(count)];
    /** `line` as another event: a new id, stamped `seconds` after S (or at an ISO time). */
    const restamped = (line: string, id: string, time: number | string) =>
      JSON.stringify({ ...JSON.parse(line), event_id: id, timestamp: typeof time === "string" ? time : new Date((S + time * 1e6) / 1000).toISOString() });
    // 3,000 events over S..S+300 s with one stamped 2035 among them; then 500 over S+900..S+950 s.
    const bulk = generated(6, S, 3000, 1);
    const future = restamped(bulk[1500], "future-2035", "2035-01-01T00:00:00Z");
    const first = [...bulk.slice(0, 1500), future, ...bulk.slice(1500)];
    const second = generated(7, S + 900e6, 500, 5_000_000);
    // Behind the watermark (about S+900 s once the second bulk is in), within the lateness of 900 s: its windows still take it.
    const lateOk = restamped(bulk[2500], "late-ok", 250);
    // An hour behind: every window of it expired.
    const tooLate = restamped(bulk[2500], "too-late", -3600);
    const LATENESS = ["--allowedLatenessSec", "900"];
    let streamed: string;
    let lastRun: ReturnType<typeof runCli>;
    let lateRowBefore: Record<string, unknown>[];
    const lateRow = `SELECT events FROM ott_viewers_per_title WHERE content_id = '${JSON.parse(lateOk).content_id}' AND window_start = '${new Date((S + 250e6) / 1000).toISOString().replace("T", " ").replace("Z", "")}'`;

    before(async function () {
      if (emu.emulator === undefined) this.skip();
      streamed = join(dir, "ott-event-time.duckdb");
      const subscription = await freshSubscription("ott-event-time");
      const topic = emu.pubsub.topic("ott-event-time");
      const publish = (lines: string[]) => Promise.all(lines.map((l) => topic.publishMessage({ data: Buffer.from(l) })));
      const drainOtt = () => {
        const run = runCli(["ott", "--source", "pubsub", "--subscription", subscription, "--warehouse", streamed, "--idleMs", "1500", "--maxBatch", "300", ...LATENESS], ROOT, emu.env);
        expect(run.status, run.stderr).to.equal(0);
        return run;
      };
      // One drain per step, so each step sees the watermark the previous one left (the ledger keeps it).
      await publish(first);
      drainOtt();
      await publish(second);
      drainOtt();
      lateRowBefore = await query(streamed, lateRow);
      await publish([lateOk, tooLate]);
      lastRun = drainOtt();
    });

    it("one event stamped 2035 among thousands is a future_timestamp dead letter and changes nothing else", async () => {
      const dead = await query(streamed, "SELECT reason_code, payload FROM dead_letter");
      expect(dead.map((d) => [d.reason_code, JSON.parse(String(d.payload)).event_id])).to.deep.equal([["future_timestamp", "future-2035"]]);
      const batch = join(dir, "ott-event-time-batch.duckdb");
      expect(runCli(["ott", "--input", writeLines(join(dir, "ott-event-time.jsonl"), [...first, ...second, lateOk, tooLate]), "--warehouse", batch, ...LATENESS]).status).to.equal(0);
      const events = "SELECT * FROM user_events ORDER BY ALL";
      const all = await query(batch, events);
      expect(all).to.have.length(first.length - 1 + second.length + 2);
      expect(await query(streamed, events)).to.deep.equal(all);
    });

    it("an event behind the watermark but within the allowed lateness updates its window's row", async () => {
      const watermark = Number((await query(streamed, "SELECT watermark_micros AS w FROM __watermarks WHERE pipeline = 'ott'"))[0].w);
      // Past the end of its 10 s window (S+260 s), not past that end plus the lateness (S+1160 s): where the pulls' order put it in between does not matter.
      expect(watermark, "the watermark is past the late event's window, within its lateness").to.be.within(S + 260e6, S + 1160e6);
      expect(lateRowBefore).to.have.length(1);
      expect(await query(streamed, lateRow)).to.deep.equal([{ events: String(Number(lateRowBefore[0].events) + 1) }]);
    });

    it("an event later than the allowed lateness is stored in user_events, left out of every view, and counted in the summary", async () => {
      expect(await query(streamed, "SELECT event_id FROM user_events WHERE event_id = 'too-late'")).to.deep.equal([{ event_id: "too-late" }]);
      expect(summaryLine(lastRun.stdout, "too late for views")).to.match(/^1 events /);
      // The views are a batch run's over every event but that one (and the one from 2035, a dead letter in both).
      const batch = join(dir, "ott-event-time-views.duckdb");
      expect(runCli(["ott", "--input", writeLines(join(dir, "ott-event-time-views.jsonl"), [...first, ...second, lateOk]), "--warehouse", batch, ...LATENESS]).status).to.equal(0);
      for (const table of Object.values(OTT_VIEW_TABLES).map((t) => t.name)) {
        const sql = `SELECT * FROM ${table} ORDER BY ALL`;
        expect(await query(streamed, sql), table).to.deep.equal(await query(batch, sql));
      }
      expect(await query(streamed, "SELECT sum(events) AS n FROM ott_viewers_per_title")).to.deep.equal([{ n: String(first.length - 1 + second.length + 1) }]);
    });
  });
});
