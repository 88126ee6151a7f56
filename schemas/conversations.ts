import { fieldSpecs, RowOf, tableSpec } from "./table";

/** A chat message, as it arrives (camelCase, as the courier and customer apps send it). */
export const chatMessageFields = fieldSpecs([
  { name: "senderAppType", type: "STRING", mode: "REQUIRED", description: "App that sent it: 'Courier Android', 'Customer iOS', ..." },
  { name: "courierId", type: "INT64", mode: "REQUIRED", min: 0, description: "The order's courier." },
  { name: "customerId", type: "INT64", mode: "REQUIRED", min: 0, description: "The order's customer." },
  { name: "fromId", type: "INT64", mode: "REQUIRED", min: 0, description: "Sender: the courier's or the customer's id." },
  { name: "toId", type: "INT64", mode: "REQUIRED", min: 0, description: "Recipient." },
  { name: "chatStartedByMessage", type: "BOOL", mode: "NULLABLE", description: "True on the message that opened the chat." },
  { name: "orderId", type: "INT64", mode: "REQUIRED", min: 0, description: "The order the conversation is about." },
  { name: "orderStage", type: "STRING", mode: "REQUIRED", description: "Order stage when the message was sent." },
  { name: "messageSentTime", type: "TIMESTAMP", mode: "REQUIRED", description: "When it was sent (UTC)." },
] as const);

/** An order event: which city an order is in. */
export const orderEventFields = fieldSpecs([
  { name: "orderId", type: "INT64", mode: "REQUIRED", min: 0, description: "The order." },
  { name: "cityCode", type: "STRING", mode: "REQUIRED", description: "City of the order, e.g. ROM." },
] as const);

export type ChatMessage = RowOf<typeof chatMessageFields>;
export type OrderEvent = RowOf<typeof orderEventFields>;

export const SENDER_ROLES = ["courier", "customer"] as const;
export type SenderRole = (typeof SENDER_ROLES)[number];

const conversationMessageFields = fieldSpecs([
  { name: "message_id", type: "UUID", mode: "REQUIRED", description: "Hash of the message's content: a redelivered message has the same id and is stored once." },
  { name: "order_id", type: "INT64", mode: "REQUIRED", description: "The order." },
  { name: "sender_role", type: "STRING", mode: "REQUIRED", allowed: SENDER_ROLES, description: "courier or customer, from senderAppType." },
  { name: "sender_app_type", type: "STRING", mode: "REQUIRED", description: "senderAppType as sent." },
  { name: "courier_id", type: "INT64", mode: "REQUIRED", description: "The order's courier." },
  { name: "customer_id", type: "INT64", mode: "REQUIRED", description: "The order's customer." },
  { name: "from_id", type: "INT64", mode: "REQUIRED", description: "Sender id." },
  { name: "to_id", type: "INT64", mode: "REQUIRED", description: "Recipient id." },
  { name: "chat_started_by_message", type: "BOOL", mode: "NULLABLE", description: "As sent." },
  { name: "order_stage", type: "STRING", mode: "REQUIRED", description: "Order stage when sent." },
  { name: "message_sent_time", type: "TIMESTAMP", mode: "REQUIRED", description: "When it was sent (UTC)." },
  { name: "run_date", type: "DATE", mode: "REQUIRED", description: "UTC date of message_sent_time; the partition column." },
] as const);

/** `conversations`: one row per chat message. */
export const conversationMessages = tableSpec({
  name: "conversations",
  description: "Customer-courier chat messages, one row per message.",
  fields: conversationMessageFields,
  key: ["message_id"],
  partitionField: "run_date",
  clustering: ["order_id"],
} as const);

const orderFields = fieldSpecs([
  { name: "order_id", type: "INT64", mode: "REQUIRED", description: "The order." },
  { name: "city_code", type: "STRING", mode: "REQUIRED", description: "Its city. If order events disagree, the first stored wins." },
  { name: "received_at", type: "TIMESTAMP", mode: "REQUIRED", description: "When the order event was read (UTC)." },
  { name: "run_date", type: "DATE", mode: "REQUIRED", description: "UTC date of received_at; the partition column." },
] as const);

/** `orders`: the city of each order. */
export const orders = tableSpec({
  name: "orders",
  description: "Order events: the city of each order.",
  fields: orderFields,
  key: ["order_id"],
  partitionField: "run_date",
  clustering: ["city_code"],
} as const);

const customerCourierConversationFields = fieldSpecs([
  { name: "order_id", type: "INT64", mode: "REQUIRED", description: "The order; one conversation per order." },
  { name: "city_code", type: "STRING", mode: "NULLABLE", description: "From the order event; null until one arrived." },
  { name: "first_courier_message", type: "TIMESTAMP", mode: "NULLABLE", description: "Time of the courier's first message." },
  { name: "first_customer_message", type: "TIMESTAMP", mode: "NULLABLE", description: "Time of the customer's first message." },
  { name: "num_messages_courier", type: "INT64", mode: "REQUIRED", description: "Distinct messages sent by the courier." },
  { name: "num_messages_customer", type: "INT64", mode: "REQUIRED", description: "Distinct messages sent by the customer." },
  { name: "first_message_by", type: "STRING", mode: "REQUIRED", allowed: SENDER_ROLES, description: "Who sent the first message: courier or customer." },
  { name: "conversation_started_at", type: "TIMESTAMP", mode: "REQUIRED", description: "Time of the first message." },
  { name: "first_responsetime_delay_seconds", type: "INT64", mode: "NULLABLE", description: "Seconds from the first message to the other party's first message; null while nobody answered." },
  { name: "last_message_time", type: "TIMESTAMP", mode: "REQUIRED", description: "Time of the last message." },
  { name: "last_message_order_stage", type: "STRING", mode: "REQUIRED", description: "Order stage of the last message (ties: see docs/conversations.md)." },
  { name: "run_date", type: "DATE", mode: "REQUIRED", description: "UTC date of conversation_started_at; the partition column." },
] as const);

/** The conversation table: one row per order's conversation. Updated as messages arrive. */
export const customerCourierConversations = tableSpec({
  name: "customer_courier_conversations",
  description: "One row per order: who started the conversation, counts, first response delay, last message.",
  fields: customerCourierConversationFields,
  key: ["order_id"],
  partitionField: "run_date",
  clustering: ["city_code"],
} as const);

export type ConversationMessage = RowOf<typeof conversationMessageFields>;
export type OrderRow = RowOf<typeof orderFields>;
export type CustomerCourierConversation = RowOf<typeof customerCourierConversationFields>;
