"""Decodes Beam rows with Beam's Python RowCoder: argv[1] is a JSON list of
{"schema": base64 Schema proto, "rows": [base64 encoded row]}; prints each
case's rows as JSON (nested rows as objects, nulls as null)."""
import base64
import json
import sys

from apache_beam.coders.row_coder import RowCoder
from apache_beam.portability.api import schema_pb2


def plain(value):
  if hasattr(value, '_asdict'):
    return {k: plain(v) for k, v in value._asdict().items()}
  return value


cases = json.load(open(sys.argv[1]))
out = []
for case in cases:
  coder = RowCoder(schema_pb2.Schema.FromString(base64.b64decode(case['schema'])))
  out.append([plain(coder.decode(base64.b64decode(row))) for row in case['rows']])
print(json.dumps(out))
