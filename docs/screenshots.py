"""Screenshots of the HTML evaluation report, for the docs, at a laptop's 1366×768.

Run ``python docs/screenshots.py`` after changing the report's templates. It
evaluates the committed sample, writes the report in Chinese and in English,
opens each in Debian's headless Chromium (``apt-get install chromium
fonts-noto-cjk``; without the fonts Chinese shows as empty boxes) and saves,
into docs/images/:

- ``report-summary.png`` / ``report-summary-en.png``: the first screen;
- ``report-card.png`` / ``report-card-en.png``: the screen scrolled to the card
  of manager M0020.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from playwright.sync_api import Browser, ViewportSize, sync_playwright

import am_analytics
from am_analytics import EvaluationConfig

HERE = Path(__file__).parent
CHROMIUM = Path("/usr/bin/chromium")

#: Keep the browser quiet and offline (the report loads nothing), as in the browser tests.
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

VIEWPORT: ViewportSize = {"width": 1366, "height": 768}

#: The manager whose card is shown (闫浩然 in the sample).
CARD_MANAGER = "M0020"

#: Report language and the suffix of its image names.
LANGUAGES = {"zh": "", "en": "-en"}


def main() -> None:
    """Evaluate the sample, write both reports and save the four screenshots."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "images", help="image folder")
    parser.add_argument("--chromium", type=Path, default=CHROMIUM, help="browser executable")
    options = parser.parse_args()
    options.out.mkdir(parents=True, exist_ok=True)

    evaluation = am_analytics.evaluate(am_analytics.load_sample(), config=EvaluationConfig())
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(options.chromium), headless=True, args=CHROMIUM_ARGS
        )
        for language, suffix in LANGUAGES.items():
            report = Path(folder) / f"evaluation{suffix}.html"
            evaluation.to_html(report, language=language)
            for image in _screenshots(browser, report, options.out, suffix):
                print(image)
        browser.close()


def _screenshots(browser: Browser, report: Path, out: Path, suffix: str) -> list[Path]:
    """The first screen of ``report`` and the screen at the card, saved as PNG."""
    page = browser.new_page(viewport=VIEWPORT)
    page.goto(report.as_uri(), wait_until="load")
    summary = out / f"report-summary{suffix}.png"
    page.screenshot(path=summary)
    page.locator(f"#manager-{CARD_MANAGER}").evaluate("card => card.scrollIntoView()")
    card = out / f"report-card{suffix}.png"
    page.screenshot(path=card)
    page.close()
    return [summary, card]


if __name__ == "__main__":
    main()
