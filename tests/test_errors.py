"""The exceptions and warnings of am_analytics: their tree, the context they carry, their text."""

from __future__ import annotations

import inspect
import re
import warnings

import pandas as pd
import pytest

from am_analytics import errors
from am_analytics.errors import (
    AmAnalyticsError,
    ConfigError,
    CrmError,
    CrmFormatError,
    DataValidationError,
    EmptyPeriodError,
    InputFileError,
    MissingTableError,
    MissingTableWarning,
    NonFiniteValueWarning,
    OutputPathError,
)

#: A line of the tree drawn in the module docstring: the drawing, a class name, its gloss.
TREE_LINE = re.compile(r"^(?P<indent>[ │├└─]*)(?P<name>[A-Z]\w+)\s{2,}\S")


def drawn_tree() -> dict[str, str]:
    """``{class: parent}`` as drawn in the errors module's docstring (the root maps to '')."""
    doc = inspect.getdoc(errors)
    assert doc is not None
    start = doc.index("    AmAnalyticsError\n")
    parents: dict[str, str] = {"AmAnalyticsError": ""}
    stack = [(0, "AmAnalyticsError")]  # (depth, name) of the open branches
    for line in doc[start:].splitlines()[1:]:
        match = TREE_LINE.match(line.removeprefix("    "))
        if match is None:
            break
        depth = len(match["indent"]) // 4
        while stack[-1][0] >= depth:
            stack.pop()
        parents[match["name"]] = stack[-1][1]
        stack.append((depth, match["name"]))
    return parents


def module_classes(base: type) -> dict[str, type]:
    """The classes defined in the errors module that derive from ``base``."""
    return {
        name: cls
        for name, cls in inspect.getmembers(errors, inspect.isclass)
        if cls.__module__ == errors.__name__ and issubclass(cls, base)
    }


def test_the_drawn_tree_is_read_in_full() -> None:
    """The docstring's tree has the nine errors, each under the parent it is drawn under."""
    assert drawn_tree() == {
        "AmAnalyticsError": "",
        "DataValidationError": "AmAnalyticsError",
        "InputFileError": "DataValidationError",
        "MissingTableError": "AmAnalyticsError",
        "EmptyPeriodError": "AmAnalyticsError",
        "ConfigError": "AmAnalyticsError",
        "OutputPathError": "AmAnalyticsError",
        "CrmError": "AmAnalyticsError",
        "CrmFormatError": "CrmError",
    }


def test_the_drawn_tree_matches_the_classes() -> None:
    """Every error class of the module is in the drawing, and its one base is the drawn parent."""
    classes = module_classes(AmAnalyticsError)
    tree = drawn_tree()
    assert set(tree) == set(classes)
    for name, parent in tree.items():
        expected = Exception if not parent else classes[parent]
        assert classes[name].__bases__ == (expected,), name


def test_warnings_are_user_warnings_named_in_the_docstring() -> None:
    """The two warnings are UserWarnings, not errors, and the docstring names both."""
    warning_classes = module_classes(Warning)
    assert set(warning_classes) == {"MissingTableWarning", "NonFiniteValueWarning"}
    doc = inspect.getdoc(errors) or ""
    for name, cls in warning_classes.items():
        assert cls.__bases__ == (UserWarning,)
        assert not issubclass(cls, AmAnalyticsError)
        assert f":class:`{name}`" in doc


def test_all_lists_every_class_of_the_module() -> None:
    """``__all__`` holds exactly the errors and warnings defined here."""
    defined = module_classes(AmAnalyticsError) | module_classes(Warning)
    assert sorted(errors.__all__) == sorted(defined)
    assert errors.__all__ == sorted(errors.__all__)


def test_every_error_is_caught_by_the_base() -> None:
    """One ``except AmAnalyticsError`` catches every error of the module, and no warning."""
    raised: list[AmAnalyticsError] = [
        DataValidationError("d"),
        InputFileError("i", source="a.csv"),
        MissingTableError("m", tables=["sales"]),
        EmptyPeriodError("e", period="2019Q1", first_date=None, last_date=None),
        ConfigError("c"),
        OutputPathError("o", path="out"),
        CrmError("z", crm="zoho"),
        CrmFormatError("f", crm="fxiaoke"),
    ]
    assert {type(error).__name__ for error in raised} == set(module_classes(AmAnalyticsError)) - {
        "AmAnalyticsError"
    }
    for error in raised:
        with pytest.raises(AmAnalyticsError):
            raise error


