import * as beam from "apache-beam";
import { assertDeepEqual } from "apache-beam/testing/assert";
import { conversationsPipeline } from "../../pipelines/conversations/pipeline";
import { conversationMessages, customerCourierConversations, orders } from "../../schemas/conversations";
import { deadLetter } from "../../schemas/dead-letter";
import { Row } from "../../schemas/table";
import { formatTimestamp } from "../../schemas/timestamp";
import { ConversationAccumulator, conversationRow } from "../../transforms/conversations/combine";
import { ORDER_66096282, ORDER_77656162 } from "../fixtures-conversations";
import { messageChunk, runGraph } from "../support/graph";

/** Conversation panes as the rows the sink makes of them, with the columns the worked examples state. */
function conversationsOf(panes: Row[]): Row[] {
  const out: Row[] = [];
  for (const pane of panes) {
    const row = conversationRow(pane as ConversationAccumulator);
    if (row === null) continue;
    out.push({
      order_id: row.order_id,
      city_code: row.city_code,
      first_message_by: row.first_message_by,
      started: row.conversation_started_at === null ? null : formatTimestamp(row.conversation_started_at),
      delay: row.first_responsetime_delay_seconds,
      messages: `${row.num_messages_courier}+${row.num_messages_customer}`,
      last_stage: row.last_message_order_stage,
    });
  }
  return out;
}

const orderIds = (rows: Row[]): unknown[] => rows.map((r) => r.order_id);
const cities = (rows: Row[]): unknown[] => rows.map((r) => `${r.order_id} ${r.city_code}`);
const reasonCodes = (rows: Row[]): unknown[] => rows.map((r) => r.reason_code);

describe("conversations graph on a direct-runner root", () => {
  it("turns the worked examples, split over two micro-batches, into one conversation per order", async () => {
    const records = [...ORDER_77656162, ...ORDER_66096282, '{"orderId": 1}'];
    const chunks = [messageChunk(records.slice(0, 7)), messageChunk(records.slice(7))];
    await runGraph(conversationsPipeline, { sampleConversations: 1 }, chunks, (outputs) => {
      outputs[customerCourierConversations.name].flatMap(beam.withName("Rows", conversationsOf)).apply(
        assertDeepEqual([
          { order_id: 66096282, city_code: "TOK", first_message_by: "courier", started: "2024-02-01T10:38:50Z", delay: 40, messages: "3+2", last_stage: "ACCEPTED" },
          { order_id: 77656162, city_code: "ROM", first_message_by: "courier", started: "2024-02-01T10:04:46Z", delay: 42, messages: "3+2", last_stage: "FAILED" },
        ]),
      );
      outputs[conversationMessages.name].flatMap(beam.withName("MessageOrders", orderIds)).apply(assertDeepEqual([...Array(5).fill(77656162), ...Array(5).fill(66096282)]));
      outputs[orders.name].flatMap(beam.withName("OrderCities", cities)).apply(assertDeepEqual(["77656162 ROM", "66096282 TOK"]));
      outputs[deadLetter.name].flatMap(beam.withName("Reasons", reasonCodes)).apply(assertDeepEqual(["missing_field"]));
    });
  });
});
