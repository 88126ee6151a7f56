import { deadLettersPanel, Panel } from "../dashboard";

const CONVERSATIONS = "customer_courier_conversations";
const CITY = "coalesce(city_code, '(no order event)')";

/** First-response delay buckets: label and upper bound in seconds (exclusive). */
const DELAY_BUCKETS: readonly (readonly [string, number])[] = [
  ["< 30 s", 30],
  ["30-60 s", 60],
  ["1-2 min", 120],
  ["2-5 min", 300],
  ["5-15 min", 900],
  ["15 min +", Infinity],
];

const bucketOf = (delay: string): string =>
  `CASE WHEN ${delay} IS NULL THEN ${DELAY_BUCKETS.length} ${DELAY_BUCKETS.map(([, bound], i) => (bound === Infinity ? `ELSE ${i}` : `WHEN ${delay} < ${bound} THEN ${i}`)).join(" ")} END`;

const delayDistribution =
  `SELECT (['${DELAY_BUCKETS.map(([label]) => label).join("', '")}', 'no answer yet'])[bucket + 1] AS x, count(*) AS y ` +
  `FROM (SELECT ${bucketOf("first_responsetime_delay_seconds")} AS bucket FROM ${CONVERSATIONS}) GROUP BY bucket ORDER BY bucket`;

/** Who starts conversations, how fast the other side answers, city by city. */
export const CONVERSATIONS_PANELS: readonly Panel[] = [
  { id: "first-response", title: "First-response delay", chart: "bar", tables: [CONVERSATIONS], sql: delayDistribution, unit: "conversations" },
  {
    id: "started-by",
    title: "Conversations started by courier vs customer",
    chart: "doughnut",
    tables: [CONVERSATIONS],
    sql: `SELECT first_message_by AS x, count(*) AS y FROM ${CONVERSATIONS} GROUP BY 1 ORDER BY 1`,
    unit: "conversations",
  },
  {
    id: "by-city",
    title: "Conversations by city, by who started them",
    chart: "stacked",
    tables: [CONVERSATIONS],
    sql: `SELECT x, series, y FROM (SELECT ${CITY} AS x, first_message_by AS series, count(*) AS y FROM ${CONVERSATIONS} GROUP BY 1, 2) ORDER BY sum(y) OVER (PARTITION BY x) DESC, x, series`,
    unit: "conversations",
  },
  {
    id: "delay-by-city",
    title: "Median first-response delay by city",
    chart: "bar",
    tables: [CONVERSATIONS],
    sql: `SELECT ${CITY} AS x, median(first_responsetime_delay_seconds) AS y FROM ${CONVERSATIONS} WHERE first_responsetime_delay_seconds IS NOT NULL GROUP BY 1 ORDER BY y DESC, x`,
    unit: "seconds",
  },
  deadLettersPanel("conversations"),
];
