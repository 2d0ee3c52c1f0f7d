"""The evaluation configuration file: TOML laid over the shipped default, checked key by key."""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Final

from ..config import read_packaged_toml, read_toml
from ..errors import ConfigError
from ._config import EvaluationConfig

#: The shipped default, written out by ``am-analytics config init``.
DEFAULT_CONFIG_FILE: Final = "default_config.toml"

#: Tables whose own loader checks their keys (the scorecard's shape allows
#: keys the default leaves out, such as ``pairwise``), or whose keys are names
#: chosen by the user (segments, grades).
_FREE_TABLES: Final = frozenset({("scorecard",), ("grading",), ("service", "segments")})

#: Tables replaced whole by the user's, not merged key by key (bands and a
#: distribution cannot be mixed).
_REPLACED_TABLES: Final = frozenset({("grading",)})


def default_config_text() -> str:
    """The text of the shipped default configuration, comments included.

    Examples
    --------
    >>> default_config_text().splitlines()[0]
    '# The evaluation configuration of am_analytics: what evaluate() and'
    """
    package = resources.files(__package__)
    return package.joinpath(DEFAULT_CONFIG_FILE).read_text("utf-8")


def load_evaluation_config(path: str | Path) -> EvaluationConfig:
    """Read an evaluation configuration from a TOML file laid over the default.

    The file needs only the keys that differ from the shipped default
    (``am-analytics config init FILE`` writes the default out, with a comment
    on every key). Tables of keys are merged key by key; arrays of tables
    (``[[criteria]]``, ``[[segments.rules]]``, ``[[ladder.levels]]``) and
    ``[grading]`` replace the default's whole. ``[report] overrides`` is a
    path relative to the file.

    Raises
    ------
    ConfigError
        If the file cannot be read, has a key or section the configuration
        does not know (the message names the section, the known keys and the
        nearest one), or a value breaks a rule (the message names the key,
        the value and the fix).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "evaluation.toml"
    >>> _ = path.write_text('[report]\\nlanguage = "en"\\n', encoding="utf-8")
    >>> config = load_evaluation_config(path)
    >>> config.language, config.summary_size
    ('en', 10)
    >>> _ = path.write_text('[report]\\nlangauge = "en"\\n', encoding="utf-8")
    >>> load_evaluation_config(path)
    Traceback (most recent call last):
    ...
    am_analytics.errors.ConfigError: ...: unknown key 'langauge' in [report]; did you mean ...
    """
    path = Path(path)
    user = read_toml(path, what="evaluation configuration")
    default = read_packaged_toml(__package__, DEFAULT_CONFIG_FILE)
    _check_keys(user, default, source=str(path), where=())
    merged = _merged(default, user, where=())
    if merged["report"]["overrides"]:  # relative to the file, wherever the command runs
        overrides = path.parent / merged["report"]["overrides"]
        merged["report"] = {**merged["report"], "overrides": overrides}
    return config_from_dict(merged, source=str(path))


def config_from_dict(data: Mapping[str, Any], *, source: str) -> EvaluationConfig:
    """An :class:`EvaluationConfig` from a complete configuration (default and user merged)."""
    from ..development import CareerLadder
    from ..feedback import SlaPolicy
    from ..goals import AdjustmentPolicy, AttainmentOptions, StatusThresholds
    from ..scoring import Scorecard, default_scorecard
    from ..segments import SegmentRules, ServicePolicy

    card_data = {key: data[key] for key in ("scorecard", "grading", "criteria")}
    card = _built("[scorecard]", source, lambda: Scorecard.from_dict(card_data, source=source))
    rules = {"bins": data["segments"]["bins"], "segments": data["segments"]["rules"]}
    ladder = {
        "ladder": {"competencies": data["ladder"]["competencies"]},
        "levels": data["ladder"]["levels"],
    }
    goals = dict(data["goals"])
    thresholds = goals.pop("thresholds")
    adjustments = {**data["adjustments"], "metrics": tuple(data["adjustments"]["metrics"])}
    report = {
        **data["report"],
        "sections": tuple(data["report"]["sections"]),
        "overrides": Path(data["report"]["overrides"]) if data["report"]["overrides"] else None,
    }
    try:
        return EvaluationConfig(
            # the default scorecard stays None: criteria whose tables are missing are dropped
            scorecard=None if card == default_scorecard() else card,
            segment_rules=_built(
                "[segments]", source, lambda: SegmentRules.from_dict(rules, source=source)
            ),
            service_policy=_built(
                "[service]", source, lambda: ServicePolicy.from_dict(data["service"], source=source)
            ),
            sla=_built("[sla]", source, lambda: SlaPolicy(**data["sla"])),
            career_ladder=_built(
                "[ladder]", source, lambda: CareerLadder.from_dict(ladder, source=source)
            ),
            attainment=_built(
                "[goals]",
                source,
                lambda: AttainmentOptions(
                    **goals,
                    thresholds=_built(
                        "[goals.thresholds]", source, lambda: StatusThresholds(**thresholds)
                    ),
                ),
            ),
            adjustment=_built("[adjustments]", source, lambda: AdjustmentPolicy(**adjustments)),
            **data["evaluation"],
            **report,
        )
    except ConfigError as error:
        if str(error).startswith(f"{source}: ["):  # placed by a section above
            raise
        section = "[evaluation]" if str(error).startswith(_EVALUATION_KEYS) else "[report]"
        raise ConfigError(f"{source}: {section} {error}") from None


