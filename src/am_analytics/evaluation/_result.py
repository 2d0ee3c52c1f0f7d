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
    lacking
        The tables the section needs and the dataset lacks (empty otherwise).
    left_out
        Whether the configuration's ``sections`` left the section out.
    """

    name: str
    frames: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    absent_reason: str | None = None
    notes: tuple[str, ...] = ()
    lacking: tuple[str, ...] = ()
    left_out: bool = False

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

    def to_html(
        self, path: str | Path, *, language: str | None = None, managers: list[str] | None = None
    ) -> Path:
        """Write the evaluation as one self-contained HTML report to ``path``, atomically.

        The page opens with an executive summary (headline figures against
        the previous period, the grade and score distributions, the top of
        the ranking, who rose and who fell, the risks: goals off track,
        complaints overdue, clients slipping from the top segments), then a
        part per section (absent ones say why), then a card per scored
        manager for a 1:1 review (criteria against the team median, rank
        trend with its interval, goal burn-up, portfolio, satisfaction,
        skill gaps, courses, next actions), each starting a new printed page.
        Figures are inline SVG with their text as text; the CSS and the few
        lines of JS that sort tables are inline, so the file needs no
        network. Text from the data is escaped.

        Parameters
        ----------
        path
            The ``.html`` file to write.
        language
            ``"zh"`` or ``"en"``: the report's words, numbers and dates;
            default: ``config.language``.
        managers
            Only these managers' cards (no summary or sections): a manager's
            own review pack.

        Raises
        ------
        ConfigError
            For a language without a message catalogue.
        OutputPathError
            If ``path`` is a folder or cannot be written.
        """
        from ..report import write_html

        return write_html(self, path, language=language, managers=managers)

    def to_excel(self, path: str | Path, *, language: str | None = None) -> Path:
        """Write the evaluation as an Excel workbook to ``path``, replacing it atomically.

        The first sheet (``说明`` / ``About``) names the period, ``as_of``
        and the library version and lists every sheet; then comes a sheet per
        frame of the present sections, in section order, and a sheet per
        scored manager (``M0020 闫浩然``) with that manager's rows of every
        per-manager frame. Cells are typed (numbers with number formats,
        dates as dates, empty for NaN), headers bold and frozen, columns
        filtered and sized; the grade and score distributions get bar charts.
        Text a spreadsheet would run as a formula is written behind an
        apostrophe, as in :meth:`to_csv`.

        Parameters
        ----------
        path
            The ``.xlsx`` file to write.
        language
            ``"zh"`` or ``"en"``, for the sheet names, headers and titles;
            default: ``config.language``.

        Raises
        ------
        ConfigError
            For a language without a message catalogue.
        OutputPathError
            If ``path`` does not end in ``.xlsx``, is a folder, or cannot be written.
        """
        from ..report import write_excel

        return write_excel(self, path, language=language)

    def write(
        self,
        out_dir: str | Path,
        *,
        formats: Iterable[str] = ("html", "xlsx", "csv", "json"),
        language: str | None = None,
        n_jobs: int | None = None,
    ) -> list[Path]:
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
            Any of ``"html"`` (``report.html``, as :meth:`to_html`),
            ``"xlsx"`` (``evaluation.xlsx``, as :meth:`to_excel`), ``"csv"``
            (one file per frame, as :meth:`to_csv`) and ``"json"``
            (``evaluation.json``, as :meth:`to_json`); default: all four.
        language
            The language of the HTML and Excel files; default:
            ``config.language``.
        n_jobs
            Processes writing the formats side by side: ``None`` for this one
            alone, ``-1`` for one per core (on Linux; elsewhere always this
            one). The files are the same either way.

        Returns
        -------
        list of Path
            The files written, the manifest last. ``manifest.json`` records
            ``library_version``, ``schema_version``, ``period``,
            ``previous_period``, ``as_of``, ``config``
            (:meth:`EvaluationConfig.to_dict`), ``inputs`` (per table:
            source, sha256, rows read, kept and rejected), ``overrides``,
            ``seconds_per_stage`` (each section's computation),
            ``seconds_per_format`` (each format's writing) and ``files``.

        Raises
        ------
        ConfigError
            For an unknown format (the message names the known ones).
        OutputPathError
            If ``out_dir`` is a file, cannot be written, or holds files this
            evaluation would not write.
        """
        from .._processes import resolve_jobs
        from ..report import write_folder

        return write_folder(
            self,
            out_dir,
            formats=formats,
            manifest_file=True,
            language=language,
            jobs=resolve_jobs(n_jobs),
        )

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
