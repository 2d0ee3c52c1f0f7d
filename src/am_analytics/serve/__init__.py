"""The HTTP scoring service: the batch's fitted models, answering other systems.

``am-analytics serve --manager-model FILE [--client-model FILE]`` runs it
(FastAPI under uvicorn; install the ``serve`` extra). Endpoints:

* ``POST /v1/managers/score``: one record (criterion -> value) or a batch,
  answered with :meth:`~am_analytics.scoring.FittedScorecard.score_one` /
  :meth:`~am_analytics.scoring.FittedScorecard.score`;
* ``POST /v1/clients/segment``: one client's inputs or a batch, answered with
  the fitted client model's ``transform``;
* ``GET /v1/models``, ``POST /v1/models/reload``, ``GET /healthz``,
  ``GET /readyz`` and the OpenAPI document at ``/docs``.

The models are read once at start and replaced whole on SIGHUP (or the reload
endpoint), keeping the old ones when the new files are unusable.

Importing this package imports FastAPI; ``import am_analytics`` does not.
"""

from ._app import create_app
from ._options import ServeOptions
from ._run import run

__all__ = ["ServeOptions", "create_app", "run"]
