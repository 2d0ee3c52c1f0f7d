"""Career ladder, skill gaps, promotion readiness, 9-box placement and training plans.

A :class:`CareerLadder` lists the levels of the account-manager career in
order, each with what it takes to be promoted into it: years of tenure, a
minimum score percentile held over the last N scored periods, and minimum
calibrated competency ratings (a competency matrix as in HR suites such as
SuccessFactors or Cornerstone). It is read from TOML
(:func:`load_career_ladder`, :func:`default_career_ladder`).

* :func:`skill_gaps` compares each manager's calibrated ratings with the
  minimums of their level and of the next one;
* :func:`promotion_readiness` says who is ready now, who within a period and
  who is not, naming every unmet criterion, and places each manager on a
  9-box grid of performance by potential;
* :func:`recommend_training` turns the gaps into a ranked course list, from a
  catalogue (:func:`catalog_from_training`, :func:`load_training_catalog`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd

from ..config import read_packaged_toml, read_toml
from ..errors import ConfigError
from ..periods import to_period
from ..ratings import competency_scores
from ..schemas import COMPETENCIES

if TYPE_CHECKING:
    pass


#: The competencies a ladder may name when it does not declare its own: those the
#: ratings table accepts by default.
DEFAULT_COMPETENCIES: Final = COMPETENCIES


_LEVEL_KEYS: Final = frozenset(
    {"name", "min_tenure_years", "min_score_percentile", "periods", "competencies"}
)


_DAYS_PER_YEAR: Final = 365.25


@dataclass(frozen=True, slots=True)
class CareerLevel:
    """One level of the career ladder and what it takes to be promoted into it.

    Parameters
    ----------
    name
        The level as written in ``managers.level`` (e.g. ``"高级客户经理"``).
    min_tenure_years
        Years since ``hire_date`` (finite, >= 0).
    min_score_percentile
        The lowest score percentile (0..100, 100 = best) allowed in each of the
        last ``periods`` scored periods.
    periods
        How many recent periods the percentile must hold (int, >= 1).
    competencies
        Minimum calibrated rating per competency (each finite, in 1..5).

    Examples
    --------
    >>> CareerLevel("高级客户经理", 2, 40, 2, {"teamwork": 3.0}).competencies["teamwork"]
    3.0
    """

    name: str
    min_tenure_years: float = 0.0
    min_score_percentile: float = 0.0
    periods: int = 1
    competencies: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ConfigError(f"a career level needs a non-empty name; found {self.name!r}")
        where = f"career level {self.name!r}"
        tenure = _number(self.min_tenure_years, f"{where}: min_tenure_years")
        if tenure < 0:
            raise ConfigError(f"{where}: min_tenure_years must be >= 0; found {tenure}")
        percentile = _number(self.min_score_percentile, f"{where}: min_score_percentile")
        if not 0 <= percentile <= 100:
            raise ConfigError(
                f"{where}: min_score_percentile must lie in 0..100 (100 = best); found {percentile}"
            )
        if isinstance(self.periods, bool) or not isinstance(self.periods, int | np.integer):
            raise ConfigError(f"{where}: periods must be a whole number; found {self.periods!r}")
        if self.periods < 1:
            raise ConfigError(f"{where}: periods must be >= 1; found {self.periods}")
        if not isinstance(self.competencies, Mapping):
            raise ConfigError(
                f"{where}: competencies must map competency names to minimum ratings; found "
                f"{type(self.competencies).__name__}"
            )
        minimums: dict[str, float] = {}
        for competency, value in self.competencies.items():
            rating = _number(value, f"{where}: competency {competency!r}")
            if not 1 <= rating <= 5:
                raise ConfigError(
                    f"{where}: the minimum rating of {competency!r} must lie in 1..5 (the "
                    f"rating scale); found {rating}"
                )
            minimums[str(competency)] = rating
        # Normalised copies: plain floats and an immutable mapping keep the level frozen.
        object.__setattr__(self, "min_tenure_years", tenure)
        object.__setattr__(self, "min_score_percentile", percentile)
        object.__setattr__(self, "periods", int(self.periods))
        object.__setattr__(self, "competencies", MappingProxyType(minimums))


@dataclass(frozen=True, slots=True)
class CareerLadder:
    """The levels of a career, lowest first.

    Parameters
    ----------
    levels
        The :class:`CareerLevel` s in order, lowest first; names unique; no
        minimum may decrease up the ladder (tenure, percentile, and every
        competency's rating — a competency required at one level is required
        at every level above it).
    competencies
        The competencies the levels may name; ``None`` accepts any name. A
        level naming another raises :class:`ConfigError` (catches typos).

    Examples
    --------
    >>> ladder = CareerLadder((CareerLevel("A"), CareerLevel("B", min_tenure_years=2)))
    >>> ladder.names, ladder.next_level("A"), ladder.next_level("B")
    (('A', 'B'), 'B', None)
    """

    levels: tuple[CareerLevel, ...]
    competencies: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        levels = tuple(self.levels)
        if not levels or not all(isinstance(level, CareerLevel) for level in levels):
            raise ConfigError(
                "a career ladder needs at least one level, each a CareerLevel; found "
                f"{self.levels!r}"
            )
        object.__setattr__(self, "levels", levels)
        names = [level.name for level in levels]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ConfigError(
                f"the career ladder names the level(s) {duplicates} more than once; give each "
                "level once, lowest first"
            )
        if self.competencies is not None:
            known = tuple(str(c) for c in self.competencies)
            object.__setattr__(self, "competencies", known)
            self.check_competencies(known)
        for lower, upper in itertools.pairwise(levels):
            _check_order(lower, upper)

    @property
    def names(self) -> tuple[str, ...]:
        """The level names, lowest first."""
        return tuple(level.name for level in self.levels)

    @property
    def required_competencies(self) -> tuple[str, ...]:
        """Every competency some level requires, in order of first appearance."""
        return tuple(dict.fromkeys(c for level in self.levels for c in level.competencies))

    def next_level(self, name: str) -> str | None:
        """The level above ``name``; None at the top. Raises ConfigError for an unknown name."""
        names = self.names
        if name not in names:
            raise ConfigError(f"{name!r} is not a level of the career ladder {list(names)}")
        position = names.index(name)
        return names[position + 1] if position + 1 < len(names) else None

    def check_competencies(self, known: Iterable[str]) -> None:
        """Raise a ConfigError if a level names a competency not in ``known``.

        Examples
        --------
        >>> default_career_ladder().check_competencies(["teamwork"])
        Traceback (most recent call last):
        ...
        am_analytics.errors.ConfigError: the career ladder names unknown competencies ...
        """
        known_set = set(known)
        unknown = {
            level.name: sorted(set(level.competencies) - known_set)
            for level in self.levels
            if set(level.competencies) - known_set
        }
        if unknown:
            raise ConfigError(
                f"the career ladder names unknown competencies {unknown}; the known ones are "
                f"{sorted(known_set)}; fix the spelling or rate the competency first"
            )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "<dict>") -> CareerLadder:
        """Build a ladder from the parsed TOML layout (see :func:`load_career_ladder`)."""
        unknown_tables = sorted(set(data) - {"ladder", "levels"})
        if unknown_tables:
            raise ConfigError(
                f"{source}: unknown table(s) {unknown_tables}; a ladder file has [ladder] and "
                "[[levels]]"
            )
        options = data.get("ladder", {})
        if not isinstance(options, Mapping) or set(options) - {"competencies"}:
            raise ConfigError(f"{source}: [ladder] may only hold `competencies = [...]`")
        raw_levels = data.get("levels")
        if not isinstance(raw_levels, list) or not raw_levels:
            raise ConfigError(f"{source}: expected one or more [[levels]] tables, lowest first")
        levels = []
        for number, raw in enumerate(raw_levels, start=1):
            extra = sorted(set(raw) - _LEVEL_KEYS)
            if extra:
                raise ConfigError(
                    f"{source}: level {number} has unknown key(s) {extra}; allowed: "
                    f"{sorted(_LEVEL_KEYS)}"
                )
            try:
                levels.append(CareerLevel(**raw))
            except ConfigError as error:
                raise ConfigError(f"{source}: level {number}: {error}") from None
            except TypeError:
                raise ConfigError(f"{source}: level {number} has no `name`") from None
        known = options.get("competencies", DEFAULT_COMPETENCIES)
        try:
            return cls(tuple(levels), competencies=tuple(known))
        except ConfigError as error:
            raise ConfigError(f"{source}: {error}") from None


def load_career_ladder(path: str | Path) -> CareerLadder:
    """Read a career ladder from a TOML file.

    The file holds one ``[[levels]]`` table per level, lowest first, with
    ``name``, ``min_tenure_years``, ``min_score_percentile``, ``periods`` and a
    ``[levels.competencies]`` table of minimum ratings; an optional
    ``[ladder]`` table declares ``competencies = [...]``, the names the levels
    may use (default :data:`DEFAULT_COMPETENCIES`). See
    ``development/default_ladder.toml``.

    Raises
    ------
    ConfigError
        If the file cannot be read or breaks a rule of :class:`CareerLadder`
        (unknown competency, decreasing minimum, duplicate level, bad number).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> text = '''
    ... [[levels]]
    ... name = "junior"
    ... [levels.competencies]
    ... teamwork = 3.0
    ... [[levels]]
    ... name = "senior"
    ... [levels.competencies]
    ... teamwork = 2.5
    ... '''
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "ladder.toml"
    >>> _ = path.write_text(text, encoding="utf-8")
    >>> load_career_ladder(path)
    Traceback (most recent call last):
    ...
    am_analytics.errors.ConfigError: ...: 'teamwork' needs 2.5 at 'senior' but 3.0 at 'junior'...
    """
    path = Path(path)
    data = read_toml(path, what="career ladder")
    return CareerLadder.from_dict(data, source=str(path))


def default_career_ladder() -> CareerLadder:
    """The ladder of the sample's levels (``development/default_ladder.toml``).

    客户经理 → 高级客户经理 (2 years, percentile >= 40 in the last 2 periods,
    every competency >= 3.0) → 资深客户经理 (4 years, >= 50 over 2 periods, >= 3.3)
    → 客户总监 (8 years, >= 60 over 4 periods, 3.5–3.6).

    Examples
    --------
    >>> default_career_ladder().names
    ('客户经理', '高级客户经理', '资深客户经理', '客户总监')
    """
    return CareerLadder.from_dict(
        read_packaged_toml(__package__, "default_ladder.toml"), source="default_ladder.toml"
    )


def _number(value: Any, where: str) -> float:
    """``value`` as a finite float, or a ConfigError naming ``where``."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ConfigError(f"{where} must be a number; found {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ConfigError(f"{where} must be finite; found {number}")
    return number


def _check_order(lower: CareerLevel, upper: CareerLevel) -> None:
    """Raise a ConfigError where ``upper`` asks less than ``lower`` below it."""
    where = f"{upper.name!r} (above {lower.name!r})"
    fix = "list the levels lowest first with minimums that never decrease"
    if upper.min_tenure_years < lower.min_tenure_years:
        raise ConfigError(
            f"out-of-order levels: {where} needs {upper.min_tenure_years} years of tenure, "
            f"less than {lower.min_tenure_years}; {fix}"
        )
    if upper.min_score_percentile < lower.min_score_percentile:
        raise ConfigError(
            f"out-of-order levels: {where} needs score percentile "
            f"{upper.min_score_percentile}, less than {lower.min_score_percentile}; {fix}"
        )
    for competency, minimum in lower.competencies.items():
        required = upper.competencies.get(competency)
        if required is None or required < minimum:
            shown = "nothing" if required is None else str(required)
            raise ConfigError(
                f"out-of-order levels: {competency!r} needs {shown} at {upper.name!r} but "
                f"{minimum} at {lower.name!r}; {fix}"
            )


def _calibrated(ratings: pd.DataFrame) -> pd.DataFrame:
    """Calibrated competency scores with string manager ids and parsed periods."""
    scores = competency_scores(ratings)
    scores = scores[scores["score"].notna()]
    return pd.DataFrame(
        {
            "manager_id": scores["manager_id"].astype("str").to_numpy(),
            "period": _parse_periods(scores["period"]).to_numpy(),
            "competency": scores["competency"].astype("str").to_numpy(),
            "score": scores["score"].to_numpy(dtype="float64"),
        }
    )


def _parse_periods(values: pd.Series) -> pd.Series:
    """Periods given as text or Period, parsed once per distinct value."""
    distinct = pd.unique(values.astype("object"))
    parsed = {value: to_period(value) for value in distinct}
    return values.astype("object").map(parsed)


def _periods_within(periods: pd.Series, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    """Whether each period lies within ``[start, end]``."""
    codes, distinct = pd.factorize(periods, use_na_sentinel=False)
    # bounds of the distinct periods (a few dozen), not of every row
    starts = pd.Series([p.start_time for p in distinct]).take(codes)
    ends = pd.Series([p.end_time for p in distinct]).take(codes)
    return pd.Series((starts >= start).to_numpy() & (ends <= end).to_numpy(), index=periods.index)
