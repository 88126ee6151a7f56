import { COUNTERS } from "../../transforms/core/parse-records";
import { CommitReport } from "../direct/committer";
import { PanelRow } from "./warehouse-reader";

/** One commit of a run, as the health panels plot it. */
interface Sample {
  at: number;
  /** Records per second since the previous commit. */
  read: number;
  valid: number;
  dead: number;
  commitMs: number;
  /** Publish-to-commit of the commit's oldest message, when it came from Pub/Sub. */
  latencyMs?: number;
  unacked?: number;
  deadLetterBacklog?: number;
  watermarkLagSec?: number;
}

/** The commits kept per pipeline: minutes of streaming, a whole batch run. */
const KEPT = 1200;

/** The pipeline-health panels of a page: drawn from the commits of this process's runs, not from the warehouse. */
export const HEALTH_PANELS = [
  { id: "records", title: "Records read, valid and dead-lettered (per second)", unit: "records/s" },
  { id: "commit-latency", title: "Commit duration and publish-to-commit latency", unit: "ms" },
  { id: "backlog", title: "Pub/Sub backlog: unacknowledged and dead-lettered messages", unit: "messages" },
  { id: "watermark-lag", title: "Watermark lag", unit: "seconds" },
] as const;

export type HealthPanelId = (typeof HEALTH_PANELS)[number]["id"];

/** What a panel is when it has no points, and why. */
const EMPTY_BECAUSE: Record<HealthPanelId, string> = {
  records: "no commit yet",
  "commit-latency": "no commit yet",
  backlog: "shown for Pub/Sub input (--source=pubsub)",
  "watermark-lag": "shown for unbounded input with event time (ott on --source=pubsub)",
};

/** A run's health, commit by commit (cheap: one sample per commit). */
export class RunHealth {
  private readonly samples: Sample[] = [];
  private previousAt: number;

  constructor(private readonly gauges?: { unacked(): number; deadLetterBacklog(): number | undefined }) {
    this.previousAt = Date.now();
  }

  observe(commit: CommitReport): void {
    const seconds = Math.max(0.001, (commit.committedAt - this.previousAt) / 1000);
    this.previousAt = commit.committedAt;
    const rate = (name: string): number => Math.round((commit.counters[name] ?? 0) / seconds);
    let oldest = Infinity;
    for (const chunk of commit.chunks) if (chunk.kind === "messages" && chunk.publishedAt !== undefined) oldest = Math.min(oldest, chunk.publishedAt);
    this.samples.push({
      at: commit.committedAt,
      read: rate(COUNTERS.recordsRead),
      valid: rate(COUNTERS.validRecords),
      dead: rate(COUNTERS.deadLetters),
      commitMs: commit.durationMs,
      latencyMs: Number.isFinite(oldest) ? commit.committedAt - oldest / 1000 : undefined,
      unacked: this.gauges?.unacked(),
      deadLetterBacklog: this.gauges?.deadLetterBacklog(),
      watermarkLagSec: Number.isFinite(commit.watermarkMicros) ? Math.max(0, commit.committedAt / 1000 - commit.watermarkMicros / 1e6) : undefined,
    });
    if (this.samples.length > KEPT) this.samples.splice(0, this.samples.length - KEPT);
  }

  get lastCommit(): number | null {
    return this.samples.length === 0 ? null : this.samples[this.samples.length - 1].at;
  }

  /** A health panel's rows (x: commit time in epoch ms), or why it has none. */
  rows(panel: HealthPanelId): { rows: PanelRow[]; empty?: string } {
    const rows: PanelRow[] = [];
    const add = (series: string, value: (s: Sample) => number | undefined): void => {
      for (const s of this.samples) {
        const y = value(s);
        if (y !== undefined) rows.push([s.at, series, y]);
      }
    };
    if (panel === "records") {
      add("read", (s) => s.read);
      add("valid", (s) => s.valid);
      add("dead letters", (s) => s.dead);
    } else if (panel === "commit-latency") {
      add("commit duration", (s) => s.commitMs);
      add("publish to commit (oldest message)", (s) => s.latencyMs);
    } else if (panel === "backlog") {
      add("unacknowledged", (s) => s.unacked);
      add("dead-letter subscription", (s) => s.deadLetterBacklog);
    } else {
      add("watermark lag", (s) => s.watermarkLagSec);
    }
    return rows.length > 0 ? { rows } : { rows, empty: EMPTY_BECAUSE[panel] };
  }
}
