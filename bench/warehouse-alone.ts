import { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { createTableSql, duckdbType, quoteIdent } from "../schemas/duckdb";
import { customerCourierConversations } from "../schemas/conversations";
import { deadLetter } from "../schemas/dead-letter";
import { playbackEventFields, videoPlaybackAlerts } from "../schemas/playback";
import { DEFAULT_BUFFER_THRESHOLD_MS } from "../transforms/playback/alerts";

/**
 * The DuckDB-alone baselines: what the warehouse does by itself with the same
 * file, in SQL, with none of our code on the way (no dead letters, no
 * per-record validation beyond DuckDB's own types). The ratio of a pipeline
 * to these is its distance from the warehouse's own speed.
 */

const literal = (text: string): string => `'${text.replace(/'/g, "''")}'`;

async function withWarehouse<T>(path: string, work: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
  const instance = await DuckDBInstance.create(path);
  const connection = await instance.connect();
  try {
    return await work(connection);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** `INSERT ... SELECT FROM read_json` of the playback file with the alert filter, into the alert table's own DDL (its key included). */
export function duckdbAlerts(input: string, warehouse: string): Promise<Record<string, number>> {
  const columns = playbackEventFields.map((f) => `${literal(f.name)}: ${literal(duckdbType(f))}`).join(", ");
  const names = playbackEventFields.map((f) => quoteIdent(f.name)).join(", ");
  return withWarehouse(warehouse, async (db) => {
    await db.run(createTableSql(videoPlaybackAlerts));
    await db.run(
      `INSERT INTO ${quoteIdent(videoPlaybackAlerts.name)}
       SELECT ${names}, CAST(event_timestamp AS DATE)
       FROM read_json(${literal(input)}, format = 'newline_delimited', ignore_errors = true, columns = {${columns}})
       WHERE event_type = 'error' OR buffer_duration_ms > ${DEFAULT_BUFFER_THRESHOLD_MS}`,
    );
    return { rows: await count(db, videoPlaybackAlerts.name) };
  });
}

async function count(db: DuckDBConnection, table: string): Promise<number> {
  return Number((await db.runAndReadAll(`SELECT count(*) FROM ${quoteIdent(table)}`)).getRows()[0][0]);
}

/**
 * The OTT file read by DuckDB as it is (`CREATE TABLE AS SELECT * FROM
 * read_json(..., union_by_name = true)`: both shapes, every field), then two
 * of the views over those rows, timed apart: viewers per title in 10 s
 * tumbling windows (distinct users) and the median watch time per title in
 * 5 min windows sliding every minute. Returns the views' time and row counts.
 */
export async function duckdbOtt(input: string, warehouse: string): Promise<Record<string, number>> {
  return withWarehouse(warehouse, async (db) => {
    await db.run(`CREATE TABLE raw_events AS SELECT * FROM read_json(${literal(input)}, format = 'newline_delimited', union_by_name = true)`);
    const viewsStarted = Date.now();
    // Event time and watch time of either shape, as transforms/ott/events.ts maps them.
    await db.run(`CREATE TEMP VIEW events AS SELECT user_id, content_id,
        CAST(coalesce("timestamp", event_timestamp) AS TIMESTAMP) AS ts,
        CASE WHEN event_type IN ('pause', 'stop', 'complete') THEN position
             WHEN event_type IN ('video_pause', 'video_stop', 'video_complete') THEN watch_duration_seconds END AS watch_seconds
      FROM raw_events`);
    await db.run(`CREATE TABLE viewers_per_title AS
      SELECT time_bucket(INTERVAL 10 SECOND, ts) AS window_start, content_id, count(DISTINCT user_id) AS viewers, count(*) AS events
      FROM events GROUP BY ALL`);
    await db.run(`CREATE TABLE watch_time AS
      SELECT window_start, content_id, median(watch_seconds) AS median_watch_seconds, count(*) AS stints
      FROM (SELECT content_id, watch_seconds, unnest(generate_series(time_bucket(INTERVAL 1 MINUTE, ts) - INTERVAL 4 MINUTE, time_bucket(INTERVAL 1 MINUTE, ts), INTERVAL 1 MINUTE)) AS window_start
            FROM events WHERE watch_seconds IS NOT NULL)
      GROUP BY ALL`);
    return { viewsMs: Date.now() - viewsStarted, viewRows: (await count(db, "viewers_per_title")) + (await count(db, "watch_time")), rows: await count(db, "raw_events") };
  });
}

/**
 * The sessionizer's result in DuckDB SQL: read_json of the chat file, the
 * messages' content ids (the same MD5 the pipeline uses), distinct messages,
 * then one GROUP BY order with first and last message by (time, id) and the
 * smallest city code of the order's events.
 */
export function duckdbConversations(input: string, warehouse: string): Promise<Record<string, number>> {
  const table = quoteIdent(customerCourierConversations.name);
  return withWarehouse(warehouse, async (db) => {
    await db.run(createTableSql(customerCourierConversations));
    await db.run(`INSERT INTO ${table}
      WITH raw AS (
        SELECT * FROM read_json(${literal(input)}, format = 'newline_delimited', ignore_errors = true, columns = {
          senderAppType: 'VARCHAR', courierId: 'BIGINT', customerId: 'BIGINT', fromId: 'BIGINT', toId: 'BIGINT',
          chatStartedByMessage: 'BOOLEAN', orderId: 'BIGINT', orderStage: 'VARCHAR', messageSentTime: 'TIMESTAMPTZ', cityCode: 'VARCHAR'})),
      roles AS (
        SELECT *, CAST(messageSentTime AS TIMESTAMP) AS t, lower(split_part(trim(senderAppType), ' ', 1)) AS role FROM raw
        WHERE senderAppType IS NOT NULL),
      messages AS (
        SELECT DISTINCT orderId, role, t, orderStage,
          md5(concat_ws('|', orderId, fromId, toId, courierId, customerId, senderAppType, epoch_us(t), orderStage, coalesce(CAST(chatStartedByMessage AS VARCHAR), ''))) AS id
        FROM roles WHERE fromId = CASE role WHEN 'courier' THEN courierId WHEN 'customer' THEN customerId END),
      cities AS (SELECT orderId, min(cityCode) AS city_code FROM raw WHERE senderAppType IS NULL AND trim(cityCode) <> '' GROUP BY orderId),
      conversations AS (
        SELECT orderId, min(t) FILTER (role = 'courier') AS first_courier, min(t) FILTER (role = 'customer') AS first_customer,
          count(*) FILTER (role = 'courier') AS courier_messages, count(*) FILTER (role = 'customer') AS customer_messages,
          arg_min(role, (t, id)) AS first_role, min(t) AS first_time, max(t) AS last_time, arg_max(orderStage, (t, id)) AS last_stage
        FROM messages GROUP BY orderId)
      SELECT orderId, city_code, first_courier, first_customer, courier_messages, customer_messages, first_role, first_time,
        floor((epoch_us(CASE first_role WHEN 'courier' THEN first_customer ELSE first_courier END) - epoch_us(first_time)) / 1e6),
        last_time, last_stage, CAST(first_time AS DATE)
      FROM conversations LEFT JOIN cities USING (orderId)`);
    return conversationSummary(db);
  });
}

/** What the conversations benchmark compares between the pipeline, the peer and DuckDB: rows, distinct messages, answered conversations. */
export async function conversationSummary(db: DuckDBConnection): Promise<Record<string, number>> {
  const row = (
    await db.runAndReadAll(
      `SELECT count(*), sum(num_messages_courier + num_messages_customer), count(first_responsetime_delay_seconds) FROM ${quoteIdent(customerCourierConversations.name)}`,
    )
  ).getRows()[0];
  return { rows: Number(row[0]), messages: Number(row[1]), answered: Number(row[2]) };
}

/** The counts the benchmarks check, read from a warehouse a pipeline wrote. */
export function warehouseCounts(warehouse: string, table: string): Promise<Record<string, number>> {
  return withWarehouse(warehouse, async (db) => {
    if (table === customerCourierConversations.name) return conversationSummary(db);
    const rows = await count(db, table);
    return { rows, dead_letters: await count(db, deadLetter.name) };
  });
}
