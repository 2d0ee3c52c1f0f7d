"""Scoring managers over HTTP: request validation and answers equal to the library's.

One record goes through :meth:`FittedScorecard.score_one` (plain Python, no
pandas); a batch through :meth:`FittedScorecard.score` on one frame. Both
answers carry the same keys, and a record's answer never depends on the other
records of the request: its ``percentile`` is among the managers the model was
fitted on (``population_percentile``), and there is no rank among the request's
records (a client ranks a batch by sorting on ``score``).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Annotated, Any, Final, NotRequired, Required

import numpy as np
import pandas as pd
from pydantic import ConfigDict, Field, TypeAdapter
from typing_extensions import TypedDict

from ..scoring import FittedScorecard

# the effects against the median are the library's own (see FittedScorecard.explain)
from ..scoring._explain import criterion_effects, strongest_effects

if TYPE_CHECKING:
    from ..model_file import ModelFile

#: Pydantic settings for a record: every criterion named, numbers only, finite only.
RECORD_RULES: Final = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)
#: Effects within this many points of zero lift or hold back nothing (as in the library).
_NEGLIGIBLE_POINTS: Final = 0.05
#: What ``percentile`` means, for the OpenAPI document.
PERCENTILE_DESCRIPTION: Final = (
    "0..100: the share of the managers the model was fitted on scoring at most as much "
    "(FittedScorecard population_percentile); the same whether the record is sent alone "
    "or in a batch. null when unscored, or when the model file predates population scores"
)
#: Characters of a record ``id``, at most.
MAX_ID_LENGTH: Final = 200

RecordId = str | int | None

log = logging.getLogger("am_analytics.serve")


def record_type(name: str, fields: tuple[str, ...], *, title: str) -> Any:
    """A TypedDict of nullable numbers named ``fields`` plus an optional ``id``."""
    # a functional TypedDict, because the criteria are only known once a model is read
    annotations: dict[str, Any] = {f: Required[float | None] for f in fields}
    annotations["id"] = NotRequired[Annotated[str, Field(max_length=MAX_ID_LENGTH)] | int | None]
    make: Any = TypedDict
    record = make(name, annotations)
    record.__pydantic_config__ = ConfigDict(**RECORD_RULES, title=title)
    return record


def batch_adapter(record: Any, *, max_batch: int) -> TypeAdapter[Any]:
    """A validator of a list of 1 to ``max_batch`` records."""
    batch: Any = Annotated[list[record], Field(min_length=1, max_length=max_batch)]
    return TypeAdapter(batch)


def _describe_file(loaded: ModelFile) -> dict[str, Any]:
    """The provenance of a model file, as ``GET /v1/models`` shows it."""
    return {
        "library_version": loaded.library_version,
        "format_version": loaded.format_version,
        "fitted_on": loaded.fitted_on,
        "sha256": loaded.sha256,
    }


class ManagerScoring:
    """A fitted scorecard ready to answer: validators, keys and labels built once."""

    def __init__(self, loaded: ModelFile, *, max_batch: int) -> None:
        fitted = loaded.model
        if not isinstance(fitted, FittedScorecard):  # read_model(kind=...) already checks
            raise TypeError(f"expected a manager model, got {type(fitted).__name__}")
        self.file = loaded
        self.fitted = fitted
        self.metrics: tuple[str, ...] = fitted.scorecard.metrics
        record = record_type("ManagerRecord", self.metrics, title="ManagerRecord")
        self.one: TypeAdapter[Any] = TypeAdapter(record)
        self.batch = batch_adapter(record, max_batch=max_batch)
        self._weights = [float(w) for w in fitted.weights_]
        self._median_norms = [float(v) for v in fitted.params_["median_norm"]]
        self._labels = [c.name for c in fitted.scorecard.criteria]
        self._norm_keys = [f"{m}_norm" for m in self.metrics]
        self._contribution_keys = [f"{m}_contribution" for m in self.metrics]
        self._effect_keys = [f"{m}_effect" for m in self.metrics]
        if fitted.population_scores_ is None:
            log.warning(
                "the manager model %s was written before models kept their population's "
                "scores: every percentile will be null; fit and save it again "
                "(am-analytics score ... --save-model)",
                loaded.sha256[:12],
            )

    # -- one record ---------------------------------------------------------

    def score_record(self, record: dict[str, Any]) -> dict[str, Any]:
        """The answer for one validated record: ``score_one`` plus its effects."""
        scored = self.fitted.score_one(record)
        norms = [scored[key] for key in self._norm_keys]
        effects = self._effects(norms)
        out: dict[str, Any] = {
            "id": record.get("id"),
            "score": scored["score"],
            "grade": scored["grade"],
            "percentile": scored["population_percentile"],
            "missing": scored["missing"],
            "not_finite": scored["not_finite"],
        }
        for norm_key, contribution_key, effect_key, effect in zip(
            self._norm_keys, self._contribution_keys, self._effect_keys, effects, strict=True
        ):
            out[norm_key] = scored[norm_key]
            out[contribution_key] = scored[contribution_key]
            out[effect_key] = effect
        out["lifted_by"], out["held_back_by"] = self._strongest(effects)
        return out

    def _effects(self, norms: list[float | None]) -> list[float | None]:
        """Points per criterion against the median manager (``criterion_effects`` for one row)."""
        present = sum(w for w, n in zip(self._weights, norms, strict=True) if n is not None)
        if not present > 0:
            return [None] * len(norms)
        return [
            None if n is None else 100 * (w / present) * (n - median)
            for w, n, median in zip(self._weights, norms, self._median_norms, strict=True)
        ]

    def _strongest(self, effects: list[float | None]) -> tuple[str, str]:
        """``lifted_by`` and ``held_back_by`` for one row (``strongest_effects``)."""
        filled = [0.0 if e is None else e for e in effects]
        if not filled:
            return "", ""
        best = max(range(len(filled)), key=filled.__getitem__)
        worst = min(range(len(filled)), key=filled.__getitem__)
        lifted = (
            f"{self._labels[best]} ({filled[best]:+.1f})"
            if filled[best] > _NEGLIGIBLE_POINTS
            else ""
        )
        held = (
            f"{self._labels[worst]} ({filled[worst]:+.1f})"
            if -filled[worst] > _NEGLIGIBLE_POINTS
            else ""
        )
        return lifted, held

    # -- a batch ------------------------------------------------------------

    def score_records(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The answers for a validated batch, from one :meth:`FittedScorecard.score` call."""
        frame = pd.DataFrame(records, columns=list(self.metrics), dtype=np.float64)
        scored = self.fitted.score(frame)
        effects = criterion_effects(self.fitted, scored)
        strongest = strongest_effects(self.fitted, scored)
        columns: dict[str, list[Any]] = {
            "id": [r.get("id") for r in records],
            "score": _floats(scored["score"]),
            "grade": _labels(scored["grade"]),
            "percentile": _floats(scored["population_percentile"]),
            "missing": _name_lists(scored["missing"]),
            "not_finite": _name_lists(scored["not_finite"]),
        }
        for metric, norm_key, contribution_key, effect_key in zip(
            self.metrics, self._norm_keys, self._contribution_keys, self._effect_keys, strict=True
        ):
            columns[norm_key] = _floats(scored[norm_key])
            columns[contribution_key] = _floats(scored[contribution_key])
            columns[effect_key] = _floats(effects[metric])
        columns["lifted_by"] = strongest["lifted_by"].tolist()
        columns["held_back_by"] = strongest["held_back_by"].tolist()
        keys = list(columns)
        return [dict(zip(keys, row, strict=True)) for row in zip(*columns.values(), strict=True)]

    # -- describing ---------------------------------------------------------

    def describe(self) -> dict[str, Any]:
        """The model as ``GET /v1/models`` shows it."""
        card = self.fitted.scorecard
        directions = self.fitted.params_["direction"].to_dict()
        return {
            "kind": "manager_model",
            "criteria": [
                {
                    "metric": c.metric,
                    "label": c.name,
                    "weight": float(self.fitted.weights_[c.metric]),
                    "direction": "higher" if directions[c.metric] > 0 else "lower",
                }
                for c in card.criteria
            ],
            "normalization": card.normalization,
            "weighting": card.weighting,
            "aggregation": card.aggregation,
            "missing": card.missing,
            "grades": list(card.grading.grades),
            "grade_thresholds": [_finite_or_none(t) for t in self.fitted.thresholds_],
            "median_score": _finite_or_none(self.fitted.median_score_),
            "n_fitted": self.fitted.n_fitted_,
            # how many managers a percentile is among (null: the file predates them)
            "n_population_scores": (
                None
                if self.fitted.population_scores_ is None
                else len(self.fitted.population_scores_)
            ),
            **_describe_file(self.file),
        }

    def response_schema(self) -> dict[str, Any]:
        """The JSON schema of one answer, for the OpenAPI document."""
        number = {"type": ["number", "null"]}
        properties: dict[str, Any] = {
            "id": {"type": ["string", "integer", "null"]},
            "score": {**number, "description": "0..100"},
            "grade": {"type": ["string", "null"]},
            "percentile": {**number, "description": PERCENTILE_DESCRIPTION},
            "missing": {"type": "array", "items": {"type": "string"}},
            "not_finite": {"type": "array", "items": {"type": "string"}},
        }
        for keys in (self._norm_keys, self._contribution_keys, self._effect_keys):
            properties.update({key: number for key in keys})
        properties["lifted_by"] = {"type": "string"}
        properties["held_back_by"] = {"type": "string"}
        return {"type": "object", "title": "ManagerScore", "properties": properties}


def _floats(column: pd.Series) -> list[float | None]:
    """A float column as a list, NaN as None."""
    return nan_to_none(column.to_numpy(dtype=np.float64, na_value=np.nan))


def nan_to_none(values: np.ndarray) -> list[float | None]:
    """A float array as a list, NaN as None."""
    out = values.astype(object)
    out[np.isnan(values)] = None
    return list(out.tolist())


def _labels(column: pd.Series) -> list[str | None]:
    """A categorical column as a list of strings, missing as None."""
    return column.astype(object).where(column.notna(), None).tolist()


def _name_lists(column: pd.Series) -> list[list[str]]:
    """Comma-separated criteria names as lists (as ``score_one`` gives them)."""
    return [text.split(", ") if text else [] for text in column.tolist()]


def _finite_or_none(value: float) -> float | None:
    """JSON has no infinity or NaN."""
    return float(value) if np.isfinite(value) else None
