import { expect } from "chai";
import { CustomerCourierConversation } from "../../schemas/conversations";
import { formatDate, formatTimestamp } from "../../schemas/timestamp";
import { isRejection, Rejection } from "../../transforms/core/validate";
import { ConversationAccumulator, conversationCombineFn, conversationRow, conversationsOfChunk } from "../../transforms/conversations/combine";
import { ConversationRecord, decodeConversationRecord } from "../../transforms/conversations/records";
import { ConversationGenerator } from "../../samples/conversations";
import { Random } from "../../samples/random";
import { ORDER_66096282, ORDER_77656162 } from "../fixtures-conversations";

const RECEIVED = Date.UTC(2024, 1, 1, 12) * 1000;

function records(lines: readonly string[]): ConversationRecord[] {
  return lines.map((line) => {
    const r = decodeConversationRecord(JSON.parse(line), RECEIVED);
    if (isRejection(r)) throw new Error(r.reason);
    return r;
  });
}

function fold(recs: readonly ConversationRecord[]): ConversationAccumulator {
  let acc = conversationCombineFn.createAccumulator();
  for (const r of recs) acc = conversationCombineFn.addInput(acc, r);
  return acc;
}

/** A row with times as text, for readable comparisons. */
function readable(row: CustomerCourierConversation | null): Record<string, unknown> | null {
  if (row === null) return null;
  const t = (x: number | null) => (x === null ? null : formatTimestamp(x));
  return {
    ...row,
    first_courier_message: t(row.first_courier_message),
    first_customer_message: t(row.first_customer_message),
    conversation_started_at: t(row.conversation_started_at),
    last_message_time: t(row.last_message_time),
    run_date: formatDate(row.run_date),
  };
}

const rowOf = (lines: readonly string[]) => readable(conversationRow(fold(records(lines))));

describe("conversation CombineFn", () => {
  it("reproduces the worked example order 77656162: courier first in ROM, answered after 42 s, last FAILED", () => {
    expect(rowOf(ORDER_77656162)).to.deep.equal({
      order_id: 77656162,
      city_code: "ROM",
      first_courier_message: "2024-02-01T10:04:46Z",
      first_customer_message: "2024-02-01T10:05:28Z",
      num_messages_courier: 3,
      num_messages_customer: 2,
      first_message_by: "courier",
      conversation_started_at: "2024-02-01T10:04:46Z",
      first_responsetime_delay_seconds: 42,
      last_message_time: "2024-02-01T10:06:35Z",
      last_message_order_stage: "FAILED",
      run_date: "2024-02-01",
    });
  });

  it("follows order 66096282 as its messages arrive one by one", () => {
    const after = (n: number) => rowOf(ORDER_66096282.slice(0, n));
    expect(after(2)).to.include({ city_code: "TOK", first_message_by: "courier", first_responsetime_delay_seconds: null, last_message_time: "2024-02-01T10:38:50Z", last_message_order_stage: "OUT_FOR_DELIVERY", num_messages_customer: 0 });
    expect(after(3)).to.include({ first_customer_message: "2024-02-01T10:39:30Z", first_responsetime_delay_seconds: 40, last_message_order_stage: "ACCEPTED" });
    expect(after(4)).to.include({ last_message_time: "2024-02-01T10:39:45Z", last_message_order_stage: "PENDING", num_messages_courier: 2 });
    expect(after(6)).to.include({ num_messages_courier: 3, num_messages_customer: 2, last_message_time: "2024-02-01T10:41:07Z", last_message_order_stage: "ACCEPTED", first_responsetime_delay_seconds: 40 });
  });

  it("has no row for an order event alone, and fills the city when the order event comes late (or leaves it null)", () => {
    expect(rowOf([ORDER_77656162[1]])).to.equal(null);
    const messagesOnly = ORDER_77656162.filter((_, i) => i !== 1);
    expect(rowOf(messagesOnly)!.city_code).to.equal(null);
    expect(rowOf([...messagesOnly, ORDER_77656162[1]])).to.deep.equal(rowOf(ORDER_77656162));
  });

  it("breaks a tie on the first message time by message id, whatever the arrival order", () => {
    const tie = [ORDER_77656162[0], ORDER_77656162[2].replace("10:05:28", "10:04:46")];
    const a = rowOf(tie), b = rowOf([...tie].reverse());
    expect(a).to.deep.equal(b);
    expect(a!.first_responsetime_delay_seconds).to.equal(0);
  });

  it("gives the same rows for any order, duplication and split of the records (seeded property test)", () => {
    const lines = new ConversationGenerator({ seed: 9, conversations: 60 }).lines();
    const expected = new Map(conversationsOfChunk(records(lines)).map((acc) => [acc.order_id, readable(conversationRow(acc))]));
    const random = new Random(99);
    for (let trial = 0; trial < 25; trial++) {
      const shuffled = random.shuffled(lines.flatMap((l) => (random.float() < 0.2 ? [l, l] : [l])));
      const cuts = [0, random.int(0, shuffled.length), random.int(0, shuffled.length), shuffled.length].sort((a, b) => a - b);
      const partials = [0, 1, 2].flatMap((k) => conversationsOfChunk(records(shuffled.slice(cuts[k], cuts[k + 1]))));
      const byOrder = new Map<number, ConversationAccumulator[]>();
      for (const p of partials.reverse()) byOrder.set(p.order_id, [...(byOrder.get(p.order_id) ?? []), p]);
      const got = new Map([...byOrder].map((e) => [e[0], readable(conversationRow(conversationCombineFn.mergeAccumulators(e[1])))]));
      expect(got).to.deep.equal(expected);
    }
  });
});

describe("conversation records", () => {
  const message = JSON.parse(ORDER_77656162[0]);
  const rejection = (value: unknown): Rejection => {
    const r = decodeConversationRecord(value, RECEIVED);
    if (!isRejection(r)) throw new Error("accepted");
    return r;
  };

  const cases: [string, unknown, string, RegExp][] = [
    ["an unknown senderAppType", { ...message, senderAppType: "Restaurant Web" }, "unknown_sender_app", /senderAppType must name a Courier or Customer app/],
    ["a missing orderId", { ...message, orderId: undefined }, "missing_field", /orderId is required/],
    ["a bad timestamp", { ...message, messageSentTime: "10:04:46" }, "bad_timestamp", /messageSentTime/],
    ["a fromId matching neither party", { ...message, fromId: 1 }, "unknown_sender_id", /fromId 1 is neither the courier \(45035010\) nor the customer \(57270753\)/],
    ["a fromId of the other party", { ...message, fromId: 57270753 }, "sender_mismatch", /senderAppType says courier but fromId 57270753 is the customer's id/],
    ["an order event without cityCode", { orderId: 77656162 }, "missing_field", /cityCode is required/],
    ["an order event with an empty cityCode", { orderId: 77656162, cityCode: " " }, "missing_field", /cityCode is empty/],
    ["an order event without orderId", { cityCode: "ROM" }, "missing_field", /orderId is required/],
  ];
  for (const [what, value, code, reason] of cases) {
    it(`dead-letters ${what} as ${code}`, () => {
      const r = rejection(value);
      expect(r.code).to.equal(code);
      expect(r.reason).to.match(reason);
    });
  }

  it("gives a repeated message the same id, and different messages different ids", () => {
    const a = records([ORDER_77656162[0]])[0], b = records([ORDER_77656162[0]])[0], c = records([ORDER_77656162[2]])[0];
    expect(a).to.deep.equal(b);
    expect((a as { message_id: string }).message_id).to.not.equal((c as { message_id: string }).message_id);
  });
});
