import { formatCount } from "../format";
import { RunReport, SummaryLine } from "../definition";
import { Row } from "../../schemas/table";
import { formatTimestamp } from "../../schemas/timestamp";
import { OTT_VIEWS, OttView } from "../../transforms/ott/views";
import { rowKey } from "../../schemas/json";
import { TOO_LATE_FOR_VIEWS } from "../../transforms/ott/windowed-view";

/** How the summary shows a view: its label, the measure it ranks keys by, and one key's line. */
interface Presentation {
  label: string;
  rank: string;
  show: (row: Row) => string;
}

const n = (value: unknown): string => (value === null ? "n/a" : formatCount(Number(value)));
const PRESENTATIONS: Record<string, Presentation> = {
  ott_viewers_per_title: { label: "viewers per title (10 s)", rank: "viewers", show: (r) => `${r.title} ${n(r.viewers)}` },
  ott_watch_time: { label: "watch time (5 min/1 min)", rank: "stints", show: (r) => `${r.title} median ${n(r.median_watch_seconds)} s (${n(r.stints)} stints)` },
  ott_trending: { label: "trending (5 min/1 min)", rank: "trending_score", show: (r) => `${r.title} ${Number(r.trending_score).toFixed(1)}` },
  ott_geo_distribution: { label: "geography (30 s)", rank: "viewers", show: (r) => `${r.city}, ${r.country} ${n(r.viewers)}` },
  ott_device_distribution: { label: "devices (1 min)", rank: "viewers", show: (r) => `${r.device_type} ${r.resolution} ${n(r.viewers)} (${n(r.avg_bitrate)} kbit/s)` },
  ott_buffering_hotspots: { label: "buffering hotspots (1 min)", rank: "buffer_events", show: (r) => `${r.title} in ${r.city} ${n(r.buffer_events)}` },
  ott_engagement: { label: "engagement (10 min/5 min)", rank: "engagement_score", show: (r) => `${r.user_id} ${r.engagement_score} ${r.segment}` },
  ott_trend_maturity_location: { label: "maturity x location (5 min)", rank: "viewers", show: (r) => `${r.country} ${r.maturity_rating} ${n(r.viewers)}` },
  ott_trend_age_gender: { label: "age x gender (5 min)", rank: "viewers", show: (r) => `${r.age_group} ${r.gender} ${n(r.viewers)}` },
  ott_trend_device_genre: { label: "device x genre (5 min)", rank: "viewers", show: (r) => `${r.device_type} ${r.genre} ${n(r.viewers)}` },
};

/** Windows a view keeps for the summary: its newest few, so memory does not grow with the run. */
const WINDOWS_KEPT = 3;

/** One view's newest windows, their rows as the sink last wrote them. */
class ViewTop {
  /** By window start, then by row key. */
  private readonly windows = new Map<number, Map<string, Row>>();

  constructor(private readonly view: OttView) {}

  add(row: Row): void {
    const start = row.window_start as number;
    let rows = this.windows.get(start);
    if (rows === undefined) {
      rows = new Map();
      this.windows.set(start, rows);
    }
    rows.set(rowKey(this.view.table, row), row);
  }

  /** Drops all but the newest windows. */
  prune(): void {
    const starts = [...this.windows.keys()].sort((a, b) => b - a);
    for (const start of starts.slice(WINDOWS_KEPT)) this.windows.delete(start);
  }

  /** The top keys of the kept window with the most of the view's measure (the newest is often still filling). */
  render(presentation: Presentation): string {
    const total = (rows: Map<string, Row>): number => [...rows.values()].reduce((sum, r) => sum + Number(r[presentation.rank]), 0);
    const busiest = [...this.windows].sort((a, b) => total(b[1]) - total(a[1]) || b[0] - a[0])[0];
    if (busiest === undefined) return "no rows";
    const key = (row: Row) => rowKey(this.view.table, row);
    const rows = [...busiest[1].values()].sort((a, b) => Number(b[presentation.rank]) - Number(a[presentation.rank]) || key(a).localeCompare(key(b)));
    return `${formatTimestamp(busiest[0]).slice(11, 19)}: ${rows.slice(0, 3).map(presentation.show).join("; ")}`;
  }
}

/** The top of every view. */
export class OttReport implements RunReport {
  private readonly views = new Map<string, ViewTop>();

  observe(table: string, rows: readonly Row[]): void {
    const view = OTT_VIEWS[table];
    if (view === undefined) return;
    let top = this.views.get(table);
    if (top === undefined) {
      top = new ViewTop(view);
      this.views.set(table, top);
    }
    for (const row of rows) top.add(row);
    top.prune();
  }

  render(counters: Readonly<Record<string, number>>): SummaryLine[] {
    const lines: SummaryLine[] = [];
    const late = counters[TOO_LATE_FOR_VIEWS] ?? 0;
    if (late > 0) lines.push(["too late for views", `${formatCount(late)} events (stored in their table; a window they belong to had expired)`]);
    for (const table of Object.keys(OTT_VIEWS)) lines.push([PRESENTATIONS[table].label, this.views.get(table)?.render(PRESENTATIONS[table]) ?? "no rows"]);
    return lines;
  }
}
