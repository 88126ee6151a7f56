import { registerModule } from "../core/registry";
import { contentId } from "../core/ids";
import { chatMessageFields, ChatMessage, ConversationMessage, orderEventFields, OrderEvent, OrderRow, SenderRole } from "../../schemas/conversations";
import { utcDay } from "../../schemas/timestamp";
import { isRejection, normalizeRow, reject, Rejection } from "../core/validate";

/** One input line of the chat stream, decoded: a chat message or an order event, as the rows they become. */
export type ConversationRecord = ConversationMessage | OrderRow;

export function isMessage(record: ConversationRecord): record is ConversationMessage {
  return (record as ConversationMessage).message_id !== undefined;
}

/** The sender's role from `senderAppType` ("Courier Android" -> courier), or null when it names neither. */
export function roleOf(senderAppType: string): SenderRole | null {
  const first = senderAppType.trim().split(/\s+/)[0].toLowerCase();
  return first === "courier" || first === "customer" ? first : null;
}

/**
 * Stable id of a message: a hash of everything it says. A redelivered or
 * repeated message gets the same id; two different messages practically never do.
 */
export function messageIdOf(m: ChatMessage): string {
  const canonical = [m.orderId, m.fromId, m.toId, m.courierId, m.customerId, m.senderAppType, m.messageSentTime, m.orderStage, m.chatStartedByMessage].join("|");
  return contentId(canonical);
}

function decodeMessage(value: unknown): ConversationMessage | Rejection {
  const read = normalizeRow(value, chatMessageFields);
  if (isRejection(read)) return read;
  const m = read as ChatMessage;
  const role = roleOf(m.senderAppType);
  if (role === null) return reject("unknown_sender_app", `senderAppType must name a Courier or Customer app, got ${JSON.stringify(m.senderAppType)}`);
  const own = role === "courier" ? m.courierId : m.customerId;
  const other = role === "courier" ? m.customerId : m.courierId;
  if (m.fromId !== own) {
    return m.fromId === other
      ? reject("sender_mismatch", `senderAppType says ${role} but fromId ${m.fromId} is the ${role === "courier" ? "customer" : "courier"}'s id`)
      : reject("unknown_sender_id", `fromId ${m.fromId} is neither the courier (${m.courierId}) nor the customer (${m.customerId})`);
  }
  return {
    message_id: messageIdOf(m),
    order_id: m.orderId,
    sender_role: role,
    sender_app_type: m.senderAppType,
    courier_id: m.courierId,
    customer_id: m.customerId,
    from_id: m.fromId,
    to_id: m.toId,
    chat_started_by_message: m.chatStartedByMessage,
    order_stage: m.orderStage,
    message_sent_time: m.messageSentTime,
    run_date: utcDay(m.messageSentTime),
  };
}

function decodeOrder(value: unknown, receivedAt: number): OrderRow | Rejection {
  const read = normalizeRow(value, orderEventFields);
  if (isRejection(read)) return read;
  const o = read as OrderEvent;
  if (o.cityCode.trim() === "") return reject("missing_field", "cityCode is empty");
  return { order_id: o.orderId, city_code: o.cityCode, received_at: receivedAt, run_date: utcDay(receivedAt) };
}

/**
 * The chat input is one stream of two kinds of JSON lines. A line with any
 * chat-message field is a message; any other object is an order event.
 */
export function decodeConversationRecord(value: unknown, receivedAt: number): ConversationRecord | Rejection {
  const looksLikeMessage =
    typeof value === "object" && value !== null && ("senderAppType" in value || "messageSentTime" in value || "fromId" in value);
  return looksLikeMessage ? decodeMessage(value) : decodeOrder(value, receivedAt);
}

registerModule("transforms/conversations/records", module.exports);
