"""A batch job's tables written by BigQuery load jobs from inside the job
(the catalog on Dataflow, where no process waits for the job to end). The
TypeScript graph (runners/portable/batch-job.ts) passes this file's text to
Python's expansion service as a callable, so it ends with the function the
expansion applies: no statement may follow it.

Input: lines `table<TAB>row as BigQuery JSON`. Each table's rows are staged as
newline-delimited JSON under `staging`, then, once every table is staged, one
load job per table runs, in the order of `loads` (each a JSON object: the
table and its `configuration.load` without source and destination): a table
replaced (WRITE_TRUNCATE) even when it got no row, a table appended to
(WRITE_APPEND) only when it got some. The ingestion log comes last, so a job
that fails before it leaves its files unlogged and the next run reads them
again. Job ids are `job_prefix` and the table: a retried bundle finds the job
an earlier attempt created (409) and waits for it instead of loading twice.
"""
import json


def load_tables(lines, project, dataset, staging, job_prefix, loads, bigquery_endpoint):
  specs = [json.loads(spec) for spec in loads]
  names = [spec['table'] for spec in specs]

  def staged(files):
    by_table = {}
    for name, path in files:
      by_table.setdefault(name, []).append(path)
    return by_table

  def load_all(files):
    import os
    import tempfile
    from google.api_core import exceptions
    from google.cloud import bigquery
    from apache_beam.io.filesystems import FileSystems
    if bigquery_endpoint:
      from google.auth.credentials import AnonymousCredentials
      client = bigquery.Client(project=project, credentials=AnonymousCredentials(), client_options={'api_endpoint': bigquery_endpoint})
    else:
      client = bigquery.Client(project=project)
    by_table = staged(files)
    for spec in specs:
      name = spec['table']
      paths = sorted(by_table.get(name, []))
      sizes = [m.size_in_bytes for m in FileSystems.match(paths)[0].metadata_list] if paths else []
      config = bigquery.LoadJobConfig.from_api_repr({'load': spec['load']})
      if config.write_disposition != 'WRITE_TRUNCATE' and sum(sizes) == 0:
        continue
      job_id = '%s_%s' % (job_prefix, name)
      destination = '%s.%s.%s' % (project, dataset, name)
      try:
        if all(path.startswith('gs://') for path in paths) and paths:
          job = client.load_table_from_uri(paths, destination, job_id=job_id, job_config=config)
        else:
          # Staged on a file system BigQuery cannot read (a cluster's shared disk): the rows go with the job.
          with tempfile.TemporaryFile() as whole:
            for path in paths:
              with FileSystems.open(path, compression_type='uncompressed') as part:
                whole.write(part.read())
            size = whole.tell()
            whole.seek(0)
            job = client.load_table_from_file(whole, destination, job_id=job_id, job_config=config, size=size)
      except exceptions.Conflict:
        job = client.get_job(job_id)
      job.result()
      yield '%s %d' % (name, job.output_rows or 0)

  by_name = lines | 'ByTable' >> beam.Partition(lambda line, n: names.index(line.split('\t', 1)[0]), len(names))
  files = []
  for index, name in enumerate(names):
    files.append(
        by_name[index]
        | 'Row(%s)' % name >> beam.Map(lambda line: line.split('\t', 1)[1])
        | 'Stage(%s)' % name >> beam.io.WriteToText('%s/%s/rows' % (staging, name), file_name_suffix='.json')
        | 'Staged(%s)' % name >> beam.Map(lambda path, name=name: (name, path)))
  return (
      files
      | 'AllStaged' >> beam.Flatten()
      | 'Together' >> beam.combiners.ToList()
      | 'Load' >> beam.FlatMap(load_all).with_output_types(str))
