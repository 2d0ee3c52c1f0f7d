"""The result of an evaluation: named sections of frames, present or absent with a reason."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
            hint = f"did you mean {', '.join(close)}? " if close else ""
            raise AmAnalyticsError(
                f"manager {manager_id!r} was not evaluated in {self.period} "
                f"({len(scores)} managers were); {hint}give a manager_id of the scores frame"
            )
        views = ((name, _manager_rows(frame, manager_id)) for name, frame in self.frames().items())
        return {name: rows for name, rows in views if rows is not None}

    def to_csv(self, out_dir: str | Path) -> list[Path]:
        """Write one CSV file per frame into ``out_dir``, replacing the folder atomically.

        Each file is named after its frame in :meth:`frames` (``scores.csv``):
        UTF-8 with a BOM, a frame's index (``manager_id``, ``client_id``, ...)
        as its first columns, floats with 15 significant digits, and text a
        spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``,
        ``@``, a tab or a carriage return) behind an apostrophe. Returns the
        files written.

        Raises
        ------
        OutputPathError
            If ``out_dir`` is a file, cannot be written, or holds files this
            evaluation would not write (a folder is replaced whole).
        """
        from ..report import write_folder

        return write_folder(self, out_dir, formats=("csv",), manifest_file=False)

    def to_json(self, path: str | Path) -> Path:
        """Write the evaluation as one JSON document to ``path``, replacing it atomically.

        The document follows :meth:`json_schema` (``schema_version`` 1.x):
        ``schema_version``, ``library_version``, ``period``,
        ``previous_period``, ``as_of`` and ``sections``, each with ``present``,
        ``absent_reason``, ``notes`` and its ``frames`` as ``index``,
        ``columns`` and ``records``. Dates are ISO 8601, categories text,
        NaN and infinities ``null``; text is kept exactly as the data has it.
        """
        from ..report import write_json

        return write_json(self, path)

    def write(self, out_dir: str | Path, *, formats: Iterable[str] = ("csv", "json")) -> list[Path]:
        """Write the evaluation's files and ``manifest.json`` into ``out_dir``, atomically.

        The folder is filled beside ``out_dir`` under a hidden name and then
        renamed into place: a failed or interrupted run (an exception, Ctrl-C)
        leaves no half-written folder and the previous one intact, and a
        successful re-run replaces the previous folder whole.

        Parameters
        ----------
        out_dir
            The folder to write; created, or replaced when it holds an earlier
            evaluation.
        formats
            ``"csv"`` (one file per frame, as :meth:`to_csv`) and ``"json"``
            (``evaluation.json``, as :meth:`to_json`).

        Returns
        -------
        list of Path
            The files written, the manifest last. ``manifest.json`` records
            ``library_version``, ``schema_version``, ``period``,
            ``previous_period``, ``as_of``, ``config``
            (:meth:`EvaluationConfig.to_dict`), ``inputs`` (per table:
            source, sha256, rows read, kept and rejected), ``overrides``,
            ``seconds_per_stage`` and ``files``.

        Raises
        ------
        ConfigError
            For an unknown format (the message names the known ones).
        OutputPathError
            If ``out_dir`` is a file, cannot be written, or holds files this
            evaluation would not write.
        """
        from ..report import write_folder

        return write_folder(self, out_dir, formats=formats, manifest_file=True)

    @staticmethod
    def json_schema() -> dict[str, Any]:
        """The JSON Schema (draft 2020-12) that :meth:`to_json` output follows.

        Examples
        --------
        >>> schema = Evaluation.json_schema()
        >>> schema["$schema"], schema["required"][:2]
        ('https://json-schema.org/draft/2020-12/schema', ['schema_version', 'library_version'])
        """
        from ..report import json_schema

        return json_schema()

    def _repr_html_(self) -> str:
        from ..report import evaluation_html

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
