"""The catalog's files read on Dataflow: each file (gs:// or a local path)
whole, inflated when it ends in .gz, cut into chunks of whole lines with the
number of their first line. The TypeScript graph (runners/portable/batch-job.ts)
passes this file's text to Python's expansion service as a callable (Dataflow's
Python workers have Beam, not this project), so it ends with the function the
expansion applies: no statement may follow it.

Each element is bytes: a JSON header line {"path", "offset", "firstLine"}, then
the chunk's bytes as read (invalid UTF-8 included, so dead letters can name the
byte). The cut follows io/sources/file-source.ts's LineCutter: a chunk once at
least chunk_bytes are pending, cut after their last newline; the rest at the end.
"""
import json


def line_chunks(paths, chunk_bytes):
  from apache_beam.io.filesystems import FileSystems

  def chunks_of(path):
    header = lambda offset, first: json.dumps({'path': path, 'offset': offset, 'firstLine': first}).encode('utf-8') + b'\n'
    pending = b''
    offset = 0
    first = 1
    with FileSystems.open(path) as stream:
      while True:
        block = stream.read(chunk_bytes)
        pending += block
        cut = len(pending) if not block else (pending.rfind(b'\n') + 1 if len(pending) >= chunk_bytes else 0)
        if cut > 0:
          data = pending[:cut]
          pending = pending[cut:]
          yield header(offset, first) + data
          first += data.count(b'\n')
          offset += len(data)
        if not block:
          return

  return paths | 'ReadLineChunks' >> beam.FlatMap(chunks_of).with_output_types(bytes)
