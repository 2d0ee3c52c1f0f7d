"""The message catalogues: every language holds the same keys with the same fields."""

from __future__ import annotations

import re
import string

import pytest

from am_analytics import ConfigError
from am_analytics.report import messages
from am_analytics.report._messages import LANGUAGES


def _fields(text: str) -> set[str]:
    """The values a message fills: ``{count}`` fills count, ``{d.year}`` and ``{d:%b}`` fill d."""
    fields = (field for _, field, _, _ in string.Formatter().parse(text) if field)
    return {re.split(r"[.\[]", field)[0] for field in fields}


def test_catalogues_hold_the_same_keys() -> None:
    """zh.toml and en.toml define exactly the same keys."""
    zh, en = (messages(language).entries for language in LANGUAGES)
    assert sorted(set(zh) ^ set(en)) == []


def test_messages_fill_the_same_fields_in_every_language() -> None:
    """A key's ``{fields}`` are the same in each language, so a caller fills all of them."""
    zh, en = (messages(language).entries for language in LANGUAGES)
    differing = [key for key in zh if key in en and _fields(zh[key]) != _fields(en[key])]
    assert differing == []


def test_a_missing_key_and_an_unknown_language_say_what_to_do() -> None:
    """An unknown key names the file to add it to; an unknown language lists the known ones."""
    with pytest.raises(Exception, match=r"no key 'no\.such'; add it to messages/en\.toml"):
        messages("en")("no.such")
    with pytest.raises(ConfigError, match="must be one of zh, en, not 'fr'"):
        messages("fr")
