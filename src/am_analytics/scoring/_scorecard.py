"""The scorecard specification: criteria, methods, grading, and its TOML form."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal, TypeAlias, get_args

import numpy as np

from ..config import read_packaged_toml, read_toml
from ..errors import ConfigError
from ..metrics import get_metric
from ._weights import ahp_weights

if TYPE_CHECKING:
    import pandas as pd

    from ._fitted import FittedScorecard

Direction: TypeAlias = Literal["higher", "lower"]
Normalization: TypeAlias = Literal["minmax", "zscore", "rank", "target", "goalposts"]
Weighting: TypeAlias = Literal["fixed", "equal", "ahp", "entropy", "critic", "pca"]
Aggregation: TypeAlias = Literal["weighted_sum", "geometric", "topsis"]
Missing: TypeAlias = Literal["reweight", "median", "reject"]

#: The methods a scorecard accepts, by option.
METHODS: Final = {
    "normalization": get_args(Normalization),
    "weighting": get_args(Weighting),
    "aggregation": get_args(Aggregation),
    "missing": get_args(Missing),
}


@dataclass(frozen=True, slots=True)
class Criterion:
    """One scored measure of a scorecard.

    Parameters
    ----------
    metric
        A registered metric (:func:`~am_analytics.metrics.list_metrics`) or any
        numeric column of the frame to score, if ``direction`` is given.
    weight
        Its weight (any non-negative scale; normalised to sum 1). Required for
        ``weighting="fixed"``, ignored otherwise.
    direction
        ``"higher"`` or ``"lower"`` is better; default: the registry's.
    target
        The value that counts as 100 % under ``normalization="target"``.
    floor, cap
        Raw values are clipped to ``[floor, cap]`` before normalising (taming
        outliers); under ``normalization="goalposts"`` they are the values that
        score 0 and 1 (reversed for lower-is-better metrics).
    label
        The name shown in reports (e.g. ``"销售额"``); default: ``metric``.

    Examples
    --------
    >>> Criterion("sales_amount", weight=0.4).resolved_direction
    'higher'
    """

    metric: str
    weight: float | None = None
    direction: Direction | None = None
    target: float | None = None
    floor: float | None = None
    cap: float | None = None
    label: str | None = None

    def __post_init__(self) -> None:
        where = f"criterion {self.metric!r}"
        if not isinstance(self.metric, str) or not self.metric:
            raise ConfigError(f"a criterion needs a metric name, not {self.metric!r}")
        if self.direction is not None and self.direction not in ("higher", "lower"):
            raise ConfigError(
                f"{where}: direction must be 'higher' or 'lower', not {self.direction!r}"
            )
        for name in ("weight", "target", "floor", "cap"):
            value = getattr(self, name)
            if value is not None and (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
            ):
                raise ConfigError(f"{where}: {name} must be a finite number, not {value!r}")
        if self.weight is not None and self.weight < 0:
            raise ConfigError(f"{where}: weight is {self.weight}; weights must be >= 0")
        if self.floor is not None and self.cap is not None and self.floor >= self.cap:
            raise ConfigError(
                f"{where}: floor ({self.floor}) must be below cap ({self.cap}); "
                "for a lower-is-better metric keep floor < cap and set direction='lower'"
            )
        if self.direction is None:
            try:
                get_metric(self.metric)
            except ConfigError as error:
                raise ConfigError(
                    f"{where}: {error}; to score a column of your own, give its direction "
                    "('higher' or 'lower')"
                ) from None

    @property
    def resolved_direction(self) -> Direction:
        """The direction given, else the registry's."""
        return self.direction or get_metric(self.metric).direction

    @property
    def name(self) -> str:
        """The label shown to people."""
        return self.label or self.metric


