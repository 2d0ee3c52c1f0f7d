"""Figures of the analyses: segments and portfolios, satisfaction and complaint
handling, training impact, skill gaps and the 9-box grid.

Every function draws on the axes it is given (``ax=``; a new figure when
none), forwards ``**kwargs`` to the matplotlib call that draws the data, and
returns the axes. They only read results (:func:`client_features` frames with
``segment``, :class:`~am_analytics.segments._portfolio.Migration`,
:func:`~am_analytics.segments._portfolio.portfolio`); the shares they show are
sums of those results, no metric is computed here.

matplotlib is imported inside the functions, so ``import am_analytics`` stays
light; no global matplotlib state is read or left changed.

Chinese labels
--------------
Pass display names through ``names=`` (e.g. :data:`SEGMENT_NAMES_ZH`) or a
Chinese ``title=``. When a label holds CJK characters, the first installed
font of :data:`CJK_FONTS` is put first in the families of the figure's texts;
if none is installed, a :class:`MissingFontWarning` is issued once per session
and the labels are drawn with the default font (CJK glyphs then show as boxes).
"""

from ._common import CJK_FONTS, MissingFontWarning
from ._feedback import satisfaction_funnel, sla_breaches
from ._goals import attainment_histogram, burn_up, team_heat_table
from ._ladder import nine_box, skill_gap_heatmap
from ._segments import (
    SEGMENT_COLOURS,
    SEGMENT_NAMES_ZH,
    migration_heatmap,
    portfolio_bars,
    segment_bars,
    segment_map,
)
from ._training import training_impact_plot

__all__ = [
    "CJK_FONTS",
    "SEGMENT_COLOURS",
    "SEGMENT_NAMES_ZH",
    "MissingFontWarning",
    "attainment_histogram",
    "burn_up",
    "migration_heatmap",
    "nine_box",
    "portfolio_bars",
    "satisfaction_funnel",
    "segment_bars",
    "segment_map",
    "skill_gap_heatmap",
    "sla_breaches",
    "team_heat_table",
    "training_impact_plot",
]
