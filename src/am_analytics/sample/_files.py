"""Writing sample frames to files, and finding and loading the committed sample."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Final

import pandas as pd

from ..errors import InputFileError

if TYPE_CHECKING:
    from .._validation import OnOrphans
    from ..dataset import Dataset
    from ..periods import DateLike
    from ..schemas import ValidationRules

#: The as-of date of the committed sample (``generate()``'s default ``end``).
SAMPLE_AS_OF: Final = "2026-11-15"


def sample_dir() -> Path:
    """The folder holding the committed sample dataset, ``generate(seed=0)`` as CSV.

    It is ``data/sample`` of the source tree, installed inside the package.

    Examples
    --------
    >>> sorted(p.name for p in sample_dir().glob("*.csv"))[:3]
    ['clients.csv', 'feedback.csv', 'goals.csv']
    """
    # This file is am_analytics/sample/_files.py: parents[1] is the am_analytics
    # package folder and, in a source checkout (src layout), parents[3] the repository.
    here = Path(__file__).resolve()
    package, repository = here.parents[1], here.parents[3]
    for folder in (package / "_sample_data", repository / "data" / "sample"):
        if (folder / "sales.csv").is_file():
            return folder
    raise InputFileError(
        "the sample data is not installed with this copy of am_analytics; "
        "write one with `am-analytics sample --out DIR` and load that folder",
        source="data/sample",
    )


def load_sample(
    *,
    as_of: DateLike = SAMPLE_AS_OF,
    on_orphans: OnOrphans = "reject",
    rules: ValidationRules | None = None,
) -> Dataset:
    """Load the committed sample organisation (40 managers, 2,000 clients, 2024-01 to 2026-11).

    Parameters
    ----------
    as_of
        The date the data describes (default ``"2026-11-15"``, the day the
        sample ends), as for :func:`am_analytics.load`.
    on_orphans
        ``"reject"`` rows that refer to an unknown client or manager (the
        default), or ``"keep"`` them.
    rules
        Organisation-specific validation rules (:class:`~am_analytics.ValidationRules`).

    Examples
    --------
    >>> data = load_sample()
    >>> len(data.managers), len(data.clients), data.as_of.date()
    (40, 2000, datetime.date(2026, 11, 15))
    """
    from ..dataset import load

    return load(sample_dir(), as_of=as_of, on_orphans=on_orphans, rules=rules)


def write_sample(
    frames: dict[str, pd.DataFrame], out_dir: str | Path, *, format: str = "csv"
) -> list[Path]:
    """Write one file per table into ``out_dir``.

    The folder is written whole beside ``out_dir`` and then takes its place
    (see :func:`am_analytics.save`): an interrupted write leaves a previous
    folder as it was, and an existing folder may hold only table files.

    Parameters
    ----------
    frames
        Tables by name, as returned by :func:`~am_analytics.sample.generate`.
    out_dir
        The folder; created when missing.
    format
        ``"csv"`` (UTF-8, no index; dates ``YYYY-MM-DD``, datetimes with a time
        of day ``YYYY-MM-DD HH:MM:SS``, floats written so they read back
        identical) or ``"parquet"``.

    Returns
    -------
    list of pathlib.Path
        The files written, in table order.

    Raises
    ------
    ConfigError
        If ``format`` is not ``"csv"`` or ``"parquet"``.
    OutputPathError
        If ``out_dir`` is a file, cannot be written, or holds files that are not tables.

    Examples
    --------
    >>> import tempfile
    >>> from am_analytics.sample import generate
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     paths = write_sample(generate(n_managers=5, n_clients=50), folder)
    ...     [path.name for path in paths][:3]
    ['managers.csv', 'clients.csv', 'sales.csv']
    """
    from ..io._writing import write_tables

    return write_tables(frames, out_dir, format=format)
