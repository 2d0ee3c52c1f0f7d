"""Named RFM segments: rule tables mapping every R, F, M score cell to one segment."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..config import read_packaged_toml, read_toml
from ..errors import ConfigError, DataValidationError
from ._rfm import BINS_ATTR, SCORE_COLUMNS, IntArray, _check_bins


@dataclass(frozen=True, slots=True)
class SegmentCondition:
    """Inclusive score ranges on R, F and M; an axis left as ``None`` matches any score.

    Parameters
    ----------
    r, f, m
        ``(low, high)`` inclusive, or one score as an int. In TOML: ``{ R = [4,
        5], F = 5 }``.

    Examples
    --------
    >>> SegmentCondition(r=(4, 5), f=5)
    SegmentCondition(r=(4, 5), f=(5, 5), m=None)
    """

    r: tuple[int, int] | int | None = None
    f: tuple[int, int] | int | None = None
    m: tuple[int, int] | int | None = None

    def __post_init__(self) -> None:
        for axis in ("r", "f", "m"):
            object.__setattr__(self, axis, _score_range(axis.upper(), getattr(self, axis)))

    def ranges(self, bins: int) -> tuple[tuple[int, int], ...]:
        """The (low, high) of R, F and M, with an open axis as ``(1, bins)``.

        Examples
        --------
        >>> SegmentCondition(r=5).ranges(5)
        ((5, 5), (1, 5), (1, 5))
        """
        return tuple(
            (1, bins) if span is None else span for span in map(_span, (self.r, self.f, self.m))
        )


def _span(value: tuple[int, int] | int | None) -> tuple[int, int] | None:
    """A checked condition's range (ints are made ranges when the condition is made)."""
    return (value, value) if isinstance(value, int) else value


def _score_range(axis: str, value: object) -> tuple[int, int] | None:
    """A condition's range on one axis, as ``(low, high)``; ConfigError if malformed."""
    if value is None:
        return None
    if _is_int(value):
        return (int(value), int(value))  # type: ignore[call-overload]
    if (
        isinstance(value, Sequence)
        and not isinstance(value, str)
        and len(value) == 2
        and all(_is_int(v) for v in value)
    ):
        low, high = int(value[0]), int(value[1])
        if 1 <= low <= high:
            return (low, high)
    raise ConfigError(
        f"a segment condition on {axis} must be one score (5) or an inclusive range of "
        f"scores [low, high] with 1 <= low <= high, got {value!r}"
    )


def _is_int(value: object) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


