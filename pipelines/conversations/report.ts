import { formatCount } from "../format";
import { RunReport, SummaryLine } from "../definition";
import { CustomerCourierConversation, customerCourierConversations } from "../../schemas/conversations";
import { Row } from "../../schemas/table";

const n = formatCount;

function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

const seconds = (s: number | null): string => (s === null ? "n/a" : `${n(s)} s`);

/** What the summary needs of an order's conversation. */
interface Summarized {
  city: string | null;
  delay: number | null;
  byCourier: boolean;
}

/** The conversations of this run, as the sink last wrote them: delays, who starts, by city. */
export class ConversationsReport implements RunReport {
  private readonly conversations = new Map<number, Summarized>();

  observe(table: string, rows: readonly Row[]): void {
    if (table !== customerCourierConversations.name) return;
    for (const row of rows as readonly CustomerCourierConversation[]) {
      this.conversations.set(row.order_id, { city: row.city_code, delay: row.first_responsetime_delay_seconds, byCourier: row.first_message_by === "courier" });
    }
  }

  render(): SummaryLine[] {
    const rows = [...this.conversations.values()];
    const delays = rows.map((r) => r.delay).filter((d): d is number => d !== null).sort((a, b) => a - b);
    const byCourier = rows.filter((r) => r.byCourier).length;
    const cities = new Map<string, { count: number; delays: number[] }>();
    for (const row of rows) {
      const city = cities.get(row.city ?? "(no city)") ?? { count: 0, delays: [] };
      city.count++;
      if (row.delay !== null) city.delays.push(row.delay);
      cities.set(row.city ?? "(no city)", city);
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
