import { formatCount } from "../format";
import { RunReport, SummaryLine } from "../definition";
import { PlaybackAlert, videoPlaybackAlerts } from "../../schemas/playback";
import { Row } from "../../schemas/table";

function top(counts: Map<string, number>, n: number): string {
  const entries = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, n);
  return entries.length === 0 ? "none" : entries.map(([k, v]) => `${k} ${formatCount(v)}`).join(", ");
}

function bump(counts: Map<string, number>, key: string | null): void {
  const k = key ?? "(unknown)";
  counts.set(k, (counts.get(k) ?? 0) + 1);
}

/** Alerts by kind, city and ISP, over the alerts this run emitted. */
export class AlertsReport implements RunReport {
  private errors = 0;
  private buffering = 0;
  private readonly cities = new Map<string, number>();
  private readonly isps = new Map<string, number>();

  observe(table: string, rows: readonly Row[]): void {
    if (table !== videoPlaybackAlerts.name) return;
    for (const row of rows as readonly PlaybackAlert[]) {
      if (row.event_type === "error") this.errors++;
      else this.buffering++;
      bump(this.cities, row.city);
      bump(this.isps, row.isp);
    }
  }

  render(): SummaryLine[] {
    return [
      ["alert kinds", `errors ${formatCount(this.errors)}, long buffering ${formatCount(this.buffering)}`],
      ["top cities", top(this.cities, 5)],
      ["top ISPs", top(this.isps, 5)],
    ];
  }
}
