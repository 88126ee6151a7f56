import { registerModule } from "../../transforms/core/registry";
import * as beam from "apache-beam";
import { groupByKey } from "apache-beam/transforms/internal";
import { PipelineDefinition, TableOutputs } from "../definition";
import { conversationMessages, customerCourierConversations, orders } from "../../schemas/conversations";
import { deadLetter } from "../../schemas/dead-letter";
import { Row } from "../../schemas/table";
import { parseRecords } from "../../transforms/core/parse-records";
import { ConversationAccumulator, conversationCombineFn, conversationRow, conversationsOfChunk } from "../../transforms/conversations/combine";
import { ConversationRecord, decodeConversationRecord, isMessage } from "../../transforms/conversations/records";
import { OptionsOf, optionSpecs } from "../options";

const CONVERSATIONS_OPTIONS = optionSpecs([
  { name: "sampleConversations", type: "number", template: "none", default: 400, integer: true, min: 1, description: "Conversations in the generated sample (no --input); 2-5 messages each." },
] as const);

export type ConversationsOptions = OptionsOf<typeof CONVERSATIONS_OPTIONS>;

export const messagesOf = (records: ConversationRecord[]): Row[] => records.filter(isMessage);
export const ordersOf = (records: ConversationRecord[]): Row[] => records.filter((r) => !isMessage(r));

/** One KV per order of the chunk: the chunk's records combined by the CombineFn (combiner lifting). */
export function chunkAccumulators(records: ConversationRecord[]): beam.KV<number, ConversationAccumulator>[] {
  return conversationsOfChunk(records).map((acc) => ({ key: acc.order_id, value: acc }));
}

/** After GroupByKey: the order's accumulators merged into one pane for the sink. */
export function mergedPane(kv: beam.KV<number, Iterable<ConversationAccumulator>>): Row[] {
  return [conversationCombineFn.mergeAccumulators(kv.value)];
}

/** Chat messages and order events -> conversations, orders, customer_courier_conversations. */
export const conversationsPipeline: PipelineDefinition<ConversationsOptions> = {
  name: "conversations",
  description: "customer/courier chat messages + order events -> one row per order's conversation",
  options: CONVERSATIONS_OPTIONS,
  tables: [conversationMessages, orders, customerCourierConversations, deadLetter],
  merges: new Map([
    [
      customerCourierConversations.name,
      {
        merge: (panes: readonly Row[]) => conversationCombineFn.mergeAccumulators(panes as ConversationAccumulator[]),
        output: (state: Row) => conversationRow(state as ConversationAccumulator),
      },
    ],
  ]),
  expand(input) {
    const records = parseRecords(input, "conversations", decodeConversationRecord);
    const panes = records.valid
      .flatMap(beam.withName("CombinePerChunk", chunkAccumulators))
      .apply(groupByKey<number, ConversationAccumulator>())
      .map(beam.withName("MergeAccumulators", mergedPane));
    const outputs: TableOutputs = {};
    outputs[conversationMessages.name] = records.valid.map(beam.withName("Messages", messagesOf));
    outputs[orders.name] = records.valid.map(beam.withName("Orders", ordersOf));
    outputs[customerCourierConversations.name] = panes;
    outputs[deadLetter.name] = records.deadLetters;
    return outputs;
  },
};

registerModule("pipelines/conversations/pipeline", module.exports);