def test_data_validation_error_carries_rejects_and_missing() -> None:
    """The rejects frame and the missing columns are kept as given; defaults are None and {}."""
    rejects = pd.DataFrame({"table": ["sales"], "row": [4], "reason": ["bad amount"]})
    error = DataValidationError(
        "sales.csv row 4: bad amount", rejects=rejects, missing={"sales": ["amount"]}
    )
    assert str(error) == "sales.csv row 4: bad amount"
    assert error.rejects is rejects
    assert error.missing == {"sales": ["amount"]}
    bare = DataValidationError("no rows")
    assert bare.rejects is None and bare.missing == {}


def test_input_file_error_carries_the_source() -> None:
    """An unreadable file: the source is kept; it is a DataValidationError with nothing missing."""
    error = InputFileError("sales.csv is empty; export it again", source="sales.csv")
    assert str(error) == "sales.csv is empty; export it again"
    assert error.source == "sales.csv"
    assert isinstance(error, DataValidationError)
    assert error.rejects is None and error.missing == {}


def test_missing_table_error_carries_the_tables() -> None:
    """The names of the missing tables are kept as a list."""
    error = MissingTableError(
        "required tables missing: sales, clients", tables=["sales", "clients"]
    )
    assert str(error) == "required tables missing: sales, clients"
    assert error.tables == ["sales", "clients"]


def test_empty_period_error_carries_the_period_and_the_dates() -> None:
    """The period asked for and the first and last sale dates are kept."""
    first, last = pd.Timestamp("2024-01-02"), pd.Timestamp("2026-11-15")
    error = EmptyPeriodError(
        "no sales in 2019Q1; the data covers 2024-01-02 to 2026-11-15",
        period="2019Q1",
        first_date=first,
        last_date=last,
    )
    assert str(error) == "no sales in 2019Q1; the data covers 2024-01-02 to 2026-11-15"
    assert (error.period, error.first_date, error.last_date) == ("2019Q1", first, last)
    none = EmptyPeriodError("no sales at all", period="2026Q3", first_date=None, last_date=None)
    assert none.first_date is None and none.last_date is None


def test_output_path_error_carries_the_path() -> None:
    """The path that cannot be written is kept."""
    error = OutputPathError("out is a folder; give a file name", path="out")
    assert str(error) == "out is a folder; give a file name"
    assert error.path == "out"


def test_config_error_is_its_message() -> None:
    """A ConfigError carries only its message."""
    error = ConfigError("unknown method 'median'; choose 'mean'")
    assert str(error) == "unknown method 'median'; choose 'mean'"
    assert error.args == ("unknown method 'median'; choose 'mean'",)


def test_crm_error_carries_the_vendor_answer() -> None:
    """CRM, vendor code, vendor message and HTTP status are kept; optional ones default to None."""
    error = CrmError(
        "Zoho refused the token; create a new one",
        crm="zoho",
        code="INVALID_TOKEN",
        vendor_message="invalid oauth token",
        status=401,
    )
    assert str(error) == "Zoho refused the token; create a new one"
    assert (error.crm, error.code, error.vendor_message, error.status) == (
        "zoho",
        "INVALID_TOKEN",
        "invalid oauth token",
        401,
    )
    bare = CrmError("refused", crm="fxiaoke")
    assert (bare.code, bare.vendor_message, bare.status) == (None, None, None)


def test_crm_format_error_carries_the_source() -> None:
    """A malformed export names its file; the vendor fields stay None."""
    error = CrmFormatError("Deals.csv lacks the Deal Name column", crm="zoho", source="Deals.csv")
    assert str(error) == "Deals.csv lacks the Deal Name column"
    assert (error.crm, error.source) == ("zoho", "Deals.csv")
    assert (error.code, error.vendor_message, error.status) == (None, None, None)
    assert CrmFormatError("bad answer", crm="fxiaoke").source is None


@pytest.mark.parametrize(
    ("cls", "kwargs"),
    [
        (InputFileError, {}),
        (MissingTableError, {}),
        (EmptyPeriodError, {"period": "2019Q1"}),
        (OutputPathError, {}),
        (CrmError, {}),
    ],
)
def test_context_is_keyword_only_and_required(cls: type, kwargs: dict[str, object]) -> None:
    """The context cannot be left out nor given by position, so a message cannot drift into it."""
    with pytest.raises(TypeError):
        cls("message", **kwargs)
    with pytest.raises(TypeError):
        cls("message", "context")


@pytest.mark.parametrize("cls", [MissingTableWarning, NonFiniteValueWarning])
def test_warnings_can_be_issued_and_filtered(cls: type[Warning]) -> None:
    """The warnings are issued with their message and can be caught by class."""
    with pytest.warns(cls, match="^skipped the survey score: no surveys table$"):
        warnings.warn("skipped the survey score: no surveys table", cls, stacklevel=1)
