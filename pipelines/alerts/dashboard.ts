import { deadLettersPanel, overTime, Panel, topPanel } from "../dashboard";

const ALERTS = "video_playback_alerts";
const kind = "CASE event_type WHEN 'error' THEN 'errors' ELSE 'long buffering' END";

/** The playback monitoring view: alerts over time by kind, and where they happen. */
export const ALERTS_PANELS: readonly Panel[] = [
  { id: "alerts-over-time", title: "Alerts over time by kind", chart: "line", tables: [ALERTS], sql: overTime(ALERTS, "event_timestamp", kind), unit: "alerts" },
  topPanel("top-cities", "Top cities", ALERTS, "coalesce(city, '(unknown)')", 10, "count(*)", "alerts"),
  topPanel("top-isps", "Top ISPs", ALERTS, "coalesce(isp, '(unknown)')", 10, "count(*)", "alerts"),
  topPanel("top-films", "Top films (movie id)", ALERTS, "'movie ' || movie_id", 10, "count(*)", "alerts"),
  deadLettersPanel("alerts"),
];
