"""Beam's Python Dataflow job service (apache_beam 2.49), which the
TypeScript SDK's Dataflow runner submits through, with two fixes its
submissions need (runners/portable/submit.ts starts this module):

- The options arrive as a protobuf Struct, whose numbers are all doubles,
  and Beam's service hands them on as they are: Dataflow's integer fields
  (num_workers, max_num_workers, ...) then refuse 3.0 before any request is
  made. Integral numbers become ints again.
- With --template_location the runner writes the job request there and
  creates no job (a Flex Template launcher's contract), but Beam's service
  then polls a job that does not exist and fails. Here the job is DONE once
  the request is written.
"""
import logging
import sys

from apache_beam.options.pipeline_options import GoogleCloudOptions
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.runners.dataflow import dataflow_job_service
from apache_beam.runners.dataflow import dataflow_runner
from apache_beam.runners.job import utils as job_utils
from apache_beam.runners.runner import PipelineState


def _typed(value):
  return int(value) if isinstance(value, float) and value.is_integer() else value


class _RequestWritten(object):
  """The result of a run that wrote the job request and created nothing."""
  state = PipelineState.DONE

  def wait_until_finish(self, duration=None):
    return self.state


class BeamVideoDataflowJob(dataflow_job_service.DataflowBeamJob):
  def pipeline_options(self):
    options = job_utils.struct_to_dict(self._pipeline_options)
    # beam:option:<name>:v1 -> <name>, as Beam's own service does.
    return PipelineOptions(**{key[12:-3]: _typed(value) for key, value in options.items()})

  def _invoke_runner(self):
    options = self.pipeline_options()
    if options.view_as(GoogleCloudOptions).template_location is None:
      return super()._invoke_runner()
    dataflow_runner.DataflowRunner().run_pipeline(None, options, self._pipeline_proto)
    return _RequestWritten()


if __name__ == '__main__':
  logging.basicConfig()
  logging.getLogger().setLevel(logging.INFO)
  dataflow_job_service.run(sys.argv[1:], beam_job_type=BeamVideoDataflowJob)
