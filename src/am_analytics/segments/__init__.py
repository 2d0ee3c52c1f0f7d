"""Client value segmentation: who deserves personal service, who is slipping away.

* :func:`client_features` describes each client from the sales ledger
  (recency, frequency, net revenue, tenure, trend, refunds), and
  :func:`rfm_summary` gives the same history in the vocabulary of the
  buy-till-you-die models (lifetimes, PyMC-Marketing);
* :class:`RFMScorer` / :func:`rfm_scores` score R, F and M on 1..5 and
  :func:`rfm_segments` names the segments (Champions ... Lost) from a rule
  table that covers every score cell (:class:`SegmentRules`, TOML);
* :func:`abc_tiers` grades clients A/B/C by their share of revenue;
* :class:`ValueSegmenter` clusters clients by value, tier 1 the most valuable;
* :func:`expected_value` forecasts purchases, spend and the probability of
  being alive (BG/NBD and Gamma-Gamma);
* :func:`migration` and :func:`segment_history` follow segments over time;
  :func:`portfolio` and :func:`service_plan` turn them into each manager's
  portfolio and the next action per client;
* :func:`segment_clients` does all of it for a dataset in one call, through a
  :class:`ClientModel` (:func:`fit_client_model`) that places one client
  exactly as the batch does and round-trips through JSON.
  :func:`segment_summary` gives each segment's clients and share of revenue.
"""

from typing import TYPE_CHECKING

from .._lazy import lazy_names
from ._abc import abc_tiers
from ._bgnbd import BetaGeoModel
from ._clv import expected_value
from ._features import client_features, rfm_summary
from ._gamma_gamma import GammaGammaModel
from ._history import segment_history
from ._likelihood import ClvFitWarning
from ._portfolio import Migration, migration, portfolio
from ._rfm import RFMScorer, rfm_scores
from ._rules import (
    Segment,
    SegmentCondition,
    SegmentRules,
    default_segment_rules,
    load_segment_rules,
    rfm_segments,
)
from ._service import ServicePolicy, default_service_policy, load_service_policy, service_plan
from ._summary import segment_summary

if TYPE_CHECKING:
    from ._client_model import ClientModel, fit_client_model
    from ._clients import segment_clients
    from ._clustering import ValueSegmenter

#: The names whose modules load scikit-learn (0.8 s), by module: imported on first use,
#: so that the segment rules and service policy (an evaluation's defaults) come without it.
_WITH_SKLEARN = {
    "ClientModel": "._client_model",
    "fit_client_model": "._client_model",
    "segment_clients": "._clients",
    "ValueSegmenter": "._clustering",
}

__getattr__, __dir__ = lazy_names(__name__, _WITH_SKLEARN)


__all__ = [
    "BetaGeoModel",
    "ClientModel",
    "ClvFitWarning",
    "GammaGammaModel",
    "Migration",
    "RFMScorer",
    "Segment",
    "SegmentCondition",
    "SegmentRules",
    "ServicePolicy",
    "ValueSegmenter",
    "abc_tiers",
    "client_features",
    "default_segment_rules",
    "default_service_policy",
    "expected_value",
    "fit_client_model",
    "load_segment_rules",
    "load_service_policy",
    "migration",
    "portfolio",
    "rfm_scores",
    "rfm_segments",
    "rfm_summary",
    "segment_clients",
    "segment_history",
    "segment_summary",
    "service_plan",
]