@dataclass(frozen=True, slots=True)
class Segment:
    """A named segment: the score cells it claims and what it means.

    Parameters
    ----------
    name
        The segment's name (e.g. ``"Champions"``).
    description
        One line saying what the segment means, for reports.
    when
        Its :class:`SegmentCondition` objects; a cell matches the segment if it
        matches any of them.

    Examples
    --------
    >>> Segment("New", "Bought very recently but rarely.", (SegmentCondition(r=5, f=1),)).name
    'New'
    """

    name: str
    description: str
    when: tuple[SegmentCondition, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ConfigError(f"a segment needs a name, got {self.name!r}")
        if (
            not isinstance(self.description, str)
            or not self.description.strip()
            or "\n" in self.description
        ):
            raise ConfigError(
                f"segment {self.name!r}: the description must be one line of text, "
                f"got {self.description!r}"
            )
        when = tuple(self.when)
        if not when or not all(isinstance(c, SegmentCondition) for c in when):
            raise ConfigError(
                f"segment {self.name!r} needs at least one SegmentCondition in when=, got {when!r}"
            )
        object.__setattr__(self, "when", when)


@dataclass(frozen=True, slots=True)
class SegmentRules:
    """An ordered table of named segments over the ``bins``³ RFM score cells.

    A cell gets the first segment (in order) with a condition that matches it.
    The table is checked when it is made: every cell must get a segment and
    every segment must get at least one cell; a :class:`ConfigError` names
    the uncovered cells (the first few and their count) and the unreachable
    segments.

    Rules are written for one number of ``bins`` and apply only to scores of
    that scale (:func:`rfm_segments` checks): quantile scores of another scale
    mean something else, so rules for 3 or 7 bins are written for them, not
    stretched.

    Parameters
    ----------
    segments
        The :class:`Segment` objects, in order of precedence; their names are
        unique and give the order of the ``segment`` categories.
    bins
        The score scale the conditions are written for (2 to 9).

    Examples
    --------
    >>> rules = SegmentRules(
    ...     (
    ...         Segment("Active", "Bought lately.", (SegmentCondition(r=(2, 3)),)),
    ...         Segment("Lapsed", "Not lately.", (SegmentCondition(r=1),)),
    ...     ),
    ...     bins=3,
    ... )
    >>> rules.names
    ('Active', 'Lapsed')
    """

    segments: tuple[Segment, ...]
    bins: int = 5
    _lookup: IntArray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_bins(self.bins)
        segments = tuple(self.segments)
        if not segments or not all(isinstance(s, Segment) for s in segments):
            raise ConfigError("segment rules need at least one Segment")
        names = [s.name for s in segments]
        doubled = sorted({n for n in names if names.count(n) > 1})
        if doubled:
            raise ConfigError(f"each segment name may appear once; repeated: {doubled}")
        object.__setattr__(self, "segments", segments)
        object.__setattr__(self, "_lookup", self._cell_lookup())

    def _cell_lookup(self) -> IntArray:
        """The segment code of each cell, cells in R, F, M order (R slowest)."""
        b = self.bins
        r, f, m = (axis.ravel() + 1 for axis in np.indices((b, b, b)))
        lookup = np.full(b**3, -1, dtype=np.int64)
        for code, segment in enumerate(self.segments):
            for condition in segment.when:
                ranges = condition.ranges(b)
                outside = [(a, lo, hi) for a, (lo, hi) in zip("RFM", ranges, strict=True) if hi > b]
                if outside:
                    raise ConfigError(
                        f"segment {segment.name!r}: a condition asks for {outside[0][0]} up to "
                        f"{outside[0][2]}, but the rules are for scores 1..{b}; fix the range "
                        "or set bins"
                    )
                hit = np.ones(b**3, dtype=bool)
                for scores, (lo, hi) in zip((r, f, m), ranges, strict=True):
                    hit &= (scores >= lo) & (scores <= hi)
                lookup[hit & (lookup < 0)] = code
        _check_coverage(lookup, self.segments, b)
        return lookup

    @property
    def names(self) -> tuple[str, ...]:
        """The segment names, in order."""
        return tuple(s.name for s in self.segments)

    @property
    def descriptions(self) -> dict[str, str]:
        """Each segment's one-line description, by name, in order.

        Examples
        --------
        >>> default_segment_rules().descriptions["Can't Lose"]
        'Among the most frequent and biggest spenders, but gone quiet (R 1-2, F 4-5, M 4-5).'
        """
        return {s.name: s.description for s in self.segments}

    def cell_map(self) -> pd.DataFrame:
        """The segment of every score cell.

        Returns
        -------
        pandas.DataFrame
            One row per cell, ``bins``³ rows, indexed by ``rfm_cell`` (``"111"``
            .. ``"555"``); columns ``R``, ``F``, ``M`` (int64) and ``segment``
            (categorical, in rule order).

        Examples
        --------
        >>> cells = default_segment_rules().cell_map()
        >>> cells.loc["545", "segment"], len(cells)
        ('Champions', 125)
        """
        b = self.bins
        r, f, m = (axis.ravel().astype(np.int64) + 1 for axis in np.indices((b, b, b)))
        index = pd.Index((r * 100 + f * 10 + m).astype(str), name="rfm_cell")
        return pd.DataFrame(
            {"R": r, "F": f, "M": m, "segment": self._categorical(self._lookup)}, index=index
        )

    def _categorical(self, codes: IntArray) -> pd.Categorical[Any]:
        return pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(list(self.names)))

    def segment_codes(self, r: IntArray, f: IntArray, m: IntArray) -> IntArray:
        """The segment code (position in :attr:`names`) of scores 1..bins, vectorised."""
        b = self.bins
        return self._lookup[(r - 1) * b * b + (f - 1) * b + (m - 1)]

    def to_dict(self) -> dict[str, Any]:
        """The rules as plain data, the shape of their TOML file."""
        return {
            "bins": self.bins,
            "segments": [
                {
                    "name": s.name,
                    "description": s.description,
                    "when": [
                        {
                            axis: list(span)
                            for axis, span in zip("RFM", map(_span, (c.r, c.f, c.m)), strict=True)
                            if span is not None
                        }
                        for c in s.when
                    ],
                }
                for s in self.segments
            ],
        }

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, source: str = "the segment rules"
    ) -> SegmentRules:
        """Build rules from plain data (see :func:`load_segment_rules` for the shape)."""
        try:
            unknown = set(data) - {"bins", "segments"}
            if unknown:
                raise ConfigError(
                    f"unknown key(s) {sorted(unknown)}; expected bins and [[segments]]"
                )
            entries = data.get("segments")
            if not isinstance(entries, list):
                raise ConfigError("expected a list of [[segments]] tables")
            segments = tuple(_segment_from_dict(i, entry) for i, entry in enumerate(entries, 1))
            return cls(segments, bins=data.get("bins", 5))
        except ConfigError as error:
            raise ConfigError(f"{source}: {error}") from None


