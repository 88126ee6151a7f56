"""The DoFns and the CombineFn of peer.py, in a module of their own so that
the multi-process direct runner's workers find them by import (a function of
the main script is pickled by name and is not there)."""
import json

import apache_beam as beam
from apache_beam.metrics import Metrics

import rules


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


def order_key(record):
    return record[1]["order_id"], record


def row_of(keyed):
    """The order's row, if it has one (an order without messages has none)."""
    if keyed[1] is not None:
        yield keyed[1]


_rows, _messages, _answered = (Metrics.counter("peer", name) for name in ("rows", "messages", "answered"))


def count_conversation(row):
    """Counts what the benchmark checks against the pipeline's warehouse: rows, distinct messages, answered conversations."""
    _rows.inc()
    _messages.inc(row["num_messages_courier"] + row["num_messages_customer"])
    if row["first_responsetime_delay_seconds"] is not None:
        _answered.inc()
    return row
