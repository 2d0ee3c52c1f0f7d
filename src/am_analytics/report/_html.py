"""The HTML report: one self-contained page rendered with Jinja2 from a :class:`Page`.

The page holds its CSS, its figures (inline SVG, text kept as text) and a few
lines of JS that sort tables: it opens from a file or an e-mail with no network.
Everything from data is escaped by Jinja2's autoescape; the figures escape
their own labels.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2

from ..io._writing import check_output_file, replacing_file
from ._messages import messages
from ._page import build_page
from ._tables import NUMERIC_KINDS, format_value

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