def _segment_from_dict(number: int, entry: object) -> Segment:
    """One ``[[segments]]`` table as a :class:`Segment`."""
    if not isinstance(entry, Mapping):
        raise ConfigError(f"segment {number} must be a table, got {entry!r}")
    unknown = set(entry) - {"name", "description", "when"}
    if unknown:
        raise ConfigError(
            f"segment {number} has unknown key(s) {sorted(unknown)}; known: name, description, when"
        )
    name = entry.get("name", "")
    when = entry.get("when", [])
    if isinstance(when, Mapping):  # a single condition written as one inline table
        when = [when]
    conditions = []
    for condition in when if isinstance(when, list) else [when]:
        if not isinstance(condition, Mapping) or set(condition) - {"R", "F", "M"}:
            raise ConfigError(
                f"segment {name or number!r}: each condition is a table of R, F and M ranges "
                f"like {{ R = [4, 5], F = 5 }}, got {condition!r}"
            )
        conditions.append(
            SegmentCondition(r=condition.get("R"), f=condition.get("F"), m=condition.get("M"))
        )
    return Segment(name=name, description=entry.get("description", ""), when=tuple(conditions))


def _check_coverage(lookup: IntArray, segments: tuple[Segment, ...], bins: int) -> None:
    """Raise ConfigError naming the cells without a segment and the segments without a cell."""
    problems = []
    uncovered = np.flatnonzero(lookup < 0)
    if len(uncovered):
        r, f, m = np.unravel_index(uncovered, (bins, bins, bins))
        cells = [f"{a + 1}{b + 1}{c + 1}" for a, b, c in zip(r[:5], f[:5], m[:5], strict=True)]
        problems.append(
            f"{len(uncovered)} of {bins**3} score cells match no segment (e.g. RFM "
            f"{', '.join(cells)}); widen a condition or add a catch-all segment last"
        )
    reached = np.zeros(len(segments), dtype=bool)
    reached[lookup[lookup >= 0]] = True
    unreachable = [s.name for s, hit in zip(segments, reached, strict=True) if not hit]
    if unreachable:
        problems.append(
            f"segments {unreachable} can never be assigned: every cell they match is taken "
            "by an earlier segment; move them up, narrow the earlier ones, or remove them"
        )
    if problems:
        raise ConfigError("; ".join(problems))


def load_segment_rules(path: str | Path) -> SegmentRules:
    """Read segment rules from a TOML file and check them.

    The file has ``bins`` (the score scale, default 5) and one
    ``[[segments]]`` table per segment, in order of precedence, with
    ``name``, ``description`` (one line) and ``when``: a list of conditions,
    each an inline table of inclusive ranges ``{ R = [4, 5], F = [4, 5], M =
    5 }`` (an axis left out matches any score). The first segment with a
    matching condition wins. ``segments/default_segment_rules.toml`` is the
    model to copy.

    Raises
    ------
    ConfigError
        If the file cannot be read, is malformed, leaves score cells without a
        segment or has a segment that can never be assigned; the message names
        the file, the uncovered cells and the unreachable segments.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> text = '''
    ... bins = 2
    ... [[segments]]
    ... name = "Best"
    ... description = "Recent and frequent."
    ... when = [{ R = 2, F = 2 }]
    ... [[segments]]
    ... name = "Rest"
    ... description = "Everyone else."
    ... when = [{}]
    ... '''
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "rules.toml"
    >>> _ = path.write_text(text, encoding="utf-8")
    >>> load_segment_rules(path).cell_map()["segment"].value_counts().to_dict()
    {'Rest': 6, 'Best': 2}
    """
    path = Path(path)
    data = read_toml(path, what="segment rules")
    return SegmentRules.from_dict(data, source=str(path))


