"""The HTML report: one self-contained page rendered with Jinja2 from a :class:`Page`.

The page holds its CSS, its figures (inline SVG, text kept as text) and a few
lines of JS that sort tables: it opens from a file or an e-mail with no network.
Everything from data is escaped by Jinja2's autoescape; the figures escape
their own labels.
"""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2
import pandas as pd

from ..io._writing import check_output_file, replacing_file
from ._messages import Messages, messages
from ._page import build_page
from ._tables import NUMERIC_KINDS

if TYPE_CHECKING:
    from ..evaluation import Evaluation


def render_html(
    evaluation: Evaluation, *, language: str | None = None, managers: list[str] | None = None
) -> str:
    """The report of ``evaluation`` as one HTML document.

    ``language`` defaults to the evaluation's configuration; ``managers``
    renders those managers' cards only (a 1:1 review pack).
    """
    words = messages(language or evaluation.config.language)
    page = build_page(evaluation, words, managers=managers)
    return _template(words.language).render(page=page, words=words)


def write_html(
    evaluation: Evaluation,
    path: str | Path,
    *,
    language: str | None = None,
    managers: list[str] | None = None,
) -> Path:
    """Write :func:`render_html` to ``path``, replacing it atomically."""
    target = Path(path)
    check_output_file(target)
    text = render_html(evaluation, language=language, managers=managers)
    with replacing_file(target) as temporary:
        temporary.write_text(text, encoding="utf-8")
    return target


@cache
def _template(language: str) -> jinja2.Template:
    """The page template, with the formatting filters of ``language``."""
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("am_analytics.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,  # a misspelt field fails the render, not the reader
        trim_blocks=True,
        lstrip_blocks=True,
    )
    words = messages(language)
    environment.filters["cell"] = lambda value, kind: format_value(value, kind, words)
    environment.filters["numeric"] = lambda kind: kind in NUMERIC_KINDS
    return environment.get_template("page.html.j2")


def format_value(value: object, kind: str, words: Messages) -> str:
    """``value`` written for a reader of ``words``' language, by its kind (see ``_tables.Kind``).

    Examples
    --------
    >>> en, zh = messages("en"), messages("zh")
    >>> format_value(1234567.8, "money", en), format_value(1234567.8, "money", zh)
    ('1.2M', '123.5万')
    >>> format_value(0.1234, "share", en), format_value(-2.0, "signed", en)
    ('12.3%', '−2.0')
    >>> format_value(None, "int", en)
    '–'
    """
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if kind == "date":
        return words("format.date").format(d=pd.Timestamp(value))  # type: ignore[arg-type]
    if kind == "value":
        return words.get(f"value.{value}", str(value))
    if kind not in NUMERIC_KINDS:
        return str(value)
    number = float(value)  # type: ignore[arg-type]
    if kind == "money":
        return _money(number, words)
    text = {
        "int": f"{number:,.0f}",
        "number": f"{number:,.0f}" if abs(number) >= 1000 else f"{number:,.2f}",
        "score": f"{number:.1f}",
        "share": f"{number * 100:.1f}%",
        "percent": f"{number:.1f}%",
        "points": f"{number * 100:.1f}" + words("unit.points"),
        "signed": f"{number:+.1f}",
        "change": f"{number:+,.0f}",
    }[kind]
    return text.replace("-", "−")  # a true minus sign: a hyphen reads as a dash


#: The large-number units, largest first: each language names those it counts in.
MONEY_UNITS = (("billion", 1e9), ("hundred_million", 1e8), ("million", 1e6), ("ten_thousand", 1e4))


def _money(amount: float, words: Messages) -> str:
    """An amount in the language's large-number units (万 and 亿 in Chinese, M and B in English)."""
    for key, size in MONEY_UNITS:
        unit = words(f"unit.{key}")
        if unit and abs(amount) >= size:
            return f"{amount / size:,.1f}{unit}".replace("-", "−")
    return f"{amount:,.0f}".replace("-", "−")
