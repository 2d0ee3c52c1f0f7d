"""An evaluation written for downstream systems: CSV files, one JSON document, a manifest.

The layout and the JSON schema are documented in ``docs/evaluation.md`` ("Files");
the schema itself ships beside this module (``evaluation.schema.json``). Every
CSV goes through the project's one result writer
(:func:`~am_analytics.io._writing.write_csv`): a BOM for Excel, formula cells
neutralised, 15 significant digits. JSON keeps text as it is: it is no
spreadsheet, and a consumer must see the value the data holds.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from importlib import resources
from pathlib import Path
from time import perf_counter
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd

from .._processes import Forked, can_fork
from .._version import library_version
from ..errors import ConfigError
from ..io._writing import (
    check_output_file,
    check_output_folder,
    replacing_file,
    replacing_folder,
    write_csv,
)

if TYPE_CHECKING:
    from ..evaluation import Evaluation

#: The version of the JSON document's layout: the minor number grows when fields
#: are added, the major one when a field is renamed or removed.
SCHEMA_VERSION: Final = "1.0"
#: The formats :meth:`Evaluation.write` writes.
FORMATS: Final = ("html", "xlsx", "csv", "json")
#: The formats by the time they take to write, the longest first (measured on the sample).
SLOWEST_FIRST: Final = ("xlsx", "html", "csv", "json")
HTML_NAME: Final = "report.html"
XLSX_NAME: Final = "evaluation.xlsx"
JSON_NAME: Final = "evaluation.json"
MANIFEST_NAME: Final = "manifest.json"
SCHEMA_RESOURCE: Final = "evaluation.schema.json"


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of :func:`evaluation_document`, as shipped."""
    text = resources.files(__package__).joinpath(SCHEMA_RESOURCE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


# --- the JSON document ---------------------------------------------------------------


def evaluation_document(evaluation: Evaluation) -> dict[str, Any]:
    """The evaluation as one JSON-ready document (see ``evaluation.schema.json``)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "library_version": library_version(),
        "period": str(evaluation.period),
        "previous_period": str(evaluation.previous_period),
        "as_of": _iso_day(evaluation.as_of),
        "sections": {
            section.name: {
                "present": section.present,
                "absent_reason": section.absent_reason,
                "notes": list(section.notes),
                "frames": {name: frame_document(f) for name, f in section.frames.items()},
            }
            for section in evaluation.sections
        },
    }


def frame_document(frame: pd.DataFrame) -> dict[str, Any]:
    """A frame as ``index`` (its key columns), ``columns`` and ``records``.

    Examples
    --------
    >>> frame = pd.DataFrame({"score": [81.5, float("nan")], "grade": pd.Categorical(["A", None])},
    ...                      index=pd.Index(["M1", "M2"], name="manager_id"))
    >>> frame_document(frame)  # doctest: +NORMALIZE_WHITESPACE
    {'index': ['manager_id'], 'columns': ['manager_id', 'score', 'grade'],
     'records': [{'manager_id': 'M1', 'score': 81.5, 'grade': 'A'},
                 {'manager_id': 'M2', 'score': None, 'grade': None}]}
    """
    index = [str(name) for name in frame.index.names] if keeps_index(frame) else []
    flat = frame.reset_index() if index else frame
    columns = [str(column) for column in flat.columns]
    cells = [_json_cells(flat.iloc[:, i]).tolist() for i in range(len(columns))]
    # rows zipped from column lists: a fraction of to_dict("records")'s time on wide frames
    records = [dict(zip(columns, row, strict=True)) for row in zip(*cells, strict=True)]
    return {"index": index, "columns": columns, "records": records}


def keeps_index(frame: pd.DataFrame) -> bool:
    """Whether a frame's index is data (named, or labels) rather than row numbers."""
    named = any(name is not None for name in frame.index.names)
    return named or not isinstance(frame.index, pd.RangeIndex)


def _json_cells(values: pd.Series) -> pd.Series:
    """A column as JSON values: ISO dates, text for categories, None for NaN, NA and inf."""
    if pd.api.types.is_datetime64_any_dtype(values):
        cells = values.dt.strftime(_date_format(values)).astype(object)
    elif isinstance(values.dtype, pd.CategoricalDtype):
        cells = values.astype("string").astype(object)
    else:
        cells = values.astype(object)
    keep = values.notna()
    if pd.api.types.is_float_dtype(values):  # JSON has no inf
        keep &= np.isfinite(values.to_numpy(dtype=float, na_value=np.nan))
    return cells.where(keep, None)


def _date_format(values: pd.Series) -> str:
    """``YYYY-MM-DD`` for a column of days, with the time of day when one has it."""
    has_time = (values.notna() & (values.dt.normalize() != values)).any()
    return "%Y-%m-%dT%H:%M:%S" if has_time else "%Y-%m-%d"


def _iso_day(day: pd.Timestamp) -> str:
    """A timestamp as ISO 8601 text: ``2026-11-15``, with the time of day only when it has one."""
    return day.isoformat() if day != day.normalize() else day.date().isoformat()


def _json_text(document: dict[str, Any], *, indent: int | None = None) -> str:
    """A document as UTF-8 JSON text (Chinese kept as itself, not escaped)."""
    text = json.dumps(document, ensure_ascii=False, indent=indent, allow_nan=False, default=str)
    return text + "\n"


# --- the manifest --------------------------------------------------------------------


def manifest(
    evaluation: Evaluation, files: Iterable[str], seconds_per_format: Mapping[str, float]
) -> dict[str, Any]:
    """What a written evaluation was made from and how: the content of ``manifest.json``."""
    summary = evaluation.section("data_quality").frames["data_quality"]
    inputs = summary[["table", "source", "sha256", "rows_read", "rows_kept", "rows_rejected"]]
    return {
        "library_version": library_version(),
        "schema_version": SCHEMA_VERSION,
        "period": str(evaluation.period),
        "previous_period": str(evaluation.previous_period),
        "as_of": _iso_day(evaluation.as_of),
        "config": evaluation.config.to_dict(),
        "inputs": frame_document(inputs)["records"],
        "overrides": _overrides(evaluation),
        "seconds_per_stage": dict(evaluation.timings),
        "seconds_per_format": dict(seconds_per_format),
        "files": sorted(files),
    }


def _overrides(evaluation: Evaluation) -> list[dict[str, Any]]:
    """The overrides applied (manager_id, from, to, reason, decided_by, decided_on), or none."""
    applied = evaluation.frames().get("overrides")
    return [] if applied is None else frame_document(applied)["records"]


# --- writing -------------------------------------------------------------------------


def write_csv_files(evaluation: Evaluation, folder: Path) -> list[str]:
    """Write one CSV file per frame into ``folder``; returns the file names."""
    names = []
    for name, frame in evaluation.frames().items():
        _write_frame(frame, folder / f"{name}.csv")
        names.append(f"{name}.csv")
    return names


def _write_frame(frame: pd.DataFrame, path: Path) -> None:
    """Write one frame as a result CSV, its index as the first columns when it is data."""
    write_csv(frame, path, index=keeps_index(frame))


def write_json(evaluation: Evaluation, path: str | Path) -> Path:
    """Write :func:`evaluation_document` to ``path``, replacing it atomically."""
    target = Path(path)
    check_output_file(target)
    with replacing_file(target) as temporary:
        temporary.write_text(_json_text(evaluation_document(evaluation)), encoding="utf-8")
    return target


def write_folder(
    evaluation: Evaluation,
    out_dir: str | Path,
    *,
    formats: Iterable[str],
    manifest_file: bool,
    language: str | None = None,
    jobs: int = 1,
) -> list[Path]:
    """Write the evaluation's files (and manifest) into a folder that replaces ``out_dir``."""
    chosen = check_formats(formats)
    folder = Path(out_dir)
    new = [HTML_NAME] if "html" in chosen else []
    new += [XLSX_NAME] if "xlsx" in chosen else []
    new += [f"{name}.csv" for name in evaluation.frames()] if "csv" in chosen else []
    new += [JSON_NAME] if "json" in chosen else []
    new += [MANIFEST_NAME] if manifest_file else []
    check_output_folder(folder, names=[*new, *_previous_files(folder)])
    with replacing_folder(folder) as temporary:
        seconds = _write_formats(evaluation, chosen, temporary, language=language, jobs=jobs)
        if manifest_file:
            text = _json_text(manifest(evaluation, new, seconds), indent=2)  # read by people too
            (temporary / MANIFEST_NAME).write_text(text, encoding="utf-8")
    return [folder / name for name in new]


def _write_formats(
    evaluation: Evaluation,
    chosen: Sequence[str],
    folder: Path,
    *,
    language: str | None,
    jobs: int,
) -> dict[str, float]:
    """Write each chosen format into ``folder``; the seconds each took.

    With ``jobs`` > 1 the slowest formats are written by forked processes
    (``jobs - 1`` of them) while this one writes the others.
    """

    def timed(name: str) -> float:
        started = perf_counter()
        _write_format(evaluation, name, folder, language=language)
        return perf_counter() - started

    apart = [name for name in SLOWEST_FIRST if name in chosen][: jobs - 1] if can_fork() else []
    if len(apart) == len(chosen):
        apart.pop()  # this process writes one at least
    children = {name: Forked(partial(timed, name)) for name in apart}
    try:
        seconds = {name: timed(name) for name in chosen if name not in children}
        seconds |= {name: child.result() for name, child in children.items()}
    finally:
        for child in children.values():
            child.cancel()
    return {name: seconds[name] for name in chosen}


def _write_format(evaluation: Evaluation, name: str, folder: Path, *, language: str | None) -> None:
    """Write the files of one format into ``folder``."""
    if name == "html":
        from ._html import write_html  # Jinja2 and the templates load only when asked for

        write_html(evaluation, folder / HTML_NAME, language=language)
    elif name == "xlsx":
        from ._excel import write_excel  # XlsxWriter too

        write_excel(evaluation, folder / XLSX_NAME, language=language)
    elif name == "csv":
        write_csv_files(evaluation, folder)
    else:
        text = _json_text(evaluation_document(evaluation))
        (folder / JSON_NAME).write_text(text, encoding="utf-8")


def check_formats(
    formats: Iterable[str], *, option: str = "format", example: str = "formats=('csv', 'json')"
) -> tuple[str, ...]:
    """The formats asked for, once each; :class:`ConfigError` for an unknown or no format.

    ``option`` and ``example`` word the message for where the formats were
    given (the command line says ``--format``).
    """
    chosen = (formats,) if isinstance(formats, str) else tuple(dict.fromkeys(formats))
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        found = f"unknown {option} {unknown[0]!r}" if unknown else f"no {option}"
        raise ConfigError(
            f"{found}; the formats known are {', '.join(FORMATS)}: give some of them, "
            f"e.g. {example}"
        )
    return chosen


def _previous_files(folder: Path) -> list[str]:
    """The files an earlier write listed in the folder's manifest (they may be replaced)."""
    try:
        files = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    return [str(name) for name in files] if isinstance(files, list) else []


def write_manager(
    evaluation: Evaluation,
    manager_id: str,
    out_dir: str | Path,
    *,
    formats: Iterable[str],
    language: str | None = None,
) -> list[Path]:
    """Write one manager's view into a folder that replaces ``out_dir``, atomically.

    ``card.html`` (the manager's card of the HTML report), ``manager.xlsx``
    (a sheet of the manager's rows per frame), one CSV per per-manager frame
    and ``manager.json``, as ``formats`` asks. The frames are
    :meth:`Evaluation.manager`'s.
    """
    chosen = check_formats(formats)
    frames = evaluation.manager(manager_id)  # an unknown manager fails before any writing
    folder = Path(out_dir)
    names = [name for fmt, name in MANAGER_FILES.items() if fmt in chosen and fmt != "csv"]
    names += [f"{name}.csv" for name in frames] if "csv" in chosen else []
    check_output_folder(folder, names=names)
    with replacing_folder(folder) as temporary:
        if "html" in chosen:
            from ._html import write_html

            write_html(
                evaluation,
                temporary / MANAGER_FILES["html"],
                language=language,
                managers=[manager_id],
            )
        if "xlsx" in chosen:
            from ._excel import write_manager_excel

            write_manager_excel(
                evaluation, manager_id, temporary / MANAGER_FILES["xlsx"], language=language
            )
        if "csv" in chosen:
            for name, frame in frames.items():
                _write_frame(frame, temporary / f"{name}.csv")
        if "json" in chosen:
            document = {
                "manager_id": manager_id,
                "period": str(evaluation.period),
                "as_of": _iso_day(evaluation.as_of),
                "frames": {name: frame_document(frame) for name, frame in frames.items()},
            }
            (temporary / MANAGER_FILES["json"]).write_text(_json_text(document), encoding="utf-8")
    return [folder / name for name in names]


#: The files of a manager's view, by format (``csv`` writes one file per frame).
MANAGER_FILES: Final = {"html": "card.html", "xlsx": "manager.xlsx", "json": "manager.json"}
