"""The compact notebook view of an Evaluation: escaped text, CSS scoped under one id."""

from __future__ import annotations

import html
import uuid
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from ..evaluation import Evaluation

#: The class every rule of the view's CSS is scoped under (with the view's own id).
ROOT_CLASS = "am-analytics-evaluation"

#: The columns of the scores shown in the summary table.
SUMMARY_COLUMNS = ("name", "team", "score", "grade", "rank")

#: The view's style; ``{root}`` is the view's unique selector, so no rule reaches outside it
#: and the notebook's own rules (which are less specific) cannot restyle it.
STYLE = """
{root} {{ all: initial; display: block; font: 13px/1.4 system-ui, sans-serif; color: #222; }}
{root} h3 {{ font-size: 15px; margin: 4px 0; }}
{root} table {{ border-collapse: collapse; margin: 4px 0; }}
{root} th, {root} td {{ border: 1px solid #ccc; padding: 2px 6px; text-align: left; }}
{root} .absent {{ color: #888; }}
"""


def evaluation_html(evaluation: Evaluation) -> str:
    """The summary: period, sections with their frames or absence, and the top managers."""
    view_id = f"{ROOT_CLASS}-{uuid.uuid4().hex}"
    style = STYLE.format(root=f"#{view_id}")
    title = f"Evaluation {evaluation.period} (as of {evaluation.as_of:%Y-%m-%d})"
    parts = [
        f'<div id="{view_id}" class="{ROOT_CLASS}"><style>{style}</style>',
        f"<h3>{_text(title)}</h3>",
        _sections_table(evaluation),
        _top_managers(evaluation),
        "</div>",
    ]
    return "".join(parts)


def _text(value: object) -> str:
    """Any value as escaped HTML text."""
    return html.escape(str(value))


def _sections_table(evaluation: Evaluation) -> str:
    """One row per section: its frames with their shapes, or why it is absent."""
    rows = []
    for section in evaluation.sections:
        if section.present:
            detail = ", ".join(
                f"{name} {len(frame)}×{frame.shape[1]}" for name, frame in section.frames.items()
            )
            cell = f"<td>{_text(detail)}</td>"
        else:
            cell = f'<td class="absent">{_text(section.absent_reason)}</td>'
        notes = "; ".join(section.notes)
        rows.append(f"<tr><th>{_text(section.name)}</th>{cell}<td>{_text(notes)}</td></tr>")
    return (
        "<table><tr><th>section</th><th>frames</th><th>notes</th></tr>" + "".join(rows) + "</table>"
    )


def _top_managers(evaluation: Evaluation) -> str:
    """The best ``summary_size`` managers of the period."""
    scores = evaluation.section("scores").frames["scores"]
    top = scores.head(evaluation.config.summary_size)
    columns = [c for c in SUMMARY_COLUMNS if c in top.columns]
    header = "".join(f"<th>{_text(c)}</th>" for c in ("manager_id", *columns))
    body = "".join(
        "<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in (manager_id, *row)) + "</tr>"
        for manager_id, *row in top[columns].itertuples(name=None)
    )
    return f"<table><tr>{header}</tr>{body}</table>"


def _cell(value: object) -> str:
    """A table cell's text: scores to one decimal, missing values empty."""
    if isinstance(value, float):
        return "" if pd.isna(value) else f"{value:.1f}"
    return _text(value)
