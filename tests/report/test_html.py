"""The HTML report: every part, numbers equal to the frames, text escaped, both languages."""

from __future__ import annotations

import dataclasses
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

import am_analytics
from am_analytics import evaluate
from am_analytics.errors import ConfigError
from am_analytics.evaluation import Evaluation, EvaluationConfig
from am_analytics.report import messages, render_html
from am_analytics.report._html import format_value

CONFIG = EvaluationConfig(sensitivity_draws=100)
CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")
PROBE = "<script>alert(1)</script>"


class _Page(HTMLParser):
    """The parts of a report page the tests read: ids, tables with their cells, all text."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.classes: dict[str, int] = {}
        self.tables: list[dict[str, object]] = []
        self.text: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self._cell: dict[str, object] | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if attributes.get("id"):
            self.ids.append(str(attributes["id"]))
        for name in (attributes.get("class") or "").split():
            self.classes[name] = self.classes.get(name, 0) + 1
        if tag == "table":
            self.tables.append({"frame": attributes.get("data-frame"), "head": [], "rows": []})
        elif tag == "tr" and self.tables:
            self.tables[-1]["rows"].append([])  # type: ignore[union-attr]
        elif tag in ("td", "th") and self.tables:
            self._cell = {"tag": tag, "value": attributes.get("data-value"), "text": ""}

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            table = self.tables[-1]
            if self._cell["tag"] == "th":
                table["head"].append(self._cell["text"])  # type: ignore[union-attr]
            else:
                table["rows"][-1].append(self._cell)  # type: ignore[union-attr,index]
            self._cell = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._cell is not None:
            self._cell["text"] = str(self._cell["text"]) + data.strip()

    def table(self, frame: str) -> dict[str, object]:
        """The first table showing ``frame``."""
        return next(t for t in self.tables if t["frame"] == frame)


@pytest.fixture(scope="module")
def data() -> am_analytics.Dataset:
    return am_analytics.load_sample()


@pytest.fixture(scope="module")
def evaluation(data: am_analytics.Dataset) -> Evaluation:
    return evaluate(data, config=CONFIG)


@pytest.fixture(scope="module")
def page(evaluation: Evaluation) -> _Page:
    return _Page(render_html(evaluation))


def test_every_section_and_a_card_per_scored_manager(evaluation: Evaluation, page: _Page) -> None:
    """The summary, a part per section, and one card per scored manager, best rank first."""
    sections = [s.name for s in evaluation.sections if s.name != "summary"]
    assert "summary" in page.ids
    assert [i.removeprefix("section-") for i in page.ids if i.startswith("section-")] == sections
    scores = evaluation.frames()["scores"]
    ranked = scores[scores["active"]].sort_values("rank").index.tolist()
    assert [i.removeprefix("manager-") for i in page.ids if i.startswith("manager-")] == ranked
    assert page.classes["manager-card"] == len(ranked) == 38


def test_the_ranking_shows_the_scores_frame(evaluation: Evaluation, page: _Page) -> None:
    """Each row of the scores table: the id, the score (data-value to 1e-9, shown to 0.1)."""
    scores = evaluation.frames()["scores"]
    table = page.table("scores")
    head = table["head"]
    assert isinstance(head, list)
    id_at, score_at = head.index("客户经理编号"), head.index("综合得分")
    rows = table["rows"]
    assert isinstance(rows, list)
    shown = [row for row in rows if row]
    assert len(shown) == len(scores)
    for row in shown:
        manager_id = row[id_at]["text"]
        expected = scores.loc[manager_id, "score"]
        cell = row[score_at]
        if pd.isna(expected):
            assert cell["value"] == "" and cell["text"] == "–"
        else:
            assert float(cell["value"]) == pytest.approx(expected, rel=1e-9)
            assert cell["text"] == f"{expected:.1f}"


def test_the_headline_figures_are_the_headline_frame(evaluation: Evaluation) -> None:
    """Each headline card's value is the frame's, and the sales total is written in 万."""
    headline = evaluation.frames()["headline"].set_index("measure")
    text = render_html(evaluation)
    cards = re.findall(r'data-measure="(\w+)">.*?data-value="([^"]*)">([^<]*)<', text, re.S)
    assert {m for m, _, _ in cards} >= {"managers_scored", "sales_amount", "goals_off_track"}
    for measure, value, shown in cards:
        assert float(value) == pytest.approx(headline.loc[measure, "value"], rel=1e-12)
        if measure == "sales_amount":
            assert shown == f"{headline.loc[measure, 'value'] / 1e4:,.1f}万"


def test_card_numbers_are_the_frames(evaluation: Evaluation, page: _Page) -> None:
    """A card's criteria table holds the manager's values, contributions and goals."""
    scores = evaluation.frames()["scores"]
    criteria = [t for t in page.tables if t["frame"] == "criteria"]
    assert len(criteria) == 38
    first = criteria[0]["rows"]
    assert isinstance(first, list)
    values = [float(row[1]["value"]) for row in first if row]
    contributions = [float(row[3]["value"]) for row in first if row]
    best = scores.sort_values("rank").iloc[0]
    expected = [best[c] for c in scores.columns if c.endswith("_value")]
    assert values == pytest.approx(expected, rel=1e-12)
    assert sum(contributions) == pytest.approx(best["score"], abs=1e-9)


def test_figures_are_inline_svg_with_text_as_text(page: _Page) -> None:
    """Summary and card figures are inline SVG (no images, no external resources)."""
    svgs = [attrs for tag, attrs in page.tags if tag == "svg"]
    assert len(svgs) > 38 * 3
    assert all("figure" in (a.get("class") or "") for a in svgs)
    assert not [tag for tag, _ in page.tags if tag in ("img", "link", "iframe", "object")]
    sources = [a.get(k) for _, a in page.tags for k in ("src", "href") if a.get(k)]
    assert all(str(s).startswith("#") for s in sources)


def _renamed(evaluation: Evaluation, name: str, team: str, client: str) -> Evaluation:
    """The evaluation with hostile text in a manager's name and team and a client's name."""
    sections = []
    for section in evaluation.sections:
        frames = dict(section.frames)
        for key, frame in frames.items():
            frame = frame.copy()
            if "name" in frame.columns and frame.index.name == "manager_id":
                frame.loc[frame.index == "M0020", "name"] = name
            if "team" in frame.columns:
                frame["team"] = frame["team"].astype("object").replace("华北组", team)
            if "name" in frame.columns and frame.index.name == "client_id":
                frame["name"] = (
                    frame["name"].astype("object").where(frame["manager_id"] != "M0020", client)
                )
            frames[key] = frame
        sections.append(dataclasses.replace(section, frames=frames))
    return dataclasses.replace(evaluation, sections=tuple(sections))


def test_text_from_data_is_escaped(evaluation: Evaluation) -> None:
    """A manager named <script>, a team with a quote-breaking img, a client named =HYPERLINK."""
    team = '"><img src=x onerror=alert(2)>'
    client = '=HYPERLINK("http://x","<b>y</b>")'
    text = render_html(_renamed(evaluation, PROBE, team, client))
    assert "<script>alert" not in text and "<img" not in text and "<b>y" not in text
    page = _Page(text)
    words = "".join(page.text)
    assert PROBE in words  # shown as that text
    assert team in words
    assert client in words
    assert sum(1 for tag, _ in page.tags if tag == "script") == 1  # the page's own sorter


@pytest.mark.parametrize("language", ["zh", "en"])
def test_both_languages_render_completely(evaluation: Evaluation, language: str) -> None:
    """Every word comes from the catalogue: a missing key would fail the render."""
    page = _Page(render_html(evaluation, language=language))
    html_tag = next(attrs for tag, attrs in page.tags if tag == "html")
    assert html_tag["lang"] == messages(language)("report.html_lang")
    assert messages(language)("report.title") in "".join(page.text)


def test_the_english_report_has_no_chinese_but_the_data(
    evaluation: Evaluation, data: am_analytics.Dataset
) -> None:
    """Outside names, teams, levels and other data text, the English page has no CJK."""
    text = "".join(_Page(render_html(evaluation, language="en")).text)
    from_data = set()
    for frame in (data.managers, data.clients, evaluation.frames()["scores"]):
        for column in ("name", "team", "level", "lifted_by", "held_back_by"):
            if column in frame.columns:
                from_data |= set(frame[column].dropna().astype(str))
    readiness = evaluation.frames()["readiness"]
    from_data |= set(readiness["next_level"].dropna().astype(str))
    for value in sorted(from_data, key=len, reverse=True):
        text = text.replace(value, "")
    assert CJK.findall(text) == []


def test_a_dataset_of_three_tables_says_why_sections_are_absent(
    data: am_analytics.Dataset,
) -> None:
    """Only managers, clients and sales: the report is written and the absent parts say why."""
    three = am_analytics.from_frames(managers=data.managers, clients=data.clients, sales=data.sales)
    page = _Page(render_html(evaluate(three, config=CONFIG), language="en"))
    words = " ".join(page.text)
    assert "needs the goals table, which the data set lacks" in words
    assert "needs the surveys table, which the data set lacks" in words
    assert page.classes["manager-card"] == 38


def test_a_manager_report_holds_only_that_card(evaluation: Evaluation, tmp_path: Path) -> None:
    """to_html(managers=[id]) writes one card, no summary."""
    path = evaluation.to_html(tmp_path / "card.html", managers=["M0020"])
    page = _Page(path.read_text(encoding="utf-8"))
    assert [i for i in page.ids if i.startswith("manager-")] == ["manager-M0020"]
    assert "summary" not in page.ids


def test_an_unknown_language_is_a_config_error(evaluation: Evaluation, tmp_path: Path) -> None:
    """language="fr": a ConfigError naming the languages; nothing written."""
    with pytest.raises(ConfigError, match="zh, en"):
        evaluation.to_html(tmp_path / "r.html", language="fr")
    assert not (tmp_path / "r.html").exists()


@pytest.mark.parametrize(
    ("value", "kind", "zh", "en"),
    [
        (123456789.0, "money", "1.2亿", "123.5M"),
        (0.019, "points", "1.9 个百分点", "1.9 pp"),
        (-56789.0, "money", "−5.7万", "−56,789"),
        (999.4, "money", "999", "999"),
        (0.25, "share", "25.0%", "25.0%"),
        (3.0, "change", "+3", "+3"),
        (pd.Timestamp("2026-11-05"), "date", "2026年11月5日", "05 Nov 2026"),
        ("Champions", "value", "冠军客户", "Champions"),
        (None, "score", "–", "–"),
    ],
)
def test_numbers_and_dates_are_written_for_the_language(
    value: object, kind: str, zh: str, en: str
) -> None:
    """Money in 万/亿 for Chinese readers, thousands separators in English; dates likewise."""
    assert format_value(value, kind, messages("zh")) == zh
    assert format_value(value, kind, messages("en")) == en


def test_overrides_show_computed_final_and_reason(
    data: am_analytics.Dataset, evaluation: Evaluation, tmp_path: Path
) -> None:
    """A committee's change: the summary lists it, the card says it, the figure has both series."""
    grade = evaluation.frames()["scores"]["grade"]
    computed = str(grade["M0001"])
    final = next(g for g in grade.cat.categories if g != computed)
    path = tmp_path / "overrides.csv"
    path.write_text(
        "manager_id,period,grade,reason,decided_by,decided_on\n"
        f"M0001,2026Q3,{final},<b>led</b> the key-account rescue,committee,2026-10-12\n",
        encoding="utf-8",
    )
    moved = evaluate(data, config=CONFIG, overrides=am_analytics.read_overrides(path))
    text = render_html(moved, language="en")
    page = _Page(text)
    listed = page.table("overrides")["rows"]
    assert isinstance(listed, list)
    cells = [cell["text"] for cell in listed[1]]
    assert cells[:4] == ["M0001", "林洋", computed, final]
    assert cells[4] == "<b>led</b> the key-account rescue"  # escaped, shown as typed
    card = text[text.index('id="manager-M0001"') :]
    assert (
        f"The review committee moved the grade from {computed} to {final}: "
        "&lt;b&gt;led&lt;/b&gt; the key-account rescue" in card
    )
    assert "Managers per grade: computed and final" in text
