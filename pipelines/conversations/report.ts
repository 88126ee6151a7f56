import { formatCount } from "../../cli/format";
import { RunReport, SummaryLine } from "../definition";
import { customerCourierConversations } from "../../schemas/conversations";
import { Row } from "../../schemas/table";
import { ConversationAccumulator, conversationRow, mergeTwo } from "../../transforms/conversations/combine";

const n = formatCount;

function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

const seconds = (s: number | null): string => (s === null ? "n/a" : `${n(s)} s`);

/** The conversations of this run (panes merged as the sink merges them): delays, who starts, by city. */
export class ConversationsReport implements RunReport {
  private readonly conversations = new Map<number, ConversationAccumulator>();

  observe(table: string, rows: readonly Row[]): void {
    if (table !== customerCourierConversations.name) return;
    for (const full of rows as readonly ConversationAccumulator[]) {
      // The summary needs no counts: drop the message-id sets, keep one small state per order.
      const pane = { ...full, courier_keys: [], customer_keys: [] };
      const seen = this.conversations.get(pane.order_id);
      this.conversations.set(pane.order_id, seen === undefined ? pane : mergeTwo(seen, pane));
    }
  }

  render(): SummaryLine[] {
    const rows = [...this.conversations.values()].map(conversationRow).filter((r) => r !== null);
    const delays = rows.map((r) => r!.first_responsetime_delay_seconds).filter((d): d is number => d !== null).sort((a, b) => a - b);
    const byCourier = rows.filter((r) => r!.first_message_by === "courier").length;
    const cities = new Map<string, { count: number; delays: number[] }>();
    for (const row of rows) {
      const city = cities.get(row!.city_code ?? "(no city)") ?? { count: 0, delays: [] };
      city.count++;
      if (row!.first_responsetime_delay_seconds !== null) city.delays.push(row!.first_responsetime_delay_seconds);
      cities.set(row!.city_code ?? "(no city)", city);
    }
    const byCity = [...cities]
      .sort((a, b) => b[1].count - a[1].count || a[0].localeCompare(b[0]))
      .map(([city, c]) => `${city} ${n(c.count)} (median ${seconds(quantile(c.delays.sort((a, b) => a - b), 0.5))})`);
    return [
      ["orders with a chat", `${n(rows.length)}, ${n(rows.length - delays.length)} not answered yet`],
      ["first response", `median ${seconds(quantile(delays, 0.5))}, p90 ${seconds(quantile(delays, 0.9))}`],
      ["started by courier", rows.length === 0 ? "n/a" : `${((byCourier / rows.length) * 100).toFixed(1)}%`],
      ["by city", byCity.length === 0 ? "none" : byCity.join(", ")],
    ];
  }
}
