import { deadLettersPanel, Panel, topPanel } from "../dashboard";

/** The catalog's page: what it holds by title type and genre, and its dead letters. */
export const CATALOG_PANELS: readonly Panel[] = [
  topPanel("title-types", "Titles by type", "title_basics", "coalesce(titleType, '(unknown)')", 10, "count(*)", "titles"),
  {
    id: "genres",
    title: "Titles by genre",
    chart: "bar",
    tables: ["title_basics"],
    sql: "SELECT genre AS x, count(*) AS y FROM (SELECT unnest(CASE WHEN len(genres) = 0 THEN ['(none)'] ELSE genres END) AS genre FROM title_basics) GROUP BY 1 ORDER BY y DESC, x LIMIT 15",
    unit: "titles",
  },
  deadLettersPanel("catalog"),
];
