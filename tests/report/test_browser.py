"""Evaluation.to_html in a real browser: Debian's headless Chromium driven by Playwright.

The page must load without errors, fetch nothing beyond its own file, draw every
figure, show the managers' names, sort its tables on a click, speak English
when asked and start each manager's card on a new printed page.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pytest

import am_analytics
from am_analytics import EvaluationConfig
from am_analytics.evaluation import Evaluation

#: Debian's browser (the ``chromium`` package); CI installs it before the tests.
CHROMIUM = Path("/usr/bin/chromium")

pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed: pip install -e '.[test]'"
)
if not CHROMIUM.is_file():
    pytest.skip(
        f"Chromium not found at {CHROMIUM}: install Debian's chromium package",
        allow_module_level=True,
    )

from playwright.sync_api import (  # noqa: E402
    Browser,
    Page,
    Request,
    Route,
    ViewportSize,
    sync_playwright,
)

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage, Error

#: Without these the browser, on a machine with no network, keeps trying to reach
#: Google's update, sync and field-trial servers and floods the log with refusals;
#: ``--no-sandbox`` because CI runs as root, where Chromium's sandbox will not start;
#: ``--disable-dev-shm-usage`` because containers often give /dev/shm only 64 MB.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

#: A laptop screen, the size the report is read at most.
VIEWPORT: ViewportSize = {"width": 1366, "height": 768}

#: The URL schemes a self-contained page may load: its own file and inline data.
LOCAL_SCHEMES = ("file:", "data:")

#: Chinese characters, CJK punctuation and full-width forms: text an English reader cannot read.
CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]+")

#: ``break-before`` values (and the legacy ``page-break-before`` ones) that start a new page.
PAGE_BREAKS = {"page", "always", "left", "right", "recto", "verso"}


@dataclass
class LoadedPage:
    """A report opened in a tab, with what went wrong while it loaded and ran."""

    page: Page
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def sample() -> am_analytics.Dataset:
    """The committed sample organisation."""
    return am_analytics.load_sample()


@pytest.fixture(scope="module")
def evaluation(sample: am_analytics.Dataset) -> Evaluation:
    """The sample evaluated (few sensitivity draws: the page, not the ranks, matters)."""
    return am_analytics.evaluate(sample, config=EvaluationConfig(sensitivity_draws=100))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the module; Playwright gives it a fresh temporary profile."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def report_zh(evaluation: Evaluation, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample evaluation as the default (Chinese) HTML report."""
    path = tmp_path_factory.mktemp("report") / "evaluation.html"
    evaluation.to_html(path)
    return path


