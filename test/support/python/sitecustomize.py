"""Test-only: points Beam's Python Cloud Storage clients at a local double.

apache_beam 2.49's Dataflow runner stages packages, the pipeline and
template files through apitools storage clients whose endpoint is fixed
(DataflowApplicationClient passes https://www.googleapis.com/storage/v1;
gcsio uses the client's BASE_URL): unlike --dataflow_endpoint, no option
moves it. Python imports this module at start-up when its directory is on
PYTHONPATH; it only rewrites that host, and only with
BEAM_TEST_STORAGE_ENDPOINT set.
"""
import os

_ENDPOINT = os.environ.get("BEAM_TEST_STORAGE_ENDPOINT")
_GOOGLEAPIS = "https://www.googleapis.com"

if _ENDPOINT:
    from apitools.base.py import base_api

    _init = base_api.BaseApiClient.__init__

    def _init_at_double(self, url, *args, **kwargs):
        if url.startswith(_GOOGLEAPIS + "/"):
            url = _ENDPOINT + url[len(_GOOGLEAPIS):]
        _init(self, url, *args, **kwargs)

    base_api.BaseApiClient.__init__ = _init_at_double
