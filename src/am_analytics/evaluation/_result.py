"""The result of an evaluation: named sections of frames, present or absent with a reason."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from ..errors import AmAnalyticsError
from ._config import EvaluationConfig

#: Columns (or index names) that make a frame per manager, most specific first:
#: ``owner_id`` holds a manager's id on a manager's goals and a team's name on a team's.
MANAGER_KEYS = ("manager_id", "owner_id")


@dataclass(frozen=True, slots=True, eq=False)
class Section:
    """One part of an evaluation: its frames, or the reason it has none.

    Attributes
    ----------
    name
        ``"scores"``, ``"goals"``, ... (see :func:`~am_analytics.evaluate`).
    frames
        The section's frames by name (names are unique across sections);
        empty when the section is absent.
    absent_reason
        Why the section is absent (``None`` when present), e.g. ``"needs the
        goals table, which the dataset lacks"``.
    notes
        What the section's computation warned about (a criterion left out, a
        part skipped), in the words of the warning.
    """

    name: str
    frames: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    absent_reason: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def present(self) -> bool:
        """Whether the section was computed."""
        return self.absent_reason is None


@dataclass(frozen=True, slots=True, eq=False)
class Evaluation:
    """A quarterly evaluation as frames, made by :func:`~am_analytics.evaluate`.

    Attributes
    ----------
    period, previous_period
        The quarter evaluated and the one before it (the score changes and
        segment migration compare the two).
    as_of
        The day the evaluation describes: nothing after it is counted.
    sections
        Every :class:`Section`, in a fixed order, absent ones included.
    timings
        Seconds spent per section.
    config
        The :class:`EvaluationConfig` used.
    """

    period: pd.Period
    previous_period: pd.Period
    as_of: pd.Timestamp
    sections: tuple[Section, ...]
    timings: Mapping[str, float]
    config: EvaluationConfig

    def section(self, name: str) -> Section:
        """The section called ``name``; :class:`AmAnalyticsError` naming the sections if none is."""
        for section in self.sections:
            if section.name == name:
                return section
        names = ", ".join(s.name for s in self.sections)
        raise AmAnalyticsError(f"the evaluation has no section {name!r}; its sections are {names}")

    def frames(self) -> dict[str, pd.DataFrame]:
        """Every frame of the present sections by its name, in section order."""
        return {name: frame for s in self.sections for name, frame in s.frames.items()}

    def manager(self, manager_id: str) -> dict[str, pd.DataFrame]:
        """One manager's rows of every per-manager frame: the material of a 1:1 review.

        A frame is per manager when its index or a column is ``manager_id``
        (or ``owner_id``, for goals). Frames without such a key (the data
        quality, the team and segment summaries) are left out; a per-manager
        frame where the manager has no row is kept, empty.

        Raises
        ------
        AmAnalyticsError
            If ``manager_id`` was not evaluated in the period; the message
            suggests close ids.
        """
        scores = self.section("scores").frames["scores"]
        if manager_id not in scores.index:
            close = difflib.get_close_matches(str(manager_id), scores.index.astype(str), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise AmAnalyticsError(
                f"manager {manager_id!r} was not evaluated in {self.period} "
                f"({len(scores)} managers were){hint} Give a manager_id of the scores frame"
            )
        views = ((name, _manager_rows(frame, manager_id)) for name, frame in self.frames().items())
        return {name: rows for name, rows in views if rows is not None}

    def _repr_html_(self) -> str:
        from ._html import evaluation_html

        return evaluation_html(self)


def _manager_rows(frame: pd.DataFrame, manager_id: str) -> pd.DataFrame | None:
    """The rows of ``frame`` about ``manager_id``, or None when it is not a per-manager frame."""
    for key in MANAGER_KEYS:
        if frame.index.name == key:
            values = frame.index.to_series()
        elif key in frame.columns:
            values = frame[key]
        else:
            continue
        mask = values.astype("string").eq(manager_id).fillna(False).to_numpy(dtype=bool)
        return frame[mask]
    return None