@dataclass(frozen=True, slots=True)
class Grading:
    """How scores become grades: fixed score bands or a forced distribution.

    Parameters
    ----------
    bands
        ``(grade, minimum score)`` pairs, best first, e.g. ``(("A", 85), ("B",
        70), ("C", 0))``; a score gets the first grade whose minimum it reaches.
    distribution
        ``(grade, share)`` pairs, best first, shares summing to 1, e.g. the
        "271" rule ``(("A", 0.2), ("B", 0.7), ("C", 0.1))``. The fitted
        scorecard turns it into score thresholds on the population it was fitted
        on, so later records are graded against the same bar. Ties: managers
        with equal scores always get the same grade, the better one, so a grade
        may hold slightly more than its share when scores tie at a boundary.

    Examples
    --------
    >>> Grading(distribution=(("A", 0.2), ("B", 0.7), ("C", 0.1))).grades
    ('A', 'B', 'C')
    """

    bands: tuple[tuple[str, float], ...] | None = None
    distribution: tuple[tuple[str, float], ...] | None = None

    def __post_init__(self) -> None:
        if (self.bands is None) == (self.distribution is None):
            raise ConfigError("grading needs exactly one of bands= or distribution=")
        pairs = self.bands if self.bands is not None else self.distribution
        assert pairs is not None
        pairs = tuple((str(grade), float(value)) for grade, value in pairs)
        object.__setattr__(self, "bands" if self.bands is not None else "distribution", pairs)
        grades = [g for g, _ in pairs]
        if not pairs or len(set(grades)) != len(grades):
            raise ConfigError(f"grading needs distinct grades, got {grades}")
        values = [v for _, v in pairs]
        if self.bands is not None:
            if any(b >= a for a, b in itertools.pairwise(values)):
                raise ConfigError(
                    f"grade bands must go from the best grade down with falling minimums, got "
                    f"{dict(pairs)}"
                )
        elif any(v < 0 for v in values) or not math.isclose(sum(values), 1.0, abs_tol=1e-9):
            raise ConfigError(
                f"a forced distribution needs non-negative shares summing to 1, got {dict(pairs)}"
            )

    @property
    def grades(self) -> tuple[str, ...]:
        """The grades, best first."""
        pairs = self.bands if self.bands is not None else self.distribution
        assert pairs is not None
        return tuple(g for g, _ in pairs)


DEFAULT_GRADING: Final = Grading(bands=(("A", 85.0), ("B", 70.0), ("C", 55.0), ("D", 0.0)))


