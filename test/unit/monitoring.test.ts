import { expect } from "chai";
import { spawnSync } from "child_process";
import { readFileSync } from "fs";
import { join } from "path";
import { load } from "js-yaml";
import { deadLetter } from "../../schemas/dead-letter";
import { Row } from "../../schemas/table";
import { COUNTERS } from "../../transforms/core/parse-records";
import { CommitReport } from "../../runners/direct/committer";
import { METRIC_PREFIX, PipelineMetrics } from "../../runners/dashboard/metrics";
import { parseCommand } from "../../cli/args";
import { ParsedArgs } from "../../cli/args";
import { ROOT } from "../helpers";

const RULES = join(ROOT, "monitoring", "prometheus", "alerts.yml");

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** A commit of `pipeline` as the committer reports it. */
function commit(overrides: Partial<CommitReport>): CommitReport {
  return {
    committedAt: Date.now(),
    durationMs: 40,
    tables: new Map(),
    written: new Map(),
    counters: {},
    chunks: [],
    watermarkMicros: Number.NEGATIVE_INFINITY,
    ...overrides,
  };
}

/** The value of one sample line of the exposition, or undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** Every sample name the metrics export: each metric, and a histogram's _bucket, _sum and _count. */
async function exportedNames(): Promise<Set<string>> {
  const metrics = new PipelineMetrics();
  const names = new Set<string>();
  for (const metric of await metrics.registry.getMetricsAsJSON()) {
    names.add(metric.name);
    if (String(metric.type) === "histogram") for (const suffix of ["_bucket", "_sum", "_count"]) names.add(metric.name + suffix);
  }
  return names;
}

describe("metrics (Prometheus exposition at /metrics)", () => {
  it("counts a commit's records, dead letters by reason, rows by table, duration, micro-batch sizes and publish-to-commit latency", async () => {
    const metrics = new PipelineMetrics();
    const now = Date.now();
    // An imported name in a computed key breaks the closure transform (docs/architecture.md, toolchain traps).
    const counters: Record<string, number> = {};
    counters[COUNTERS.recordsRead] = 1003;
    counters[COUNTERS.validRecords] = 1000;
    counters[COUNTERS.deadLetters] = 3;
    const deadLetters = [{ reason_code: "invalid_json" }, { reason_code: "invalid_json" }, { reason_code: "missing_field" }] as unknown as Row[];
    metrics.observeCommit(
      "alerts",
      commit({
        committedAt: now,
        durationMs: 250,
        counters: counters,
        tables: new Map([[deadLetter.name, deadLetters]]),
        written: new Map([["video_playback_alerts", { stored: 150, duplicates: 2 }]]),
        chunks: [
          { kind: "messages", source: "s", ids: ["1", "2"], ackIds: ["a", "b"], payloads: ["{}", "{}"], receivedAt: now * 1000, publishedAt: (now - 1500) * 1000 },
          { kind: "messages", source: "s", ids: ["3"], ackIds: ["c"], payloads: ["{}"], receivedAt: now * 1000 },
        ],
        watermarkMicros: (now - 42_000) * 1000,
      }),
    );
    const text = (await metrics.exposition()).text;
    expect(sample(text, 'beam_video_records_read_total{pipeline="alerts"}')).to.equal(1003);
    expect(sample(text, 'beam_video_records_valid_total{pipeline="alerts"}')).to.equal(1000);
    expect(sample(text, 'beam_video_dead_letters_total{pipeline="alerts",reason="invalid_json"}')).to.equal(2);
    expect(sample(text, 'beam_video_dead_letters_total{pipeline="alerts",reason="missing_field"}')).to.equal(1);
    expect(sample(text, 'beam_video_rows_stored_total{pipeline="alerts",table="video_playback_alerts"}')).to.equal(150);
    expect(sample(text, 'beam_video_rows_duplicate_total{pipeline="alerts",table="video_playback_alerts"}')).to.equal(2);
    expect(sample(text, 'beam_video_commits_total{pipeline="alerts"}')).to.equal(1);
    expect(sample(text, 'beam_video_commit_duration_seconds_sum{pipeline="alerts"}')).to.equal(0.25);
    expect(sample(text, 'beam_video_micro_batch_messages_sum{pipeline="alerts"}')).to.equal(3);
    expect(sample(text, 'beam_video_micro_batch_messages_count{pipeline="alerts"}')).to.equal(2);
    // One observation per micro-batch that carries a publish time: 1.5 s, in the (1, 2] bucket.
    expect(sample(text, 'beam_video_publish_to_commit_latency_seconds_bucket{le="1",pipeline="alerts"}')).to.equal(0);
    expect(sample(text, 'beam_video_publish_to_commit_latency_seconds_bucket{le="2",pipeline="alerts"}')).to.equal(1);
    expect(sample(text, 'beam_video_last_commit_timestamp_seconds{pipeline="alerts"}')).to.equal(now / 1000);
    expect(sample(text, 'beam_video_watermark_lag_seconds{pipeline="alerts"}')).to.be.within(42, 45);
  });

  it("reads the Pub/Sub gauges when scraped, and forgets them when the run ends", async () => {
    const metrics = new PipelineMetrics();
    let unacked = 7;
    metrics.watchSource("ott", { subscription: "projects/p/subscriptions/ott-sub", unacked: () => unacked, deadLetterBacklog: () => 4 });
    unacked = 9;
    let text = (await metrics.exposition()).text;
    expect(sample(text, 'beam_video_pubsub_unacked_messages{pipeline="ott",subscription="projects/p/subscriptions/ott-sub"}')).to.equal(9);
    expect(sample(text, 'beam_video_pubsub_dead_letter_messages{pipeline="ott"}')).to.equal(4);
    metrics.forget("ott");
    text = (await metrics.exposition()).text;
    expect(text).to.not.include('beam_video_pubsub_unacked_messages{pipeline="ott"');
  });

  it("follow Prometheus' naming: the program's prefix, _total on counters, a base unit on what has one", async () => {
    const metrics = new PipelineMetrics();
    const ours = (await metrics.registry.getMetricsAsJSON()).filter((m) => m.name.startsWith(METRIC_PREFIX));
    expect(ours.map((m) => m.name).sort()).to.deep.equal([
      "beam_video_commit_duration_seconds",
      "beam_video_commits_total",
      "beam_video_dead_letters_total",
      "beam_video_last_commit_timestamp_seconds",
      "beam_video_micro_batch_messages",
      "beam_video_publish_to_commit_latency_seconds",
      "beam_video_pubsub_dead_letter_messages",
      "beam_video_pubsub_unacked_messages",
      "beam_video_records_read_total",
      "beam_video_records_valid_total",
      "beam_video_rows_duplicate_total",
      "beam_video_rows_stored_total",
      "beam_video_watermark_lag_seconds",
    ]);
    for (const metric of ours) {
      expect(String(metric.type) === "counter", metric.name).to.equal(metric.name.endsWith("_total"));
      expect(metric.name, "names are snake_case").to.match(/^[a-z][a-z0-9_]*$/);
    }
  });
});

