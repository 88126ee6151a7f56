"""The peer rows of `npm run bench`: the alerts rule and the sessionizer as Python Beam pipelines.

    python peer.py alerts|conversations INPUT OUTPUT_DIR [--direct_num_workers N] [--direct_running_mode M]

Reads INPUT with ReadFromText, applies the rules of rules.py (the ports of the
TypeScript transforms), writes the result rows and the dead letters as JSON
lines under OUTPUT_DIR with WriteToText, and prints one line
`PEER {"ms": ..., "maxRssMb": ..., ...counts}`: the elapsed time of the
pipeline run, the peak RSS of this process and of its largest child (the
multi-process runner's workers), and the counts the benchmark checks against
the TypeScript pipeline's warehouse.
"""
import argparse
import json
import os
import resource
import sys
import time

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.options.pipeline_options import PipelineOptions

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rules  # noqa: E402


class Decode(beam.DoFn):
    """Decodes a line with `decode`; a line it rejects goes to the dead-letter output."""

    def __init__(self, decode):
        self.decode = decode
        self.dead = Metrics.counter("peer", "dead_letters")

    def process(self, line):
        if line.strip() == "":
            return
        try:
            yield self.decode(line)
        except rules.Rejected as rejected:
            self.dead.inc()
            yield beam.pvalue.TaggedOutput("dead", json.dumps({"code": rejected.code, "payload": line}))


class ConversationCombineFn(beam.CombineFn):
    def create_accumulator(self):
        return rules.empty_conversation()

    def add_input(self, acc, record):
        return rules.add_record(acc, record)

    def merge_accumulators(self, accumulators):
        return rules.merge_conversations(accumulators)

    def extract_output(self, acc):
        return rules.conversation_row(acc)


def counted(name):
    counter = Metrics.counter("peer", name)

    def count(row):
        counter.inc()
        return row

    return count


def alerts(lines, out):
    decoded = lines | "Decode" >> beam.ParDo(Decode(rules.decode_playback)).with_outputs("dead", main="events")
    (decoded.events
     | "Alerts" >> beam.Filter(rules.is_alert)
     | "Row" >> beam.Map(rules.alert_row)
     | "Count" >> beam.Map(counted("alerts"))
     | "Json" >> beam.Map(json.dumps)
     | "Write" >> beam.io.WriteToText(os.path.join(out, "alerts")))
    return decoded.dead


def conversations(lines, out):
    decoded = lines | "Decode" >> beam.ParDo(Decode(rules.decode_conversation_record)).with_outputs("dead", main="records")
    rows = (decoded.records
            | "ByOrder" >> beam.Map(lambda record: (record[1]["order_id"], record))
            | "Sessionize" >> beam.CombinePerKey(ConversationCombineFn())
            | "Rows" >> beam.Filter(lambda kv: kv[1] is not None)
            | "Row" >> beam.Map(lambda kv: kv[1]))
    (rows | "Count" >> beam.Map(counted("rows")) | "Json" >> beam.Map(json.dumps) | "Write" >> beam.io.WriteToText(os.path.join(out, "conversations")))
    (rows
     | "Messages" >> beam.Map(lambda r: r["num_messages_courier"] + r["num_messages_customer"])
     | "Sum" >> beam.CombineGlobally(sum)
     | "CountMessages" >> beam.Map(lambda n: Metrics.counter("peer", "messages").inc(n)))
    (rows
     | "Answered" >> beam.Filter(lambda r: r["first_responsetime_delay_seconds"] is not None)
     | "CountAnswered" >> beam.Map(counted("answered")))
    return decoded.dead


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("pipeline", choices=["alerts", "conversations"])
    parser.add_argument("input")
    parser.add_argument("output")
    known, beam_args = parser.parse_known_args()
    options = PipelineOptions(["--runner=DirectRunner", *beam_args])
    started = time.monotonic()
    pipeline = beam.Pipeline(options=options)
    lines = pipeline | "Read" >> beam.io.ReadFromText(known.input)
    dead = (alerts if known.pipeline == "alerts" else conversations)(lines, known.output)
    dead | "WriteDead" >> beam.io.WriteToText(os.path.join(known.output, "dead_letters"))
    result = pipeline.run()
    result.wait_until_finish()
    ms = (time.monotonic() - started) * 1000
    counts = {c.key.metric.name: c.committed for c in result.metrics().query()["counters"]}
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print("PEER " + json.dumps({"ms": ms, "maxRssMb": own, "childMaxRssMb": children, **counts}), flush=True)


if __name__ == "__main__":
    main()
