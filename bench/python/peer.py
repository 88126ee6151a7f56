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
import time

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

# On PYTHONPATH: the multi-process runner's workers import these by name.
import rules
from beam_fns import ConversationCombineFn, Decode, count_conversation, counted, order_key, row_of


def alerts(lines, out):
    decoded = lines | "Decode" >> beam.ParDo(Decode(rules.decode_playback)).with_outputs("dead", main="events")
    (decoded.events
     | "Alerts" >> beam.Filter(rules.is_alert)
     | "Row" >> beam.Map(rules.alert_row)
     | "Count" >> beam.Map(counted("rows"))
     | "Json" >> beam.Map(json.dumps)
     | "Write" >> beam.io.WriteToText(os.path.join(out, "alerts")))
    return decoded.dead


def conversations(lines, out):
    decoded = lines | "Decode" >> beam.ParDo(Decode(rules.decode_conversation_record)).with_outputs("dead", main="records")
    (decoded.records
     | "ByOrder" >> beam.Map(order_key)
     | "Sessionize" >> beam.CombinePerKey(ConversationCombineFn())
     | "Rows" >> beam.FlatMap(row_of)
     | "Count" >> beam.Map(count_conversation)
     | "Json" >> beam.Map(json.dumps)
     | "Write" >> beam.io.WriteToText(os.path.join(out, "conversations")))
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
