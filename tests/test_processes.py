"""Forked parts of a job: results, errors and warnings come back whole; n_jobs is checked."""

from __future__ import annotations

import inspect
import os
import pickle
import threading
import warnings

import pandas as pd
import pytest

from am_analytics import errors
from am_analytics._processes import Forked, RemoteTraceback, can_fork, resolve_jobs

pytestmark = pytest.mark.skipif(not can_fork(), reason="parts run in forked children on Linux")

#: Every error class of am_analytics, with the keyword context its constructor takes.
CONTEXT = {
    "DataValidationError": {"rejects": pd.DataFrame({"row": [3]}), "missing": {"sales": ["id"]}},
    "InputFileError": {"source": "sales.csv"},
    "MissingTableError": {"tables": ["goals"]},
    "EmptyPeriodError": {
        "period": "2019Q1",
        "first_date": pd.Timestamp("2024-01-01"),
        "last_date": None,
    },
    "OutputPathError": {"path": "out/x.csv"},
    "CrmError": {"crm": "zoho", "code": "INVALID_TOKEN", "vendor_message": "bad", "status": 401},
    "CrmFormatError": {"crm": "fxiaoke", "source": "export.xlsx"},
}


def _error_classes() -> list[type[errors.AmAnalyticsError]]:
    return [
        kind
        for _, kind in inspect.getmembers(errors, inspect.isclass)
        if issubclass(kind, errors.AmAnalyticsError)
    ]


def test_the_value_returned_in_the_child_comes_back() -> None:
    """A frame made in the child equals the one made here, and the child is another process."""
    parent = os.getpid()
    child = Forked(lambda: (os.getpid(), pd.DataFrame({"a": [1.5, 2.5]}).sum()))
    pid, sums = child.result()
    assert pid != parent
    assert sums["a"] == 4.0


def test_the_child_sees_the_parents_memory_without_pickling() -> None:
    """What the parent holds at fork time (here a lock, which cannot pickle) is the child's."""
    lock = threading.Lock()
    assert Forked(lambda: lock.acquire(blocking=False)).result() is True
    assert not lock.locked()  # the child's acquire was on its own copy


@pytest.mark.parametrize("kind", _error_classes(), ids=lambda kind: kind.__name__)
def test_every_error_pickles_with_its_context(kind: type[errors.AmAnalyticsError]) -> None:
    """Message, class and context attributes survive pickling (errors cross processes)."""
    context = CONTEXT.get(kind.__name__, {})
    error = kind("what, where, what to do", **context)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is kind
    assert str(copy) == "what, where, what to do"
    for name, value in vars(error).items():
        if isinstance(value, pd.DataFrame):
            pd.testing.assert_frame_equal(getattr(copy, name), value)
        else:
            assert getattr(copy, name) == value


def test_an_error_in_the_child_is_raised_here_with_its_context_and_traceback() -> None:
    """The child's error is raised by result(): same class, attributes, the child's traceback."""

    def fail() -> None:
        raise errors.MissingTableError("no goals table", tables=["goals"])

    with pytest.raises(errors.MissingTableError, match="no goals table") as raised:
        Forked(fail).result()
    assert raised.value.tables == ["goals"]
    assert isinstance(raised.value.__cause__, RemoteTraceback)
    assert "in fail" in str(raised.value.__cause__)


def test_an_error_that_cannot_pickle_arrives_as_a_runtime_error_naming_it() -> None:
    """An exception holding an unpicklable object still reports its class and message."""

    class Local(Exception):  # defined in a function: pickle cannot find the class
        pass

    def fail() -> None:
        raise Local("details")

    with pytest.raises(RuntimeError, match="Local: details"):
        Forked(fail).result()


def test_a_result_that_cannot_pickle_is_a_clear_error() -> None:
    """A return value that cannot travel back is a RuntimeError, not a hang."""
    with pytest.raises(RuntimeError, match="could not be sent back"):
        Forked(threading.Lock).result()


def test_a_child_that_dies_is_a_clear_error() -> None:
    """A child killed before it answers gives its exit code, not a hang."""
    with pytest.raises(RuntimeError, match="exit code 3"):
        Forked(lambda: os._exit(3)).result()


def test_warnings_of_the_child_are_issued_here_under_these_filters() -> None:
    """A warning of the child is issued again in the parent, where its filters apply."""

    def warn() -> int:
        warnings.warn("a criterion left out", errors.MissingTableWarning, stacklevel=1)
        return 1

    with pytest.warns(errors.MissingTableWarning, match="a criterion left out"):
        assert Forked(warn).result() == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(errors.MissingTableWarning):
            Forked(warn).result()


def test_cancel_stops_a_running_child() -> None:
    """cancel() ends a child that would run for a minute, at once."""
    child = Forked(lambda: __import__("time").sleep(60))
    child.cancel()
    assert not child._process.is_alive()


@pytest.mark.parametrize("n_jobs", [0, -2, 1.5, True, "2"])
def test_n_jobs_other_than_a_count_or_minus_one_is_a_config_error(n_jobs: object) -> None:
    """n_jobs must be None, -1 or a whole number >= 1; the message names what it got."""
    with pytest.raises(errors.ConfigError, match="n_jobs must be"):
        resolve_jobs(n_jobs)  # type: ignore[arg-type]


def test_n_jobs_minus_one_is_the_cores_this_process_may_use() -> None:
    """-1 counts the cores of this process's CPU affinity."""
    assert resolve_jobs(-1) == len(os.sched_getaffinity(0))