#: The keys of ``[evaluation]``; the other settings of EvaluationConfig are ``[report]``'s.
_EVALUATION_KEYS: Final = ("sensitivity_draws", "history_periods")


def _built(section: str, source: str, build: Any) -> Any:
    """``build()``, its ConfigError prefixed with the file and the section."""
    try:
        return build()
    except ConfigError as error:
        message = str(error)
        if message.startswith(f"{source}: ["):  # already placed by an inner section
            raise
        message = message.removeprefix(f"{source}: ")
        raise ConfigError(f"{source}: {section} {message}") from None


def _check_keys(
    user: Mapping[str, Any], default: Mapping[str, Any], *, source: str, where: tuple[str, ...]
) -> None:
    """Raise ConfigError for a key the default lacks or a value of another kind than its."""
    for key, value in user.items():
        if key not in default:
            raise ConfigError(_unknown_key(key, default, source=source, where=where))
        path = (*where, key)
        expected = default[key]
        if isinstance(expected, Mapping):
            if not isinstance(value, Mapping):
                raise ConfigError(f"{source}: {_name(path)} must be a table like [{_name(path)}]")
            if path not in _FREE_TABLES:
                _check_keys(value, expected, source=source, where=path)
        elif not _same_kind(value, expected):
            raise ConfigError(
                f"{source}: {_name(path)} must be {_kind(expected)} "
                f"(the default is {_toml(expected)}), not {_toml(value)}"
            )


def _unknown_key(
    key: str, default: Mapping[str, Any], *, source: str, where: tuple[str, ...]
) -> str:
    """The message for a key or section the configuration does not know."""
    known = sorted(default)
    nearest = difflib.get_close_matches(key, known, n=1)
    hint = f"did you mean {nearest[0]!r}? " if nearest else ""
    if not where:
        return (
            f"{source}: unknown section [{key}]; {hint}"
            f"the sections are {', '.join(f'[{name}]' for name in known)}"
        )
    return (
        f"{source}: unknown key {key!r} in [{_name(where)}]; {hint}"
        f"the keys of [{_name(where)}] are {', '.join(known)}"
    )


def _same_kind(value: Any, expected: Any) -> bool:
    """Whether ``value`` is of the TOML kind of ``expected`` (a whole number passes as a number)."""
    if isinstance(expected, bool) or isinstance(value, bool):
        return isinstance(value, bool) and isinstance(expected, bool)
    if isinstance(expected, float):
        return isinstance(value, int | float)
    return isinstance(value, type(expected))


def _kind(expected: Any) -> str:
    """The kind of a TOML value, in words."""
    kinds = {bool: "true or false", int: "a whole number", float: "a number", str: "text"}
    return kinds.get(type(expected), "a list like [...]")


def _toml(value: Any) -> str:
    """``value`` written as in a TOML file (``true``, ``"text"``, ``[1, 2]``)."""
    return json.dumps(value, ensure_ascii=False, default=str)


def _name(path: tuple[str, ...]) -> str:
    """A key path written the TOML way: ``goals.thresholds``."""
    return ".".join(path)


def _merged(
    default: Mapping[str, Any], user: Mapping[str, Any], *, where: tuple[str, ...]
) -> dict[str, Any]:
    """``default`` with ``user`` laid over it: tables merged key by key, the rest replaced."""
    merged = dict(default)
    for key, value in user.items():
        path = (*where, key)
        inner = merged.get(key)
        if (
            isinstance(value, Mapping)
            and isinstance(inner, Mapping)
            and path not in _REPLACED_TABLES
        ):
            merged[key] = _merged(inner, value, where=path)
        else:
            merged[key] = value
    return merged
