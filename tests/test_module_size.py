"""Validation and file reading stay in modules by concept, each small enough to read.

The public faces keep every name users import from them, and re-export what
lives in the modules split out of them, as the very same objects.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import am_analytics

SOURCE = Path(am_analytics.__file__).parent

#: The modules of validation and of reading files, cells and the Zoho API.
MODULES = [
    "_validation.py",
    "_column_reading.py",
    "_keys.py",
    "_rejects.py",
    "_schema_failures.py",
    "io/files.py",
    "io/_csv.py",
    "io/_encodings.py",
    "io/parsing.py",
    "io/_cells.py",
    "io/_dates.py",
    "io/_zoho_api.py",
    "io/_zoho_api_records.py",
]
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80

#: Public face -> (name, the module that now defines it).
RE_EXPORTS = {
    "am_analytics._validation": [
        ("OnOrphans", "am_analytics._keys"),
        ("empty_rejects", "am_analytics._rejects"),
        ("reject_causes", "am_analytics._rejects"),
        ("row_roots", "am_analytics._rejects"),
        ("REJECT_COLUMNS", "am_analytics._rejects"),
    ],
    "am_analytics.io.files": [
        ("detect_encoding", "am_analytics.io._encodings"),
        ("NULL_VALUES", "am_analytics.io._csv"),
    ],
    "am_analytics.io.parsing": [
        ("parse_date", "am_analytics.io._dates"),
        ("ParsedColumn", "am_analytics.io._cells"),
    ],
}


@pytest.mark.parametrize("module", MODULES)
def test_modules_and_their_functions_are_short(module: str) -> None:
    """Each module is under 600 lines and each of its functions under 80."""
    text = (SOURCE / module).read_text(encoding="utf-8")
    assert len(text.splitlines()) <= MAX_MODULE_LINES
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and (node.end_lineno or node.lineno) - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert long == []


@pytest.mark.parametrize("face", sorted(RE_EXPORTS))
def test_public_faces_re_export_what_moved(face: str) -> None:
    """A name that moved out of a module users import from is still there, the same object."""
    public = importlib.import_module(face)
    for name, home in RE_EXPORTS[face]:
        assert getattr(public, name) is getattr(importlib.import_module(home), name)


@pytest.mark.parametrize(
    ("face", "names"),
    [
        (
            "am_analytics.io.files",
            ["RawTable", "Source", "find_sources", "read_source", "read_text_table"],
        ),
        (
            "am_analytics.io.parsing",
            ["parse_bool", "parse_enum", "parse_integer", "parse_number", "parse_text"],
        ),
        ("am_analytics.io.zoho", ["ZohoCRM", "read_export", "mapping_report"]),
        ("am_analytics._validation", ["TableReport", "check_columns", "validate_tables"]),
    ],
)
def test_public_names_stay_where_users_import_them(face: str, names: list[str]) -> None:
    """The names of each public face are importable from it, and listed in its ``__all__``
    where it has one."""
    module = importlib.import_module(face)
    exported = getattr(module, "__all__", names)
    assert [n for n in names if not hasattr(module, n)] == []
    assert [n for n in names if n not in exported] == []
