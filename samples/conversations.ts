import { formatTimestamp } from "../schemas/timestamp";
import { Random } from "./random";

const CITIES = ["MAD", "ROM", "TOK", "BCN", "LIS", "PAR", "MIL", "BER", "WAW", "IST"] as const;
const STAGES = ["ACCEPTED", "IN_PROGRESS", "AWAITING_PICKUP", "OUT_FOR_DELIVERY", "DELAYED", "PENDING", "FAILED", "DELIVERED"] as const;
const COURIER_APPS = ["Courier Android", "Courier iOS"] as const;
const CUSTOMER_APPS = ["Customer iOS", "Customer Android"] as const;

/** 2024-02-01 10:00:00 UTC, the morning of the two worked examples (test/fixtures-conversations.ts). */
export const CONVERSATIONS_START_MICROS = Date.UTC(2024, 1, 1, 10) * 1000;

export interface ConversationGeneratorOptions {
  seed: number;
  /** Conversations (orders) to generate; the reference data has 400. */
  conversations: number;
  /** When the first conversation may start, epoch microseconds. */
  startMicros?: number;
  /** Conversations start uniformly within this many seconds of the start. */
  spreadSeconds?: number;
  /** Order ids count up from here, 1-7 apart. Default: derived from the seed. */
  firstOrderId?: number;
  /** Messages per conversation: from 2 to this (reference data: 5). */
  maxMessages?: number;
}

interface Line {
  time: number;
  order: number;
  text: string;
}

/**
 * Courier chat data: per order, an opening message by the courier or the
 * customer, then the `{orderId, cityCode}` order event, then 1-4 more messages
 * in time order, mostly alternating sides. All conversations interleaved by time.
 */
export class ConversationGenerator {
  constructor(private readonly options: ConversationGeneratorOptions) {}

  /** Every line, in the order they were "sent". */
  lines(): string[] {
    const r = new Random(this.options.seed);
    const start = this.options.startMicros ?? CONVERSATIONS_START_MICROS;
    const spread = (this.options.spreadSeconds ?? 3600) * 1_000_000;
    const out: Line[] = [];
    const orderBase = this.options.firstOrderId ?? 10_000_000 + (this.options.seed % 80) * 1_000_000;
    for (let c = 0; c < this.options.conversations; c++) {
      const orderId = orderBase + c * 7 + r.int(0, 6);
      const courierId = r.int(10_000_000, 99_999_999);
      const customerId = r.int(10_000_000, 99_999_999);
      const courierApp = r.pick(COURIER_APPS);
      const customerApp = r.pick(CUSTOMER_APPS);
      let time = start + Math.floor(r.float() * spread / 1_000_000) * 1_000_000;
      let courierSends = r.float() < 0.55;
      const count = r.int(2, this.options.maxMessages ?? 5);
      for (let m = 0; m < count; m++) {
        const message = {
          senderAppType: courierSends ? courierApp : customerApp,
          courierId,
          fromId: courierSends ? courierId : customerId,
          toId: courierSends ? customerId : courierId,
          chatStartedByMessage: m === 0,
          orderId,
          orderStage: r.pick(STAGES),
          customerId,
          messageSentTime: formatTimestamp(time),
        };
        out.push({ time, order: out.length, text: JSON.stringify(message) });
        if (m === 0) out.push({ time, order: out.length, text: JSON.stringify({ orderId, cityCode: r.pick(CITIES) }) });
        time += r.int(3, 120) * 1_000_000;
        if (r.float() < 0.75) courierSends = !courierSends;
      }
    }
    out.sort((a, b) => a.time - b.time || a.order - b.order);
    return out.map((line) => line.text);
  }
}
