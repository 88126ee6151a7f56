import { GeneratedSource } from "../../io/sources/generated-source";
import { ConversationGenerator } from "../../samples/conversations";
import { LocalRun } from "../definition";
import { CONVERSATIONS_PANELS } from "./dashboard";
import { ConversationsOptions } from "./pipeline";
import { ConversationsReport } from "./report";

/** conversations on the direct runner: generated chats without --input; response delays by city in the summary. */
export const conversationsLocalRun: LocalRun<ConversationsOptions> = {
  sampleSource(seed, options) {
    return new GeneratedSource(`sample:conversations(seed=${seed})`, () => new ConversationGenerator({ seed, conversations: options.sampleConversations }).lines());
  },
  exampleQuery:
    "SELECT city_code, count(*) AS conversations, median(first_responsetime_delay_seconds) AS median_delay_s FROM customer_courier_conversations GROUP BY ALL ORDER BY conversations DESC",
  newReport: () => new ConversationsReport(),
  panels: CONVERSATIONS_PANELS,
};