@pytest.fixture(scope="module")
def report_en(evaluation: Evaluation, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample evaluation as the English HTML report."""
    path = tmp_path_factory.mktemp("report") / "evaluation-en.html"
    evaluation.to_html(path, language="en")
    return path


@pytest.fixture(scope="module")
def loaded_zh(browser: Browser, report_zh: Path) -> Iterator[LoadedPage]:
    """The Chinese report opened once, for the tests that only read it."""
    loaded = _open(browser, report_zh)
    yield loaded
    loaded.page.context.close()


@pytest.fixture
def fresh_zh(browser: Browser, report_zh: Path) -> Iterator[LoadedPage]:
    """The Chinese report in a tab of its own, for a test that clicks or changes the media."""
    loaded = _open(browser, report_zh)
    yield loaded
    loaded.page.context.close()


def _open(browser: Browser, report: Path) -> LoadedPage:
    """Open ``report`` in a new context, recording requests and errors, blocking the network."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    loaded = LoadedPage(page)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            loaded.console_errors.append(f"{message.text} at {message.location}")

    def on_page_error(error: Error) -> None:
        loaded.page_errors.append(f"{error.name}: {error.message}")

    def on_request(request: Request) -> None:
        loaded.requests.append(request.url)

    def abort_network(route: Route) -> None:
        # Whatever reaches here would leave the machine: refused, it keeps the test offline
        # and fast, and on_request has recorded it for the test that fails on it.
        route.abort()

    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    page.on("request", on_request)
    context.route(re.compile(r"^(?!file:|data:)"), abort_network)
    page.goto(report.as_uri(), wait_until="load")
    return loaded


def _data_strings(dataset: am_analytics.Dataset) -> list[str]:
    """Every text value of the input tables (names, teams, levels, products...), longest first.

    Only the input counts as data: a label the library makes (a criterion's name in
    a frame's text column) must follow the report's language.
    """
    texts: set[str] = set()
    for _, table in dataset.tables():
        for column in table.columns:
            if not pd.api.types.is_numeric_dtype(table[column]):
                texts.update(_texts(table[column]))
    return sorted(texts, key=len, reverse=True)


def _texts(values: pd.Index | pd.Series) -> set[str]:
    """The distinct strings among ``values`` (categories as their labels)."""
    return {value for value in pd.unique(values.astype("object")) if isinstance(value, str)}


def _numbers(cells: list[str]) -> list[float]:
    """The numbers among a column's cells (``1e-05``, ``1,234``, ``−5%``); blanks left out."""
    numbers = []
    for cell in cells:
        try:
            number = float(cell)
        except ValueError:
            digits = re.sub(r"[^0-9.\-]", "", cell.replace("\u2212", "-"))
            number = float(digits) if re.fullmatch(r"-?\d+(\.\d+)?", digits) else math.nan
        if math.isfinite(number):
            numbers.append(number)
    return numbers


def _column_cells(page: Page, table: int, column: int) -> list[str]:
    """Each body row's ``column`` in the ``table``-th sortable table: its data-value, or text."""
    script = """(t, c) => Array.from(t.tBodies[0].rows, r => {
        const cell = r.cells[c];
        return cell.dataset.value ?? cell.innerText.trim();
    })"""
    cells: list[str] = page.locator("table.sortable").nth(table).evaluate(script, column)
    return cells


def _rows(page: Page, table: int) -> list[str]:
    """Each body row of the ``table``-th sortable table as one text, top to bottom."""
    script = "t => Array.from(t.tBodies[0].rows, r => r.innerText)"
    rows: list[str] = page.locator("table.sortable").nth(table).evaluate(script)
    return rows


def _numeric_column(page: Page) -> tuple[int, int]:
    """The first sortable table and column of it holding only numbers, at least three distinct."""
    tables = page.locator("table.sortable")
    for table in range(tables.count()):
        for column in range(tables.nth(table).locator("thead th").count()):
            cells = _column_cells(page, table, column)
            numbers = _numbers(cells)
            if len(numbers) == len(cells) and len(set(numbers)) >= 3:
                return table, column
    pytest.fail("no sortable table has a column of numbers to sort")


def _monotonic(numbers: list[float]) -> bool:
    """Whether ``numbers`` never go down, or never go up."""
    pairs = list(itertools.pairwise(numbers))
    return all(a <= b for a, b in pairs) or all(a >= b for a, b in pairs)


def test_page_loads_without_console_or_script_errors(loaded_zh: LoadedPage) -> None:
    """Loading the report logs no console error and throws no uncaught script error."""
    assert loaded_zh.console_errors == []
    assert loaded_zh.page_errors == []


def test_page_loads_nothing_beyond_its_own_file(loaded_zh: LoadedPage) -> None:
    """Every request of the page is its own file or inline data: it reads offline."""
    foreign = [url for url in loaded_zh.requests if not url.startswith(LOCAL_SCHEMES)]
    assert loaded_zh.requests, "the page made no request at all, not even for itself"
    assert foreign == []


def test_every_figure_has_a_size(loaded_zh: LoadedPage) -> None:
    """Each svg.figure is laid out with a width and height above zero."""
    boxes = loaded_zh.page.locator("svg.figure").evaluate_all(
        """figures => figures.map(f => {
            const box = f.getBoundingClientRect();
            const holder = f.closest('[id]');
            return [holder ? holder.id : '', box.width, box.height];
        })"""
    )
    assert boxes, "the report has no svg.figure"
    empty = [(holder, w, h) for holder, w, h in boxes if not (w > 0 and h > 0)]
    assert empty == [], f"{len(empty)} of {len(boxes)} figures have no size (in: holder, w, h)"


def test_visible_text_holds_every_managers_chinese_name(
    loaded_zh: LoadedPage, evaluation: Evaluation
) -> None:
    """Each name of the scores frame is in the page's visible text, and the page is zh-CN."""
    page = loaded_zh.page
    names = evaluation.section("scores").frames["scores"]["name"].dropna().unique()
    text = page.inner_text("body")
    missing = [name for name in names if name not in text]
    assert len(names) > 0
    assert missing == []
    assert page.get_attribute("html", "lang") == "zh-CN"


def test_each_manager_card_names_its_manager(loaded_zh: LoadedPage, evaluation: Evaluation) -> None:
    """Card manager-<id> shows the name the scores frame gives <id> (M0020 is 闫浩然)."""
    names = evaluation.section("scores").frames["scores"]["name"]
    cards = loaded_zh.page.locator("article.manager-card").evaluate_all(
        "cards => cards.map(c => [c.id, c.innerText])"
    )
    assert names["M0020"] == "闫浩然"
    assert "manager-M0020" in {card_id for card_id, _ in cards}
    wrong = [
        card_id
        for card_id, text in cards
        if names.get(card_id.removeprefix("manager-")) not in text
    ]
    assert wrong == []


def test_clicking_a_header_sorts_the_rows(fresh_zh: LoadedPage) -> None:
    """A header click orders its column, a second click reverses it, and rows stay whole."""
    page = fresh_zh.page
    table, column = _numeric_column(page)
    rows_before = _rows(page, table)
    heading = page.locator("table.sortable").nth(table).locator("thead th").nth(column)

    heading.click()
    first = _numbers(_column_cells(page, table, column))
    rows_after = _rows(page, table)
    heading.click()
    second = _numbers(_column_cells(page, table, column))

    assert sorted(rows_after) == sorted(rows_before)
    assert _monotonic(first)
    assert second == sorted(first, reverse=first == sorted(first))
    assert fresh_zh.page_errors == []


def test_english_report_has_no_chinese_beyond_the_data(
    browser: Browser, report_en: Path, sample: am_analytics.Dataset
) -> None:
    """language="en" gives lang="en" and no CJK text except names and labels from the data."""
    loaded = _open(browser, report_en)
    try:
        page = loaded.page
        lang = page.get_attribute("html", "lang")
        text = "\n".join([page.title(), page.inner_text("body"), *_tooltips(page)])
    finally:
        loaded.page.context.close()
    for data_string in _data_strings(sample):
        if CJK.search(data_string):
            text = text.replace(data_string, " ")
    leftovers = list(CJK.finditer(text))
    words = sorted({match.group() for match in leftovers})
    assert lang == "en"
    assert words == [], f"report words in Chinese, e.g. {_in_context(text, leftovers[0])!r}"
    assert loaded.console_errors == loaded.page_errors == []


def _in_context(text: str, match: re.Match[str]) -> str:
    """The matched words with a little of the text around them, on one line."""
    around = text[max(match.start() - 30, 0) : match.end() + 10]
    return " ".join(around.split())


def _tooltips(page: Page) -> list[str]:
    """The text a reader sees on hovering: title attributes and SVG <title> elements."""
    tips: list[str] = page.evaluate(
        """() => [
            ...Array.from(document.querySelectorAll('[title]'), e => e.getAttribute('title')),
            ...Array.from(document.querySelectorAll('svg title'), e => e.textContent),
        ]"""
    )
    return tips


def test_printing_starts_each_manager_card_on_a_new_page(fresh_zh: LoadedPage) -> None:
    """Under print media every .manager-card breaks the page before itself."""
    page = fresh_zh.page
    page.emulate_media(media="print")
    breaks = page.locator(".manager-card").evaluate_all(
        """cards => cards.map(c => {
            const style = getComputedStyle(c);
            return [c.id, style.breakBefore, style.pageBreakBefore];
        })"""
    )
    assert breaks, "the report has no .manager-card"
    unbroken = [card for card in breaks if not PAGE_BREAKS & {card[1], card[2]}]
    assert unbroken == []
