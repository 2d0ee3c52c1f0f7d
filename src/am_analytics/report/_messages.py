"""The report's words: one message catalogue per language (``messages/zh.toml``, ``en.toml``).

Templates and writers hold no literal prose: every heading, label, sentence
and sheet name is a key of the catalogue, looked up as ``words("section.scores")``
or, with values, ``words("text.managers_scored", count=38)`` (``str.format``
fields). Both catalogues hold the same keys (a test checks it), so a report is
complete in either language.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Final

from ..errors import AmAnalyticsError, ConfigError

#: The languages a report can be written in; the first is the default.
LANGUAGES: Final = ("zh", "en")

#: Labels of columns named by data: ``(pattern, catalogue key)``; the pattern's
#: named group fills the key's field (``column_pattern.clients_segment =
#: "客户数：{segment}"``). Exact ``column.<name>`` entries are looked up first.
COLUMN_PATTERNS: Final = (
    (re.compile(r"(?P<criterion>.+)_value"), "criterion_value"),
    (re.compile(r"(?P<criterion>.+)_norm"), "criterion_norm"),
    (re.compile(r"(?P<criterion>.+)_contribution"), "criterion_contribution"),
    (re.compile(r"clients_tier_(?P<tier>.+)"), "clients_tier"),
    (re.compile(r"revenue_tier_(?P<tier>.+)"), "revenue_tier"),
    (re.compile(r"clients_value_(?P<tier>.+)"), "clients_value_tier"),
    (re.compile(r"revenue_value_(?P<tier>.+)"), "revenue_value_tier"),
    (re.compile(r"clients_(?P<segment>.+)"), "clients_segment"),
    (re.compile(r"revenue_(?P<segment>.+)"), "revenue_segment"),
    (re.compile(r"grade_(?P<grade>.+)"), "grade_count"),
)


@dataclass(frozen=True, slots=True)
class Messages:
    """A language's catalogue: ``words(key, **values)`` is the text of ``key``.

    Attributes
    ----------
    language
        ``"zh"`` or ``"en"``.
    entries
        Every message by its dotted key (``"section.scores"``).

    Examples
    --------
    >>> words = messages("en")
    >>> words("section.scores")
    'Scores'
    >>> messages("zh")("section.scores")
    '综合评分'
    """

    language: str
    entries: Mapping[str, str]

    def __call__(self, key: str, /, **values: object) -> str:
        """The message of ``key``, its ``{fields}`` filled from ``values``."""
        try:
            text = self.entries[key]
        except KeyError:
            raise AmAnalyticsError(
                f"the {self.language} message catalogue has no key {key!r}; add it to "
                f"messages/{self.language}.toml (and to every other language)"
            ) from None
        return text.format(**values) if values else text

    def get(self, key: str, default: str) -> str:
        """The message of ``key``, or ``default`` when the catalogue has none."""
        return self.entries.get(key, default)

    def group(self, prefix: str) -> dict[str, str]:
        """The messages under ``prefix.`` by their last part: ``group("grade")["A"]``."""
        start = f"{prefix}."
        return {k.removeprefix(start): v for k, v in self.entries.items() if k.startswith(start)}


@cache
def messages(language: str = LANGUAGES[0]) -> Messages:
    """The message catalogue of ``language`` (``"zh"`` or ``"en"``).

    Raises
    ------
    ConfigError
        For a language without a catalogue; the message names those there are.
    """
    if language not in LANGUAGES:
        raise ConfigError(
            f"report language must be one of {', '.join(LANGUAGES)}, not {language!r}"
        )
    text = (
        resources.files(__package__)
        .joinpath("messages", f"{language}.toml")
        .read_text(encoding="utf-8")
    )
    return Messages(language, dict(_flatten(tomllib.loads(text))))


def _flatten(table: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    """Every ``(dotted key, text)`` of a nested TOML table."""
    for key, value in table.items():
        if isinstance(value, Mapping):
            yield from _flatten(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", str(value)


def column_label(name: str, words: Messages) -> str:
    """The header of a column: ``column.<name>``, a ``column_pattern``, or the name itself.

    Examples
    --------
    >>> from am_analytics.report import messages
    >>> words = messages("zh")
    >>> column_label("score", words), column_label("clients_Champions", words)
    ('综合得分', '客户数：冠军客户')
    >>> column_label("no_such_column", words)
    'no_such_column'
    """
    label = words.get(f"column.{name}", "")
    if label:
        return label
    for pattern, key in COLUMN_PATTERNS:
        match = pattern.fullmatch(name)
        if match is None or f"column_pattern.{key}" not in words.entries:
            continue
        fields = {
            field: words.get(f"column.{value}", words.get(f"value.{value}", value))
            for field, value in match.groupdict().items()
        }
        return words(f"column_pattern.{key}", **fields)
    return name
