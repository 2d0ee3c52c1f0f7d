"""The package as a whole: a light import and a curated public API."""

from __future__ import annotations

import subprocess
import sys

import pytest

import am_analytics


def test_import_stays_light() -> None:
    """Importing am_analytics loads none of the heavy libraries; the API loads on first use."""
    code = (
        "import sys, am_analytics; "
        "heavy = {'pandas', 'scipy', 'pandera', 'sklearn', 'statsmodels', 'matplotlib', "
        "'httpx', 'openpyxl', 'typer', 'rich', 'fastapi', 'dask', 'distributed'}; "
        "print(sorted(heavy & {m.split('.')[0] for m in sys.modules}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_public_api_is_exported() -> None:
    """Everything in __all__ exists (and dir() lists it), and the error family has one root."""
    for name in am_analytics.__all__:
        assert hasattr(am_analytics, name), name
        assert name in dir(am_analytics), name
    with pytest.raises(AttributeError, match="no attribute 'evaluat'"):
        am_analytics.evaluat  # noqa: B018
    for error in (
        am_analytics.DataValidationError,
        am_analytics.InputFileError,
        am_analytics.MissingTableError,
        am_analytics.ConfigError,
        am_analytics.CrmFormatError,
    ):
        assert issubclass(error, am_analytics.AmAnalyticsError)


def test_an_evaluation_configuration_comes_without_scikit_learn() -> None:
    """The default segment rules and service policy (an EvaluationConfig) load no sklearn.

    A parallel evaluation forks its sections before any imports scikit-learn,
    so the segments section's process loads it while the others compute.
    """
    code = (
        "import sys, am_analytics; am_analytics.EvaluationConfig(); print('sklearn' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_every_name_of_segments_resolves() -> None:
    """The names segments loads on first use are there, and an unknown one is an AttributeError."""
    from am_analytics import segments

    for name in segments.__all__:
        assert getattr(segments, name).__name__ == name
    with pytest.raises(AttributeError, match="no attribute 'ValueSegmentor'"):
        segments.ValueSegmentor  # noqa: B018
