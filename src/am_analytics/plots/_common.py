"""What every figure shares: axes, checks, display names, and Chinese fonts.

Pass display names through ``names=`` (e.g. :data:`SEGMENT_NAMES_ZH`) or a
Chinese ``title=``. When a label holds CJK characters, the first installed
font of :data:`CJK_FONTS` is put first in the families of the figure's texts;
if none is installed, a :class:`MissingFontWarning` is issued once per session
and the labels are drawn with the default font (CJK glyphs then show as boxes).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final

import pandas as pd

from .._checks import require_columns

if TYPE_CHECKING:
    from matplotlib.axes import Axes


#: Fonts that cover Chinese, most preferred first (Linux, then Windows, then macOS).
CJK_FONTS: Final = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "Heiti SC",
    "Noto Sans CJK JP",
    "Arial Unicode MS",
)


_CJK_TEXT: Final = re.compile(
    "[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0002fa1f]"
)


_font_warning_shown = False


class MissingFontWarning(UserWarning):
    """A figure has Chinese labels but no font that can draw them is installed."""


def _axes(ax: Axes | None) -> Axes:
    """The axes given, or those of a new figure."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots(figsize=(8, 5))
    return new


def _require(frame: pd.DataFrame, columns: list[str], name: str) -> None:
    """Raise a DataValidationError naming the columns a figure needs and ``frame`` lacks."""
    require_columns(frame, columns, name, needed_by="this figure")


def _display(labels: Sequence[str], names: Mapping[str, str] | None) -> list[str]:
    """The display names of labels (the label itself when it has none)."""
    return [str(names.get(label, label)) if names else label for label in labels]


def _percent() -> Any:
    """A tick formatter writing shares as percentages."""
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(xmax=1.0, decimals=0)


@contextmanager
def _cjk_font(ax: Axes, *texts: str) -> Iterator[str | None]:
    """Draw with a CJK font when any text is Chinese; warn once when none is installed.

    Yields the font family used, or None. Inside, the family is first in
    ``font.family`` and ``font.sans-serif`` (restored on leaving); on leaving,
    it is also put first on every text of ``ax``, so tick labels made before
    and texts drawn later (when saving) keep it.
    """
    global _font_warning_shown
    import matplotlib as mpl

    if not any(_CJK_TEXT.search(text) for text in texts):
        yield None
        return
    family = _installed_cjk_font()
    if family is None:
        if not _font_warning_shown:
            _font_warning_shown = True
            warnings.warn(
                "the figure has Chinese labels but no CJK font is installed, so they will "
                f"show as boxes; install one of {', '.join(CJK_FONTS[:6])}, ... (e.g. "
                "apt install fonts-noto-cjk) and clear matplotlib's font cache",
                MissingFontWarning,
                stacklevel=4,
            )
        yield None
        return
    families = [family, *mpl.rcParams["font.family"]]
    sans = [family, *mpl.rcParams["font.sans-serif"]]
    with mpl.rc_context({"font.family": families, "font.sans-serif": sans}):
        yield family
    from matplotlib.text import Text

    for text in ax.findobj(Text):
        text.set_fontfamily(families)


def _installed_cjk_font() -> str | None:
    """The first font of :data:`CJK_FONTS` that matplotlib's font manager knows."""
    from matplotlib import font_manager

    installed = {font.name for font in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


def _reset_font_warning() -> None:
    """Let the next figure with Chinese labels warn again about a missing font (for tests)."""
    global _font_warning_shown
    _font_warning_shown = False
