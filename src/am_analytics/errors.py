"""The exceptions am_analytics raises for bad input or bad configuration.

Every error a user can cause derives from :class:`AmAnalyticsError`, so one
``except AmAnalyticsError`` catches them all::

    AmAnalyticsError
    ├── DataValidationError      rows or columns break the rules of a table
    │   └── InputFileError       a file cannot be read at all (encoding, format, empty)
    ├── MissingTableError        a table that the work needs is absent
    ├── EmptyPeriodError         the period asked for holds no activity to evaluate
    ├── ConfigError              a configuration value or file is invalid
    ├── OutputPathError          a file or folder cannot be written where asked
    └── CrmError                 a CRM refused a request or answered with an error code
        └── CrmFormatError       a CRM export or API answer is not in the documented form

and two warnings: :class:`MissingTableWarning`, when work that was not asked
for by name is skipped because its table is absent, and
:class:`NonFiniteValueWarning`, when a sum overflows (or a value is otherwise
not finite) and what it feeds is left out for those rows.

Messages say what was expected, what was found, where (file, row, column) and
what to do. The context is also kept as attributes, so programs need not parse
the message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "AmAnalyticsError",
    "ConfigError",
    "CrmError",
    "CrmFormatError",
    "DataValidationError",
    "EmptyPeriodError",
    "InputFileError",
    "MissingTableError",
    "MissingTableWarning",
    "NonFiniteValueWarning",
    "OutputPathError",
]


class AmAnalyticsError(Exception):
    """Base class of every error am_analytics raises for bad input or configuration.

    Errors pickle with their context attributes, so one raised in another
    process (a parallel evaluation, a Dask worker) arrives whole.

    Examples
    --------
    >>> import pickle
    >>> error = MissingTableError("no goals table", tables=["goals"])
    >>> pickle.loads(pickle.dumps(error)).tables
    ['goals']
    """

    def __reduce__(self) -> tuple[object, ...]:
        # Exception pickles as cls(*args), which the keyword-only context of
        # the subclasses breaks: rebuild from args and attributes instead.
        return (_rebuild_error, (type(self), self.args, self.__dict__))


def _rebuild_error(
    kind: type[AmAnalyticsError], args: tuple[object, ...], attributes: dict[str, object]
) -> AmAnalyticsError:
    """An error of ``kind`` with ``args`` and ``attributes``, its ``__init__`` not run."""
    error = kind.__new__(kind)
    error.args = args
    error.__dict__.update(attributes)
    return error


class DataValidationError(AmAnalyticsError):
    """Data breaks the rules of a canonical table.

    Parameters
    ----------
    message
        What is wrong, where, and what to do.
    rejects
        The failing rows in the ``rejects`` layout (table, source, row, column,
        check, value, reason), when there are row-level failures.
    missing
        For missing columns: ``{table: [column, ...]}``.
    """

    def __init__(
        self,
        message: str,
        *,
        rejects: pd.DataFrame | None = None,
        missing: dict[str, list[str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.rejects = rejects
        self.missing = missing or {}


class InputFileError(DataValidationError):
    """A file cannot be read: unknown encoding, not a table, empty, corrupt.

    Parameters
    ----------
    message
        What is wrong and what to do.
    source
        The file that could not be read.
    """

    def __init__(self, message: str, *, source: str) -> None:
        super().__init__(message)
        self.source = source


class MissingTableError(AmAnalyticsError):
    """A table the work needs is absent.

    Parameters
    ----------
    message
        Which tables are missing and where they were looked for.
    tables
        The names of the missing tables.
    """

    def __init__(self, message: str, *, tables: list[str]) -> None:
        super().__init__(message)
        self.tables = tables


class ConfigError(AmAnalyticsError):
    """A configuration value or file is invalid."""


class EmptyPeriodError(AmAnalyticsError):
    """The period asked for holds no activity (no sale) to evaluate.

    Parameters
    ----------
    message
        The period, the dates the data covers, and what to do.
    period
        The period asked for (``"2019Q1"``).
    first_date, last_date
        The first and last sale dates of the data (``None`` when it has no sales).
    """

    def __init__(
        self,
        message: str,
        *,
        period: str,
        first_date: pd.Timestamp | None,
        last_date: pd.Timestamp | None,
    ) -> None:
        super().__init__(message)
        self.period = period
        self.first_date = first_date
        self.last_date = last_date


class OutputPathError(AmAnalyticsError):
    """A file or folder cannot be written where asked.

    The path is a folder where a file was asked for (or the reverse), cannot be
    created or written, is one of the inputs, or is a folder holding files that
    writing would remove.

    Parameters
    ----------
    message
        What is wrong with the path and what to do.
    path
        The path that cannot be written.
    """

    def __init__(self, message: str, *, path: str) -> None:
        super().__init__(message)
        self.path = path


class CrmError(AmAnalyticsError):
    """A CRM refused a request (authentication, permissions, limits) or answered with an error.

    Parameters
    ----------
    message
        What the CRM said, about which request, and what to do.
    crm
        ``"zoho"`` or ``"fxiaoke"``.
    code
        The vendor's error code (``INVALID_TOKEN``, ``20016``, ...) or the HTTP status.
    vendor_message
        The vendor's own message, unchanged.
    status
        The HTTP status of the answer, if there was one.
    """

    def __init__(
        self,
        message: str,
        *,
        crm: str,
        code: str | None = None,
        vendor_message: str | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.crm = crm
        self.code = code
        self.vendor_message = vendor_message
        self.status = status


class CrmFormatError(CrmError):
    """A CRM export or API answer is not in the documented form."""

    def __init__(self, message: str, *, crm: str, source: str | None = None) -> None:
        super().__init__(message, crm=crm)
        self.source = source


class MissingTableWarning(UserWarning):
    """Optional work was skipped because the dataset lacks a table it needs."""


class NonFiniteValueWarning(UserWarning):
    """A value came out infinite or undefined where data exists (an overflowing sum).

    What it feeds is left out for those rows and named in the result: a
    criterion of a manager's score, a client's segment.
    """