@functools.cache
def default_segment_rules() -> SegmentRules:
    """The eleven RFM segments used when none are given (``segments/default_segment_rules.toml``).

    Written for 5 bins: Champions, Loyal, Potential Loyalist, New, Promising,
    Need Attention, About to Sleep, At Risk, Can't Lose, Hibernating, Lost.
    R and F place a client on a 5 × 5 map; M splits the frequent clients into
    Champions / Loyal (recent) and Can't Lose / At Risk (gone quiet), and the
    long-gone infrequent ones into Hibernating / Lost. No two conditions
    overlap, so each of the 125 cells is claimed by exactly one segment.

    Examples
    --------
    >>> rules = default_segment_rules()
    >>> rules.bins, len(rules.names)
    (5, 11)
    """
    return SegmentRules.from_dict(
        read_packaged_toml(__package__, "default_segment_rules.toml"),
        source="default_segment_rules.toml",
    )


def rfm_segments(scores: pd.DataFrame, *, rules: SegmentRules | None = None) -> pd.DataFrame:
    """Name each client's RFM cell with a segment.

    Parameters
    ----------
    scores
        ``R``, ``F`` and ``M`` scores (:func:`rfm_scores` or
        :meth:`RFMScorer.transform`); other columns are kept.
    rules
        The :class:`SegmentRules`; default :func:`default_segment_rules`
        (5 bins).

    Returns
    -------
    pandas.DataFrame
        A copy of ``scores`` (same index) with ``segment`` added.

    Raises
    ------
    DataValidationError
        If R, F or M is missing or not whole numbers.
    ConfigError
        If the scores are on another scale than the rules: a score above
        ``rules.bins``, or ``attrs["rfm_bins"]`` (set by
        :meth:`RFMScorer.transform`) differs from it.

    Notes
    -----
    Column added: ``segment``, categorical with the rules' segment names as
    categories, in rule order. Every client gets exactly one segment.

    Examples
    --------
    >>> import pandas as pd
    >>> scores = pd.DataFrame({"R": [5, 1, 5], "F": [5, 5, 1], "M": [5, 5, 2]}, index=list("abc"))
    >>> rfm_segments(scores)["segment"].tolist()
    ['Champions', "Can't Lose", 'New']
    """
    rules = default_segment_rules() if rules is None else rules
    if not isinstance(rules, SegmentRules):
        raise ConfigError(
            f"rules must be SegmentRules (see load_segment_rules), got {type(rules).__name__}"
        )
    r, f, m = _read_scores(scores)
    bins = scores.attrs.get(BINS_ATTR)
    if bins is not None and bins != rules.bins:
        raise ConfigError(
            f"the scores were made with bins={bins} but the segment rules are written for "
            f"{rules.bins} bins; score with bins={rules.bins} or load rules for {bins} bins"
        )
    highest = max((int(x.max()) for x in (r, f, m) if len(x)), default=1)
    if highest > rules.bins:
        raise ConfigError(
            f"a score of {highest} is above the {rules.bins} bins the segment rules are written "
            f"for; score with bins={rules.bins} or load rules for your scale"
        )
    out = scores.copy()
    out["segment"] = rules._categorical(rules.segment_codes(r, f, m))
    return out


def _read_scores(scores: pd.DataFrame) -> tuple[IntArray, IntArray, IntArray]:
    """R, F and M as int arrays; DataValidationError if absent or not whole numbers >= 1."""
    if not isinstance(scores, pd.DataFrame):
        raise DataValidationError(
            f"expected a DataFrame of RFM scores, got {type(scores).__name__}; make it with "
            "rfm_scores(features)"
        )
    missing = [c for c in SCORE_COLUMNS if c not in scores.columns]
    if missing:
        raise DataValidationError(
            f"the scores frame lacks the columns {missing} (it has "
            f"{list(map(str, scores.columns))}); make it with rfm_scores(features)",
            missing={"scores": missing},
        )
    arrays = []
    for name in SCORE_COLUMNS:
        column = scores[name]
        numeric = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
        x = column.to_numpy(dtype=np.float64, na_value=np.nan) if numeric else np.array([np.nan])
        if not numeric or np.isnan(x).any() or (x < 1).any() or (x != np.round(x)).any():
            raise DataValidationError(
                f"scores.{name} must hold whole scores 1, 2, ... without gaps; found dtype "
                f"{column.dtype}; make the scores with rfm_scores(features)"
            )
        arrays.append(x.astype(np.int64))
    return arrays[0], arrays[1], arrays[2]
