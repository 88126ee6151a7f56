import { OTT_VIEW_TABLES } from "../../schemas/ott";
import { deadLettersPanel, Panel } from "../dashboard";

const T = OTT_VIEW_TABLES;

/** The view's rows in its latest window. */
const latest = (table: string): string => `(SELECT * FROM ${table} WHERE window_start = (SELECT max(window_start) FROM ${table}))`;

/** A demographic trend: `measure` per window, one line per value of `series`. */
function trend(id: string, title: string, table: string, series: string, measure: string, unit: string): Panel {
  return {
    id,
    title,
    chart: "line",
    tables: [table],
    sql: `SELECT epoch_ms(window_start) AS x, ${series} AS series, sum(${measure}) AS y FROM ${table} GROUP BY ALL ORDER BY x, series`,
    unit,
  };
}

/** The OTT audience: what is watched now, where, on what, how well it streams, who is engaged, and seed 002's demographic trends. */
export const OTT_PANELS: readonly Panel[] = [
  {
    id: "viewers-now",
    title: "Viewers per title now (latest 10 s window)",
    chart: "bar",
    tables: [T.viewersPerTitle.name],
    sql: `SELECT coalesce(title, content_id) AS x, viewers AS y FROM ${latest(T.viewersPerTitle.name)} ORDER BY y DESC, x LIMIT 10`,
    unit: "viewers",
  },
  {
    id: "trending",
    title: "Trending (latest 5 min window, by trending score)",
    chart: "bar",
    tables: [T.trending.name],
    sql: `SELECT coalesce(title, content_id) AS x, trending_score AS y FROM ${latest(T.trending.name)} ORDER BY y DESC, x LIMIT 10`,
    unit: "trending score",
  },
  {
    id: "geography",
    title: "Viewers by country and city (latest 30 s window)",
    chart: "bar",
    tables: [T.geo.name],
    sql: `SELECT country || ' · ' || city AS x, viewers AS y FROM ${latest(T.geo.name)} ORDER BY y DESC, x LIMIT 12`,
    unit: "viewers",
  },
  {
    id: "devices",
    title: "Devices and stream quality (latest 1 min window)",
    chart: "stacked",
    tables: [T.devices.name],
    sql: `SELECT device_type AS x, resolution AS series, viewers AS y FROM ${latest(T.devices.name)} ORDER BY x, series`,
    unit: "viewers",
  },
  {
    id: "buffering",
    title: "Buffering hotspots (title · city, all windows)",
    chart: "bar",
    tables: [T.bufferingHotspots.name],
    sql: `SELECT coalesce(title, content_id) || ' · ' || city AS x, sum(buffer_events) AS y FROM ${T.bufferingHotspots.name} GROUP BY 1 ORDER BY y DESC, x LIMIT 10`,
    unit: "buffer events",
  },
  {
    id: "engagement",
    title: "Engagement segments (latest 10 min window)",
    chart: "doughnut",
    tables: [T.engagement.name],
    sql: `SELECT segment AS x, count(*) AS y FROM ${latest(T.engagement.name)} GROUP BY 1 ORDER BY 1`,
    unit: "viewers",
  },
  trend("maturity-location", "Trend: viewers by maturity rating", T.maturityByLocation.name, "maturity_rating", "viewers", "viewers"),
  {
    id: "age-gender",
    title: "Viewers by age group and gender (all windows)",
    chart: "stacked",
    tables: [T.ageGender.name],
    sql: `SELECT age_group AS x, gender AS series, sum(viewers) AS y FROM ${T.ageGender.name} GROUP BY ALL ORDER BY x, series`,
    unit: "viewers",
  },
  trend("device-genre", "Trend: plays by genre", T.deviceGenre.name, "genre", "plays", "plays"),
  deadLettersPanel("ott"),
];