@dataclass(frozen=True, slots=True)
class Scorecard:
    """How to turn a manager × metric frame into scores, ranks and grades.

    Parameters
    ----------
    criteria
        The :class:`Criterion` objects (or metric names) scored.
    normalization
        ``minmax`` (population min..max → 0..1), ``zscore`` (standard score
        mapped to 0..1 by the normal CDF), ``rank`` (mid-rank percentile in the
        population), ``target`` (value / target, capped at 1; target / value
        for lower-is-better), ``goalposts`` (fixed ``floor``..``cap`` → 0..1).
    weighting
        ``fixed`` (the criteria's weights, normalised to sum 1), ``equal``,
        ``ahp`` (from ``pairwise``), or data-driven from the population's
        normalised values: ``entropy``, ``critic``, ``pca``.
    aggregation
        ``weighted_sum``, ``geometric`` (weighted geometric mean with a floor
        of ``geometric_floor`` for zeros) or ``topsis`` (closeness to the
        population's ideal point, fixed at fit time).
    grading
        A :class:`Grading`: score bands or a forced distribution.
    missing
        ``reweight`` (drop a missing criterion for that manager and share its
        weight among the others), ``median`` (use the population median), or
        ``reject`` (leave the manager unscored, with the reason).
    pairwise
        The AHP pairwise comparison matrix, rows and columns in criteria order.
    max_consistency_ratio
        The largest AHP consistency ratio accepted (Saaty's 0.10); ``None``
        accepts any.
    geometric_floor
        The normalised value a zero counts as under ``geometric`` aggregation.

    Examples
    --------
    >>> card = Scorecard([Criterion("sales_amount", weight=3), Criterion("csat_mean", weight=1)])
    >>> card.normalization, [c.metric for c in card.criteria]
    ('minmax', ['sales_amount', 'csat_mean'])
    """

    criteria: Sequence[Criterion]
    normalization: Normalization = "minmax"
    weighting: Weighting = "fixed"
    aggregation: Aggregation = "weighted_sum"
    grading: Grading = field(default=DEFAULT_GRADING)
    missing: Missing = "reweight"
    pairwise: Sequence[Sequence[float]] | None = None
    max_consistency_ratio: float | None = 0.10
    geometric_floor: float = 0.01

    def __post_init__(self) -> None:
        # metric names are accepted for brevity: Scorecard(["sales_amount", ...])
        criteria = tuple(c if isinstance(c, Criterion) else Criterion(c) for c in self.criteria)
        object.__setattr__(self, "criteria", criteria)
        if not criteria:
            raise ConfigError("a scorecard needs at least one criterion")
        metrics = [c.metric for c in criteria]
        if len(set(metrics)) != len(metrics):
            doubled = sorted({m for m in metrics if metrics.count(m) > 1})
            raise ConfigError(f"each metric may be a criterion once; repeated: {doubled}")
        for option, allowed in METHODS.items():
            if getattr(self, option) not in allowed:
                raise ConfigError(
                    f"unknown {option} {getattr(self, option)!r}; choose one of {list(allowed)}"
                )
        if not isinstance(self.grading, Grading):
            raise ConfigError("grading must be a Grading(bands=...) or Grading(distribution=...)")
        if not 0 < self.geometric_floor < 1:
            raise ConfigError(f"geometric_floor must be in (0, 1), not {self.geometric_floor}")
        self._check_criteria_options(criteria)
        if self.pairwise is not None:
            object.__setattr__(self, "pairwise", tuple(tuple(map(float, r)) for r in self.pairwise))
        self._check_weighting(criteria)

    def _check_criteria_options(self, criteria: tuple[Criterion, ...]) -> None:
        """Each criterion has what the chosen normalisation needs."""
        for c in criteria:
            if self.normalization == "target" and (c.target is None or c.target <= 0):
                raise ConfigError(
                    f"criterion {c.metric!r}: normalization='target' needs a positive target "
                    f"for every criterion, got {c.target}"
                )
            if self.normalization == "goalposts" and (c.floor is None or c.cap is None):
                raise ConfigError(
                    f"criterion {c.metric!r}: normalization='goalposts' needs floor and cap "
                    "for every criterion"
                )

    def _check_weighting(self, criteria: tuple[Criterion, ...]) -> None:
        """Weights are given where needed, and the AHP matrix is usable."""
        if self.weighting == "fixed":
            unweighted = [c.metric for c in criteria if c.weight is None]
            if unweighted:
                raise ConfigError(
                    f"weighting='fixed' needs a weight for every criterion; missing for "
                    f"{unweighted}; give them weights or choose weighting='equal'"
                )
            if sum(c.weight or 0.0 for c in criteria) <= 0:
                raise ConfigError("the criteria's weights are all zero; give some a weight > 0")
        if self.weighting == "ahp":
            if self.pairwise is None:
                raise ConfigError("weighting='ahp' needs pairwise=, the comparison matrix")
            matrix = np.asarray(self.pairwise, dtype=float)
            if matrix.shape != (len(criteria), len(criteria)):
                raise ConfigError(
                    f"the AHP matrix must be {len(criteria)}x{len(criteria)} (one row and column "
                    f"per criterion, in order), got {matrix.shape[0]}x"
                    f"{matrix.shape[1] if matrix.ndim == 2 else '?'}"
                )
            ahp_weights(matrix, max_consistency_ratio=self.max_consistency_ratio)

    @property
    def metrics(self) -> tuple[str, ...]:
        """The criteria's metric names, in order."""
        return tuple(c.metric for c in self.criteria)

    def with_options(self, **changes: Any) -> Scorecard:
        """A copy with some options changed, checked again.

        Examples
        --------
        >>> default_scorecard().with_options(aggregation="geometric").aggregation
        'geometric'
        """
        return replace(self, **changes)

    def fit(self, metrics_frame: pd.DataFrame) -> FittedScorecard:
        """Learn bounds, medians, ideal points and data-driven weights from a population.

        See :class:`~am_analytics.scoring.FittedScorecard`.
        """
        from ._fitting import fit_scorecard

        return fit_scorecard(self, metrics_frame)

    def fit_score(self, metrics_frame: pd.DataFrame) -> tuple[FittedScorecard, pd.DataFrame]:
        """Fit on a population and score it: ``fit(frame)`` and its ``score(frame)`` in one pass.

        Fitting already normalises and aggregates every row (the grade thresholds
        need the population's scores); this hands that work to the scoring
        instead of doing it twice, as scikit-learn's ``fit_transform`` does.

        Returns
        -------
        tuple of FittedScorecard and pandas.DataFrame
            What :meth:`fit` returns, and its :meth:`FittedScorecard.score` of
            ``metrics_frame``.

        Examples
        --------
        >>> import pandas as pd
        >>> from am_analytics.scoring import Criterion
        >>> frame = pd.DataFrame({"sales_amount": [10.0, 20.0, 30.0]}, index=["a", "b", "c"])
        >>> card = Scorecard([Criterion("sales_amount", weight=1)])
        >>> fitted, scored = card.fit_score(frame)
        >>> scored["score"].tolist()
        [0.0, 50.0, 100.0]
        >>> scored.equals(card.fit(frame).score(frame))
        True
        """
        from ._fitting import fit_and_score

        return fit_and_score(self, metrics_frame)

    def to_dict(self) -> dict[str, Any]:
        """The scorecard as plain data (the shape of its TOML file)."""
        out: dict[str, Any] = {
            "scorecard": {
                "normalization": self.normalization,
                "weighting": self.weighting,
                "aggregation": self.aggregation,
                "missing": self.missing,
                "max_consistency_ratio": self.max_consistency_ratio,
                "geometric_floor": self.geometric_floor,
            },
            "grading": (
                {"bands": dict(self.grading.bands)}
                if self.grading.bands is not None
                else {"distribution": dict(self.grading.distribution or ())}
            ),
            "criteria": [
                {k: getattr(c, k) for k in _CRITERION_KEYS if getattr(c, k) is not None}
                for c in self.criteria
            ],
        }
        if self.pairwise is not None:
            out["scorecard"]["pairwise"] = [list(row) for row in self.pairwise]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "the scorecard") -> Scorecard:
        """Build a scorecard from plain data (see :func:`load_scorecard` for the shape)."""
        unknown = set(data) - {"scorecard", "grading", "criteria"}
        if unknown:
            raise ConfigError(
                f"{source}: unknown section(s) {sorted(unknown)}; "
                "expected [scorecard], [grading] and [[criteria]]"
            )
        options = dict(data.get("scorecard", {}))
        bad = set(options) - _OPTION_KEYS
        if bad:
            raise ConfigError(
                f"{source}: unknown [scorecard] key(s) {sorted(bad)}; known: {sorted(_OPTION_KEYS)}"
            )
        if "pairwise" in options:
            options["pairwise"] = _read_matrix(options["pairwise"], source)
        criteria = []
        for i, entry in enumerate(data.get("criteria", []), start=1):
            bad = set(entry) - set(_CRITERION_KEYS)
            if bad:
                raise ConfigError(
                    f"{source}: criterion {i} has unknown key(s) {sorted(bad)}; "
                    f"known: {list(_CRITERION_KEYS)}"
                )
            criteria.append(Criterion(**entry))
        grading = data.get("grading")
        if grading is not None:
            if set(grading) - {"bands", "distribution"}:
                raise ConfigError(f"{source}: [grading] takes 'bands' or 'distribution'")
            options["grading"] = Grading(
                **{key: tuple(dict(value).items()) for key, value in grading.items()}
            )
        try:
            return cls(criteria=criteria, **options)
        except ConfigError as error:
            raise ConfigError(f"{source}: {error}") from None