describe("alerting rules (monitoring/prometheus/alerts.yml)", () => {
  const rules = (): Rule[] => (load(readFileSync(RULES, "utf8")) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);

  it("alert on the dead-letter rate, stalled commits, watermark lag and backlog growth", () => {
    const exprs = new Map(rules().map((r) => [r.alert, r.expr]));
    expect(exprs.get("DeadLetterRateHigh")).to.include("beam_video_dead_letters_total");
    expect(exprs.get("CommitsStalled")).to.include("beam_video_last_commit_timestamp_seconds");
    expect(exprs.get("WatermarkLagHigh")).to.include("beam_video_watermark_lag_seconds");
    expect(exprs.get("BacklogGrowing")).to.include("beam_video_pubsub_unacked_messages");
  });

  it("name only metrics the runner exports, each with a duration, a severity and a summary", async () => {
    const exported = await exportedNames();
    for (const rule of rules()) {
      const named = rule.expr.match(/\bbeam_video_[a-z0-9_]+/g) ?? [];
      expect(named, `${rule.alert} names no metric of ours`).to.not.be.empty;
      for (const name of named) expect(exported.has(name), `${rule.alert}: ${name} is not exported`).to.equal(true);
      expect(rule.for, rule.alert).to.match(/^\d+[smh]$/);
      expect(rule.labels?.severity, rule.alert).to.be.oneOf(["warning", "critical"]);
      expect(rule.annotations?.summary, rule.alert).to.be.a("string");
    }
  });

  it("would name a metric the runner does not export", async () => {
    const exported = await exportedNames();
    expect(exported.has("beam_video_records_read")).to.equal(false);
    expect(exported.has("beam_video_commit_duration_seconds_bucket")).to.equal(true);
  });

  it("pass promtool check rules and promtool test rules (monitoring/prometheus/alerts.test.yml), where promtool is installed", function () {
    const check = spawnSync("promtool", ["check", "rules", RULES], { encoding: "utf8" });
    if ((check.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT") {
      process.stdout.write("      (promtool is not on PATH: apt-get install prometheus, as .ci/run does)\n");
      this.skip();
    }
    expect(check.status, check.stdout + check.stderr).to.equal(0);
    const test = spawnSync("promtool", ["test", "rules", join(ROOT, "monitoring", "prometheus", "alerts.test.yml")], { encoding: "utf8" });
    expect(test.status, test.stdout + test.stderr).to.equal(0);
  });
});

describe("--dashboard", () => {
  const settingsOf = (argv: string[]): ParsedArgs["settings"] => (parseCommand(argv) as ParsedArgs[])[0].settings;

  it("takes a port, or 8080 when given bare, on direct runs into the DuckDB warehouse only", () => {
    const bare = settingsOf(["alerts", "--dashboard"]);
    expect(bare.runner === "direct" && bare.sink === "duckdb" && bare.dashboard).to.equal(8080);
    const given = settingsOf(["alerts", "--dashboard", "0"]);
    expect(given.runner === "direct" && given.sink === "duckdb" && given.dashboard).to.equal(0);
    const none = settingsOf(["alerts"]);
    expect(none.runner === "direct" && none.sink === "duckdb" && none.dashboard).to.equal(undefined);
    expect(() => parseCommand(["alerts", "--dashboard", "--sink", "jsonl"])).to.throw("--dashboard needs --sink=duckdb");
    expect(() => parseCommand(["alerts", "--dashboard", "http"])).to.throw('--dashboard must be a number, got "http"');
    expect(() => parseCommand(["alerts", "--dashboard", "70000"])).to.throw("--dashboard must be at most 65535");
  });
});
