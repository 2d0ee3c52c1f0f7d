"""Text cells that a spreadsheet would run as a formula, neutralised and restored.

A CSV or Excel cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or
a carriage return is run as a formula when the file is opened in a spreadsheet
(CSV injection, OWASP). Writers prefix such text cells with an apostrophe, which
spreadsheets read as "this is text" and do not show; numbers (negative amounts)
are left as numbers. Readers take the apostrophe off again, so a round trip
loses nothing. Text that already starts with apostrophes before such a
character gets one more, so text written as ``'=x`` by a user comes back as
``'=x`` too.
"""

from __future__ import annotations

from typing import Final

import pandas as pd

#: A text cell a spreadsheet would run: optional apostrophes, then a formula start.
FORMULA_START: Final = r"^'*[=+\-@\t\r]"

#: A text cell a writer neutralised: one apostrophe more than the text had.
NEUTRALISED: Final = r"^'+[=+\-@\t\r]"


def neutralise_formulas(values: pd.Series) -> pd.Series:
    """Text cells that would start a formula, prefixed with ``'``; others unchanged.

    Only text (object or string dtype) is touched: numbers stay numbers.

    Examples
    --------
    >>> import pandas as pd
    >>> neutralise_formulas(pd.Series(["=1+1", "-5", "ok", None, "'@x"])).tolist()
    ["'=1+1", "'-5", 'ok', nan, "''@x"]
    """
    if not _is_text(values):
        return values
    risky = values.str.contains(FORMULA_START, regex=True, na=False)
    if not risky.any():
        return values
    return values.mask(risky, "'" + values.astype("str"))


def restore_formulas(values: pd.Series) -> pd.Series:
    """The text a writer neutralised with :func:`neutralise_formulas`, as it was.

    Examples
    --------
    >>> import pandas as pd
    >>> restore_formulas(pd.Series(["'=1+1", "'-5", "ok", None, "''@x", "'plain"])).tolist()
    ['=1+1', '-5', 'ok', nan, "'@x", "'plain"]
    """
    if not _is_text(values):
        return values
    # every text and id column is read through here: a prefix test (a tenth of the
    # regular expression's cost on Arrow strings) finds the usual answer, none
    quoted = values.str.startswith("'", na=False)
    if not quoted.any():
        return values
    neutralised = quoted & values.str.contains(NEUTRALISED, regex=True, na=False)
    return values.mask(neutralised, values.str.slice(1))


def _is_text(values: pd.Series) -> bool:
    """Whether a column holds text (strings, or objects that may be strings)."""
    return isinstance(values.dtype, pd.StringDtype) or values.dtype == object
