"""Reading configuration files: TOML from a path or from the package, failures as ConfigError."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from am_analytics.config import read_packaged_toml, read_toml
from am_analytics.errors import AmAnalyticsError, ConfigError

CARD = """\
# a comment
[scorecard]
weighting = "fixed"
name = "华东一组"

[[criteria]]
name = "revenue"
weight = 0.6

[[criteria]]
name = "retention"
weight = 0.4
"""


def test_read_toml_returns_the_plain_data(tmp_path: Path) -> None:
    """Tables become dicts, arrays of tables lists, Chinese text survives (UTF-8)."""
    path = tmp_path / "card.toml"
    path.write_text(CARD, encoding="utf-8")
    assert read_toml(path, what="scorecard") == {
        "scorecard": {"weighting": "fixed", "name": "华东一组"},
        "criteria": [{"name": "revenue", "weight": 0.6}, {"name": "retention", "weight": 0.4}],
    }


def test_read_toml_accepts_a_string_path(tmp_path: Path) -> None:
    """A path given as text reads the same as a Path."""
    path = tmp_path / "card.toml"
    path.write_text(CARD, encoding="utf-8")
    assert read_toml(str(path), what="scorecard") == read_toml(path, what="scorecard")


def test_read_toml_of_an_empty_file_is_an_empty_dict(tmp_path: Path) -> None:
    """An empty file is valid TOML with nothing in it."""
    path = tmp_path / "empty.toml"
    path.write_text("", encoding="utf-8")
    assert read_toml(path, what="scorecard") == {}


def test_a_missing_file_names_what_and_where(tmp_path: Path) -> None:
    """A file that is not there: the message says what it holds, its path and the OS reason."""
    path = tmp_path / "nope.toml"
    message = f"cannot read the segment rules {path}: No such file or directory"
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}$") as info:
        read_toml(path, what="segment rules")
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_a_folder_is_not_a_file(tmp_path: Path) -> None:
    """A folder given as the file: ConfigError, not IsADirectoryError."""
    message = f"cannot read the scorecard {tmp_path}: Is a directory"
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}$"):
        read_toml(tmp_path, what="scorecard")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[scorecard]\nweighting = \n", "Invalid value (at line 2, column 13)"),
        ("a = 1\na = 2\n", "Cannot overwrite a value (at line 2, column 6)"),
        ("[scorecard\n", "Expected ']' at the end of a table declaration (at line 1, column 11)"),
    ],
)
def test_bad_toml_names_the_file_and_the_line(tmp_path: Path, text: str, problem: str) -> None:
    """Broken TOML: the message gives the file and the parser's reason with line and column."""
    path = tmp_path / "card.toml"
    path.write_text(text, encoding="utf-8")
    message = f"{path} is not valid TOML: {problem}"
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}$") as info:
        read_toml(path, what="scorecard")
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_a_gbk_file_is_a_config_error(tmp_path: Path) -> None:
    """TOML is UTF-8: a GBK file is a ConfigError naming the file, not a UnicodeDecodeError."""
    path = tmp_path / "card.toml"
    path.write_bytes('name = "客户经理"\n'.encode("gbk"))
    with pytest.raises(ConfigError, match=f"^{re.escape(str(path))} is not valid TOML: 'utf-8'"):
        read_toml(path, what="scorecard")


def test_config_errors_are_caught_as_am_analytics_errors(tmp_path: Path) -> None:
    """One ``except AmAnalyticsError`` catches a configuration failure."""
    with pytest.raises(AmAnalyticsError):
        read_toml(tmp_path / "nope.toml", what="scorecard")


@pytest.mark.parametrize(
    ("package", "name", "table", "key", "expected"),
    [
        ("am_analytics.scoring", "default_scorecard.toml", "scorecard", "weighting", "fixed"),
        ("am_analytics.io", "zoho_mapping.toml", "options", "exchange_rate", "divide"),
        ("am_analytics.io", "zoho_mapping.toml", "options", "won_stages", ["Closed Won"]),
    ],
)
def test_read_packaged_toml_reads_the_shipped_defaults(
    package: str, name: str, table: str, key: str, expected: object
) -> None:
    """The defaults shipped in the package read as plain data, with their documented values."""
    assert read_packaged_toml(package, name)[table][key] == expected


def test_packaged_scorecard_equals_reading_its_file() -> None:
    """Reading from the package gives what reading the same file by path gives."""
    import am_analytics.scoring

    assert am_analytics.scoring.__file__ is not None
    path = Path(am_analytics.scoring.__file__).parent / "default_scorecard.toml"
    packaged = read_packaged_toml("am_analytics.scoring", "default_scorecard.toml")
    assert packaged == read_toml(path, what="scorecard")
    assert packaged["criteria"], "the default scorecard has criteria"
