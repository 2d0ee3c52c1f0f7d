"""What an evaluation is computed with: one frozen dataclass of the domains' own settings."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal

from ..errors import ConfigError

if TYPE_CHECKING:  # the domains load sklearn; ``import am_analytics`` stays light without them
    from ..development import CareerLadder
    from ..feedback import SlaPolicy
    from ..goals import AdjustmentPolicy, AttainmentOptions
    from ..scoring import Scorecard
    from ..segments import SegmentRules, ServicePolicy

#: The languages an evaluation's words can be written in.
LANGUAGES = ("zh", "en")

#: The sections of an evaluation, in the order they are computed.
SECTIONS = (
    "data_quality", "scores", "teams", "ratings", "goals",
    "segments", "satisfaction", "feedback", "training", "development", "summary",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class EvaluationConfig:
    """The settings of :func:`~am_analytics.evaluate`; every default is the library's own.

    Parameters
    ----------
    scorecard
        The :class:`~am_analytics.Scorecard`. ``None`` (default) is
        :func:`~am_analytics.scoring.default_scorecard` without the criteria
        whose tables the dataset lacks (see :func:`~am_analytics.score_managers`).
    segment_rules, service_policy
        Client segments and the service each gets
        (:func:`~am_analytics.segments.default_segment_rules`,
        :func:`~am_analytics.segments.default_service_policy`).
    sla
        Hours within which complaints and suggestions are to be resolved.
    career_ladder
        Levels and their requirements
        (:func:`~am_analytics.development.default_career_ladder`).
    attainment
        Goal status thresholds and projection options.
    adjustment
        When and how far running goals are proposed to move.
    sensitivity_draws
        Monte Carlo draws behind each manager's rank interval.
    history_periods
        Quarters of score history (ending with the evaluated one) that
        promotion readiness looks back over.
    language
        ``"zh"`` or ``"en"``: the language of the evaluation's words.
    summary_size
        How many managers the summaries name (the top of the ranking, the
        largest rises and falls).
    sections
        The sections computed (default: all of :data:`SECTIONS`); the others
        are in the evaluation as absent, "left out by the configuration".
        ``teams`` and ``summary`` need ``scores``.
    overrides
        A file of grade overrides (:func:`~am_analytics.evaluation.read_overrides`)
        that :func:`~am_analytics.evaluate` applies when given none itself;
        default: none.

    Raises
    ------
    ConfigError
        For an unknown language or section, ``teams`` or ``summary`` without ``scores``, or
        a count below 1.

    Examples
    --------
    >>> EvaluationConfig(language="en", summary_size=5).summary_size
    5
    >>> EvaluationConfig(language="fr")
    Traceback (most recent call last):
    ...
    am_analytics.errors.ConfigError: language must be one of zh, en, not 'fr'

    :func:`load_evaluation_config` reads one from a TOML file.
    """

    scorecard: Scorecard | None = None
    segment_rules: SegmentRules = field(default_factory=lambda: _segments().default_segment_rules())
    service_policy: ServicePolicy = field(
        default_factory=lambda: _segments().default_service_policy()
    )
    sla: SlaPolicy = field(default_factory=lambda: _feedback().SlaPolicy())
    career_ladder: CareerLadder = field(
        default_factory=lambda: _development().default_career_ladder()
    )
    attainment: AttainmentOptions = field(default_factory=lambda: _goals().AttainmentOptions())
    adjustment: AdjustmentPolicy = field(default_factory=lambda: _goals().AdjustmentPolicy())
    sensitivity_draws: int = 1000
    history_periods: int = 8
    language: Literal["zh", "en"] = "zh"
    summary_size: int = 10
    sections: tuple[str, ...] = SECTIONS
    overrides: Path | None = None

    def __post_init__(self) -> None:
        if self.language not in LANGUAGES:
            raise ConfigError(
                f"language must be one of {', '.join(LANGUAGES)}, not {self.language!r}"
            )
        _check_sections(self.sections)
        for name in ("sensitivity_draws", "history_periods", "summary_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{name} must be a whole number of at least 1, not {value!r}")

    def to_dict(self) -> dict[str, Any]:
        """The settings as plain data (dicts, lists, text, numbers, ``None``) for JSON.

        A setting with its own ``to_dict`` (the scorecard, the segment rules,
        the service policy) is written that way; the others field by field.
        ``scorecard`` is ``None`` when the default was used.

        Examples
        --------
        >>> settings = EvaluationConfig(language="en").to_dict()
        >>> settings["language"], settings["sla"]["high"], settings["scorecard"]
        ('en', 24.0, None)
        """
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}


def _check_sections(sections: Any) -> None:
    """Raise ConfigError unless ``sections`` are known section names, ``teams`` with ``scores``."""
    if isinstance(sections, str) or not isinstance(sections, tuple | list):
        raise ConfigError(f"sections must be a list of section names, not {sections!r}")
    unknown = [name for name in sections if name not in SECTIONS]
    if unknown:
        raise ConfigError(
            f"sections has unknown name(s) {unknown}; the sections are {', '.join(SECTIONS)}"
        )
    for needs_scores in ("teams", "summary"):
        if needs_scores in sections and "scores" not in sections:
            raise ConfigError(
                f"sections lists {needs_scores!r} without 'scores', which it is built from; "
                f"add 'scores' or remove {needs_scores!r}"
            )


def _plain(value: Any) -> Any:
    """``value`` as JSON-ready data: its ``to_dict()``, its fields, its items, or itself."""
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(item) for item in value]
    if value is None or isinstance(value, str | int | float):
        return value
    return str(value)


def _segments() -> ModuleType:
    """The segments package, imported when a default is first made."""
    from .. import segments

    return segments


def _feedback() -> ModuleType:
    """The feedback package, imported when a default is first made."""
    from .. import feedback

    return feedback


def _development() -> ModuleType:
    """The development package, imported when a default is first made."""
    from .. import development

    return development


def _goals() -> ModuleType:
    """The goals package, imported when a default is first made."""
    from .. import goals

    return goals
