import { registerModule } from "../core/registry";
import { CustomerCourierConversation } from "../../schemas/conversations";
import { Row } from "../../schemas/table";
import { utcDay } from "../../schemas/timestamp";
import { sortedUnion } from "../core/sorted";
import { ConversationRecord, isMessage } from "./records";

/**
 * Everything needed to compute one order's conversation row, and to merge it
 * with another partial result in any order: the mergeable accumulator of the
 * conversation CombineFn. Plain data (it is stored as a pane between
 * micro-batches). Times are epoch microseconds.
 */
export interface ConversationAccumulator extends Row {
  order_id: number;
  /** Smallest city code seen (order events should agree; this keeps the result independent of arrival order). */
  city_code: string | null;
  first_courier: number | null;
  first_customer: number | null;
  /** Distinct messages per role, as the first 48 bits of their ids, sorted: counts survive duplicates. */
  courier_keys: readonly number[];
  customer_keys: readonly number[];
  /** The first and last message by (time, message id). */
  first_time: number | null;
  first_id: string | null;
  first_role: string | null;
  last_time: number | null;
  last_id: string | null;
  last_stage: string | null;
}

/** The accumulator of nothing yet; order_id -1 until a record names the order. */
export function emptyConversation(): ConversationAccumulator {
  return {
    order_id: -1, city_code: null, first_courier: null, first_customer: null, courier_keys: [], customer_keys: [],
    first_time: null, first_id: null, first_role: null, last_time: null, last_id: null, last_stage: null,
  };
}

const minOf = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : Math.min(a, b));

/** Is (timeA, idA) before (timeB, idB)? Message ids break ties, so the order never depends on arrival. */
function before(timeA: number, idA: string, timeB: number | null, idB: string | null): boolean {
  return timeB === null || timeA < timeB || (timeA === timeB && idA < (idB as string));
}

/** Merges `b` into `a` (a new object; neither input changes). */
function mergeTwo(a: ConversationAccumulator, b: ConversationAccumulator): ConversationAccumulator {
  const firstFromB = b.first_time !== null && before(b.first_time, b.first_id as string, a.first_time, a.first_id);
  const lastFromB = b.last_time !== null && (a.last_time === null || before(a.last_time, a.last_id as string, b.last_time, b.last_id));
  return {
    order_id: a.order_id >= 0 ? a.order_id : b.order_id,
    city_code: a.city_code === null ? b.city_code : b.city_code === null || a.city_code <= b.city_code ? a.city_code : b.city_code,
    first_courier: minOf(a.first_courier, b.first_courier),
    first_customer: minOf(a.first_customer, b.first_customer),
    courier_keys: sortedUnion(a.courier_keys, b.courier_keys),
    customer_keys: sortedUnion(a.customer_keys, b.customer_keys),
    first_time: firstFromB ? b.first_time : a.first_time,
    first_id: firstFromB ? b.first_id : a.first_id,
    first_role: firstFromB ? b.first_role : a.first_role,
    last_time: lastFromB ? b.last_time : a.last_time,
    last_id: lastFromB ? b.last_id : a.last_id,
    last_stage: lastFromB ? b.last_stage : a.last_stage,
  };
}

/** A message id's first 48 bits: what the distinct-message sets hold. */
const keyOf = (messageId: string): number => parseInt(messageId.slice(0, 8) + messageId.slice(9, 13), 16);

/** `keys` with `key` added, as a new sorted array (accumulators may share arrays, so none is changed). */
function withKey(keys: readonly number[], key: number): readonly number[] {
  let at = 0;
  while (at < keys.length && keys[at] < key) at++;
  if (keys[at] === key) return keys;
  return [...keys.slice(0, at), key, ...keys.slice(at)];
}

/**
 * Adds one record to `acc`, in place (a CombineFn may change its accumulator:
 * one object per order and chunk, not one per record), and returns it.
 */
export function addRecord(acc: ConversationAccumulator, record: ConversationRecord): ConversationAccumulator {
  if (acc.order_id < 0) acc.order_id = record.order_id;
  if (!isMessage(record)) {
    if (acc.city_code === null || record.city_code < acc.city_code) acc.city_code = record.city_code;
    return acc;
  }
  const time = record.message_sent_time, id = record.message_id, role = record.sender_role;
  if (role === "courier") {
    acc.first_courier = minOf(acc.first_courier, time);
    acc.courier_keys = withKey(acc.courier_keys, keyOf(id));
  } else {
    acc.first_customer = minOf(acc.first_customer, time);
    acc.customer_keys = withKey(acc.customer_keys, keyOf(id));
  }
  if (before(time, id, acc.first_time, acc.first_id)) {
    acc.first_time = time;
    acc.first_id = id;
    acc.first_role = role;
  }
  if (acc.last_time === null || before(acc.last_time, acc.last_id as string, time, id)) {
    acc.last_time = time;
    acc.last_id = id;
    acc.last_stage = record.order_stage;
  }
  return acc;
}

export function mergeConversations(accumulators: Iterable<ConversationAccumulator>): ConversationAccumulator {
  let merged = emptyConversation();
  for (const acc of accumulators) merged = mergeTwo(merged, acc);
  return merged;
}

/** The `customer_courier_conversations` row, or null while the order has no message (only its order event). */
export function conversationRow(acc: ConversationAccumulator): CustomerCourierConversation | null {
  if (acc.first_time === null) return null;
  const answer = acc.first_role === "courier" ? acc.first_customer : acc.first_courier;
  return {
    order_id: acc.order_id,
    city_code: acc.city_code,
    first_courier_message: acc.first_courier,
    first_customer_message: acc.first_customer,
    num_messages_courier: acc.courier_keys.length,
    num_messages_customer: acc.customer_keys.length,
    first_message_by: acc.first_role as string,
    conversation_started_at: acc.first_time,
    first_responsetime_delay_seconds: answer === null ? null : Math.floor((answer - acc.first_time) / 1_000_000),
    last_message_time: acc.last_time as number,
    last_message_order_stage: acc.last_stage as string,
    run_date: utcDay(acc.first_time),
  };
}

/**
 * The per-order logic as a Beam CombineFn: records in, accumulators merged in
 * any order and grouping. Its output is the accumulator itself: the sink
 * merges it with what it already holds and extracts the row with
 * `conversationRow`, so micro-batches converge to the batch result.
 */
export const conversationCombineFn = {
  createAccumulator: emptyConversation,
  addInput: addRecord,
  mergeAccumulators: mergeConversations,
  extractOutput: (acc: ConversationAccumulator): ConversationAccumulator => acc,
};

/**
 * Combiner lifting by hand: one accumulator per order of a chunk, made with
 * the CombineFn's own createAccumulator/addInput, so only one element per
 * order and chunk goes through Beam's GroupByKey.
 */
export function conversationsOfChunk(records: readonly ConversationRecord[]): ConversationAccumulator[] {
  const byOrder = new Map<number, ConversationAccumulator>();
  for (const record of records) {
    const acc = byOrder.get(record.order_id) ?? conversationCombineFn.createAccumulator();
    byOrder.set(record.order_id, conversationCombineFn.addInput(acc, record));
  }
  return [...byOrder.values()];
}

registerModule("transforms/conversations/combine", module.exports);
