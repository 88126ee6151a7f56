import { expect } from "chai";
import { readFileSync } from "fs";
import { join } from "path";
import { ConversationGenerator } from "../../samples/conversations";
import { Random } from "../../samples/random";
import { ORDER_66096282, ORDER_77656162 } from "../fixtures-conversations";
import { query, ROOT, runCli, tempDir, writeLines } from "../helpers";

const FINAL = "SELECT * FROM customer_courier_conversations ORDER BY order_id";
const MESSAGES = "SELECT * FROM conversations ORDER BY message_id";
const ORDERS = "SELECT order_id, city_code FROM orders ORDER BY order_id";

function run(args: string[]): void {
  const result = runCli(["conversations", ...args]);
  expect(result.status, result.stderr).to.equal(0);
}

describe("conversations pipeline on the direct runner", () => {
  const dir = tempDir();

  it("computes the conversation spec's two worked examples", async () => {
    const warehouse = join(dir, "seed.duckdb");
    run(["--input", writeLines(join(dir, "seed.jsonl"), [...ORDER_77656162, ...ORDER_66096282]), "--warehouse", warehouse]);
    const rows = await query(warehouse, FINAL);
    expect(rows).to.deep.equal([
      {
        order_id: "66096282", city_code: "TOK", first_courier_message: "2024-02-01 10:38:50", first_customer_message: "2024-02-01 10:39:30",
        num_messages_courier: "3", num_messages_customer: "2", first_message_by: "courier", conversation_started_at: "2024-02-01 10:38:50",
        first_responsetime_delay_seconds: "40", last_message_time: "2024-02-01 10:41:07", last_message_order_stage: "ACCEPTED", run_date: "2024-02-01",
      },
      {
        order_id: "77656162", city_code: "ROM", first_courier_message: "2024-02-01 10:04:46", first_customer_message: "2024-02-01 10:05:28",
        num_messages_courier: "3", num_messages_customer: "2", first_message_by: "courier", conversation_started_at: "2024-02-01 10:04:46",
        first_responsetime_delay_seconds: "42", last_message_time: "2024-02-01 10:06:35", last_message_order_stage: "FAILED", run_date: "2024-02-01",
      },
    ]);
    expect(await query(warehouse, "SELECT count(*) AS n FROM conversations")).to.deep.equal([{ n: "10" }]);
  });

  describe("over a generated data set", () => {
    const lines = new ConversationGenerator({ seed: 5, conversations: 300 }).lines();
    const inOrder = join(dir, "in-order.duckdb");
    const reordered = join(dir, "reordered.duckdb");

    before(() => {
      run(["--input", writeLines(join(dir, "in-order.jsonl"), lines), "--warehouse", inOrder]);
      // The same records shuffled, one in five repeated, in three files run one after another (three "micro-batches").
      const random = new Random(17);
      const shuffled = random.shuffled(lines.flatMap((l) => (random.float() < 0.2 ? [l, l] : [l])));
      const third = Math.ceil(shuffled.length / 3);
      for (let k = 0; k < 3; k++) {
        run(["--input", writeLines(join(dir, `part-${k}.jsonl`), shuffled.slice(k * third, (k + 1) * third)), "--warehouse", reordered]);
      }
    });

    it("gives identical tables whether records arrive in order, or shuffled, repeated and split across runs", async () => {
      const final = await query(inOrder, FINAL);
      expect(final).to.have.length(300);
      expect(await query(reordered, FINAL)).to.deep.equal(final);
      expect(await query(reordered, MESSAGES)).to.deep.equal(await query(inOrder, MESSAGES));
      expect(await query(reordered, ORDERS)).to.deep.equal(await query(inOrder, ORDERS));
    });

    it("agrees row for row with the SQL view computed over conversations and orders", async () => {
      const sql = readFileSync(join(ROOT, "pipelines/conversations/sql/customer_courier_conversations.duckdb.sql"), "utf8");
      expect(await query(inOrder, sql)).to.deep.equal(await query(inOrder, FINAL));
      expect(await query(reordered, sql)).to.deep.equal(await query(reordered, FINAL));
    });

    it("writes the same final rows to JSONL, merged across runs", async () => {
      const out = join(dir, "jsonl");
      const half = Math.ceil(lines.length / 2);
      run(["--input", writeLines(join(dir, "first-half.jsonl"), lines.slice(0, half)), "--sink", "jsonl", "--outputDir", out]);
      run(["--input", writeLines(join(dir, "second-half.jsonl"), lines.slice(half)), "--sink", "jsonl", "--outputDir", out]);
      const rows = readFileSync(join(out, "customer_courier_conversations.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
      const expected = await query(inOrder, "SELECT order_id, num_messages_courier, num_messages_customer, first_responsetime_delay_seconds, last_message_order_stage FROM customer_courier_conversations ORDER BY order_id");
      const got = rows
        .sort((a, b) => a.order_id - b.order_id)
        .map((r) => ({
          order_id: String(r.order_id),
          num_messages_courier: String(r.num_messages_courier),
          num_messages_customer: String(r.num_messages_customer),
          first_responsetime_delay_seconds: r.first_responsetime_delay_seconds === null ? null : String(r.first_responsetime_delay_seconds),
          last_message_order_stage: r.last_message_order_stage,
        }));
      expect(got).to.deep.equal(expected);
    });
  });

  it("dead-letters every bad-input class with its reason", async () => {
    const message = JSON.parse(ORDER_77656162[0]);
    const bad = [
      { ...message, senderAppType: "Restaurant Web" },
      { ...message, orderId: undefined },
      { ...message, messageSentTime: "yesterday" },
      { ...message, fromId: 1 },
      { orderId: 5 },
    ].map((v) => JSON.stringify(v));
    const warehouse = join(dir, "bad.duckdb");
    run(["--input", writeLines(join(dir, "bad.jsonl"), [...ORDER_66096282, ...bad]), "--warehouse", warehouse]);
    const rows = await query(warehouse, "SELECT reason_code, payload FROM dead_letter ORDER BY length(source), source");
    expect(rows.map((r) => r.reason_code)).to.deep.equal(["unknown_sender_app", "missing_field", "bad_timestamp", "unknown_sender_id", "missing_field"]);
    expect(rows.map((r) => r.payload)).to.deep.equal(bad);
    expect(await query(warehouse, "SELECT count(*) AS n FROM customer_courier_conversations")).to.deep.equal([{ n: "1" }]);
  });
});
