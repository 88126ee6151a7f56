import { expect } from "chai";
import { spawnSync } from "child_process";
import { join } from "path";
import { conversationRow, conversationsOfChunk } from "../../transforms/conversations/combine";
import { ConversationRecord, decodeConversationRecord } from "../../transforms/conversations/records";
import { isRejection } from "../../transforms/core/validate";
import { DEFAULT_BUFFER_THRESHOLD_MS, decodePlaybackEvent, isPlaybackAlert } from "../../transforms/playback/alerts";
import { CONVERSATIONS_START_MICROS, ConversationGenerator } from "../../samples/conversations";
import { PlaybackGenerator } from "../../samples/playback";
import { ROOT, tempDir, writeLines } from "../helpers";
import { ORDER_66096282, ORDER_77656162 } from "../fixtures-conversations";

/**
 * The benchmark's Python peer (bench/python/rules.py, run by Beam in
 * bench/python/peer.py) is only a peer if it applies our rules: run without
 * Beam on the same lines, it must find the same alerts, dead letters and
 * conversation rows as the TypeScript transforms.
 */
function python(kind: string, file: string): { alerts?: number; rows?: Record<string, unknown>[]; dead_letters: number } {
  const run = spawnSync("python3", [join(ROOT, "bench", "python", "rules.py"), kind, file], { encoding: "utf8" });
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout);
}

/** Lines every decoder must refuse the same way: broken JSON, wrong types, impossible times, unknown senders. */
const TRICKY = [
  '{"event_id": 1, "session_id": 2',
  "[1, 2]",
  '{"event_id": true, "session_id": 1, "user_id": 1, "movie_id": 1, "event_type": "error", "event_timestamp": "2025-10-27 00:00:01"}',
  '{"event_id": 1.5, "session_id": 1, "user_id": 1, "movie_id": 1, "event_type": "error", "event_timestamp": "2025-10-27 00:00:01"}',
  '{"event_id": 1.0, "session_id": 1, "user_id": 1, "movie_id": 1, "event_type": "error", "event_timestamp": "2025-02-29 00:00:01"}',
  '{"event_id": 2.0, "session_id": 1, "user_id": 1, "movie_id": 1, "event_type": "error", "event_timestamp": "2024-02-29T23:59:59.1234567+01:30"}',
  '{"event_id": 3, "session_id": 1, "user_id": 1, "movie_id": 1, "event_type": "buffer", "event_timestamp": "2025-10-27 00:00:01", "buffer_duration_ms": 4000}',
  '{"event_id": 4, "session_id": 1, "user_id": 1, "movie_id": 1, "event_type": "buffer", "event_timestamp": "2025-10-27 00:00:01", "buffer_duration_ms": 4001}',
  '{"event_id": 5, "session_id": 1, "user_id": -1, "movie_id": 1, "event_type": "stop", "event_timestamp": "2025-10-27 00:00:01"}',
  '{"senderAppType": "Robot", "courierId": 1, "customerId": 2, "fromId": 1, "toId": 2, "orderId": 9, "orderStage": "X", "messageSentTime": "2024-02-01T10:00:00Z"}',
  '{"senderAppType": "Courier iOS", "courierId": 1, "customerId": 2, "fromId": 2, "toId": 1, "orderId": 9, "orderStage": "X", "messageSentTime": "2024-02-01T10:00:00Z"}',
  '{"orderId": 9, "cityCode": "  "}',
  '{"orderId": 10, "cityCode": "BCN"}',
];

describe("the benchmark's Python peer rules", () => {
  const dir = tempDir();

  it("finds the alerts and the dead letters the alerts pipeline finds", () => {
    const lines = [...new PlaybackGenerator({ seed: 7 }).lines(3000)].map((line, i) => (i % 500 === 0 ? line.slice(0, 30) : line));
    lines.push(...TRICKY);
    let alerts = 0, dead = 0;
    for (const line of lines) {
      let event;
      try {
        event = decodePlaybackEvent(JSON.parse(line));
      } catch {
        dead++;
        continue;
      }
      if (isRejection(event)) dead++;
      else if (isPlaybackAlert(event, DEFAULT_BUFFER_THRESHOLD_MS)) alerts++;
    }
    expect(alerts).to.be.greaterThan(100);
    expect(python("alerts", writeLines(join(dir, "playback.jsonl"), lines))).to.deep.equal({ alerts: alerts, dead_letters: dead });
  });

  it("makes the conversation rows the sessionizer makes, duplicates and ties included", () => {
    const generated = new ConversationGenerator({ seed: 3, conversations: 400, startMicros: CONVERSATIONS_START_MICROS, firstOrderId: 1, maxMessages: 8 }).lines();
    const lines = [...generated, ...generated.slice(0, 50), ...ORDER_77656162, ...ORDER_66096282, ...TRICKY];
    const records: ConversationRecord[] = [];
    let dead = 0;
    for (const line of lines) {
      let record;
      try {
        record = decodeConversationRecord(JSON.parse(line), 0);
      } catch {
        dead++;
        continue;
      }
      if (isRejection(record)) dead++;
      else records.push(record);
    }
    const rows = conversationsOfChunk(records).map(conversationRow).filter((r) => r !== null);
    rows.sort((a, b) => a!.order_id - b!.order_id);
    const peer = python("conversations", writeLines(join(dir, "chats.jsonl"), lines));
    expect(peer.dead_letters).to.equal(dead);
    expect(peer.rows).to.deep.equal(rows);
  });
});
