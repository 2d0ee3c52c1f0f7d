"""Render an :class:`~am_analytics.Evaluation`: HTML page, Excel workbook, CSV, JSON.

The report reads an evaluation's frames and never recomputes them. The
:class:`~am_analytics.Evaluation` methods (``to_html``, ``to_excel``,
``to_csv``, ``to_json``, ``write``) hand over to this package, as
``DataFrame.to_excel`` hands over to ``pandas.io``.
"""

from ._excel import write_excel
from ._files import (
    FORMATS,
    check_formats,
    json_schema,
    write_folder,
    write_json,
    write_manager,
)
from ._html import render_html, write_html
from ._messages import Messages, messages
from ._notebook import evaluation_html

__all__ = [
    "FORMATS",
    "Messages",
    "check_formats",
    "evaluation_html",
    "json_schema",
    "messages",
    "render_html",
    "write_excel",
    "write_folder",
    "write_html",
    "write_json",
    "write_manager",
]
