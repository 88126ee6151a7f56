"""Test-only: applies one of runners/portable/python's steps the way Python's
expansion service does (a `__callable__` transform of the file's text, every
name allowed), on Python's direct runner, so the step's DoFns are pickled and
run as on a worker.

    python run_callable_step.py STEP.py ARGS.json OUT.json

ARGS.json: {"input": [strings], "kwargs": {...}}. OUT.json receives the
output elements, one JSON string a line (bytes as base64).
"""
import base64
import json
import sys

import apache_beam as beam
from apache_beam.transforms.fully_qualified_named_transform import FullyQualifiedNamedTransform
from apache_beam.utils.python_callable import PythonCallableWithSource

step, args_file, out_file = sys.argv[1:4]
with open(step) as f:
  source = f.read()
with open(args_file) as f:
  args = json.load(f)
FullyQualifiedNamedTransform._FILTER_GLOB = '*'
open(out_file, 'w').close()


def keep(element):
  # Written as it comes: the runner runs an unpickled copy of this function.
  with open(out_file, 'a') as out:
    out.write(json.dumps(base64.b64encode(element).decode() if isinstance(element, bytes) else element) + '\n')


with beam.Pipeline() as p:
  _ = (
      p
      | beam.Create(args['input'])
      | FullyQualifiedNamedTransform('__callable__', (PythonCallableWithSource(source),), args['kwargs'])
      | beam.Map(keep))