_CRITERION_KEYS: Final = ("metric", "weight", "direction", "target", "floor", "cap", "label")
_OPTION_KEYS: Final = frozenset(
    {
        "normalization",
        "weighting",
        "aggregation",
        "missing",
        "pairwise",
        "max_consistency_ratio",
        "geometric_floor",
    }
)


def _read_matrix(rows: Any, source: str) -> tuple[tuple[float, ...], ...]:
    """An AHP matrix whose cells are numbers or fractions written as text (``"1/3"``)."""
    try:
        return tuple(
            tuple(float(Fraction(cell)) if isinstance(cell, str) else float(cell) for cell in row)
            for row in rows
        )
    except (TypeError, ValueError, ZeroDivisionError):
        raise ConfigError(
            f'{source}: the pairwise matrix must be rows of numbers or fractions like "1/3", '
            f"got {rows!r}"
        ) from None


def load_scorecard(path: str | Path) -> Scorecard:
    """Read a scorecard from a TOML file.

    The file has a ``[scorecard]`` table of options, a ``[grading]`` table with
    ``bands`` or ``distribution``, and one ``[[criteria]]`` table per criterion.
    AHP cells may be written as fractions in quotes (``"1/3"``), so the matrix
    stays exactly reciprocal.

    Raises
    ------
    ConfigError
        If the file cannot be read or breaks a rule; the message names the file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> text = '''
    ... [scorecard]
    ... weighting = "ahp"
    ... pairwise = [[1, 3], ["1/3", 1]]
    ... [[criteria]]
    ... metric = "sales_amount"
    ... [[criteria]]
    ... metric = "csat_mean"
    ... '''
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "card.toml"
    >>> _ = path.write_text(text, encoding="utf-8")
    >>> load_scorecard(path).weighting
    'ahp'
    """
    path = Path(path)
    data = read_toml(path, what="scorecard")
    return Scorecard.from_dict(data, source=str(path))


def default_scorecard() -> Scorecard:
    """The scorecard used when none is given (``scoring/default_scorecard.toml``).

    Seventy per cent quantitative — net sales 25 %, active clients 10 %, new
    clients 5 %, client retention 10 %, CSAT (empirical-Bayes adjusted, so a
    few glowing surveys do not outrank many good ones) 15 %, complaints per 100 clients
    5 % — and thirty per cent qualitative: calibrated ratings of communication,
    problem solving and teamwork, 10 % each. Values are normalised as mid-rank
    percentiles among the period's managers (robust to the heavy tail of
    sales and easy to read: 0.8 means better than 80 % of peers), missing
    values reweighted, and grades follow the "271" forced distribution: A 20 %,
    B 70 %, C 10 %.

    Examples
    --------
    >>> card = default_scorecard()
    >>> round(sum(c.weight for c in card.criteria), 6), card.grading.grades
    (1.0, ('A', 'B', 'C'))
    """
    return Scorecard.from_dict(
        read_packaged_toml(__package__, "default_scorecard.toml"), source="default_scorecard.toml"
    )
