"""The one calling rule, checked on the signatures of the public functions."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from typing import Any

import pytest

#: The public namespaces whose functions are checked here (not ``periods``, whose
#: functions are over a period: it is their subject, and comes first).
MODULES = (
    "am_analytics",
    "am_analytics.scoring",
    "am_analytics.segments",
    "am_analytics.goals",
    "am_analytics.io",
    "am_analytics.plots",
    "am_analytics.feedback",
    "am_analytics.development",
    "am_analytics.ratings",
    "am_analytics.metrics",
    "am_analytics.sample",
)


def _public_functions() -> list[tuple[str, Callable[..., Any]]]:
    found = []
    for name in MODULES:
        module = importlib.import_module(name)
        for attribute in module.__all__:
            value = getattr(module, attribute)
            if inspect.isfunction(value):
                found.append((f"{name}.{attribute}", value))
    return found


FUNCTIONS = _public_functions()


@pytest.mark.parametrize(("name", "function"), FUNCTIONS, ids=[n for n, _ in FUNCTIONS])
def test_periods_and_as_of_are_keyword_only_and_options_are_named(
    name: str, function: Callable[..., Any]
) -> None:
    """``period``, ``periods`` and ``as_of`` by keyword; no ``**options`` beside named ones."""
    parameters = inspect.signature(function).parameters.values()
    for parameter in parameters:
        if parameter.name in ("period", "periods", "as_of"):
            assert parameter.kind is parameter.KEYWORD_ONLY, f"{name}: {parameter.name}"
    variadic = [p.name for p in parameters if p.kind is p.VAR_KEYWORD]
    # from_frames takes the tables themselves by name (managers=..., sales=...); plots
    # hand their keywords on to matplotlib, as every plotting library's functions do.
    allowed = ["tables"] if name.endswith(".from_frames") else []
    if name.startswith("am_analytics.plots."):
        allowed = ["kwargs"]
    assert variadic in ([], allowed), name


@pytest.mark.parametrize(("name", "function"), FUNCTIONS, ids=[n for n, _ in FUNCTIONS])
def test_a_dataset_comes_first_and_one_frame_at_most_by_position(
    name: str, function: Callable[..., Any]
) -> None:
    """A Dataset is only ever the first argument; a frame first leaves other frames to keywords."""
    positional = [
        p
        for p in inspect.signature(function).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    annotations = [str(p.annotation) for p in positional]
    assert all("Dataset" not in a for a in annotations[1:]), name
    frames = [a for a in annotations if "DataFrame" in a and a != "pd.DataFrame | None"]
    assert len(frames) <= 1, f"{name}: {annotations}"
