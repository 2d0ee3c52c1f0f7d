"""Training records and the planted lift of completed courses on sales (truth 5)."""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..schemas import TRAINING_CATEGORIES
from ._common import _dates, _frame, _sequential_ids, _strings, _uniform_days
from ._world import IntArray, _Managers, _Span, _Training

# ---------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------

#: Multiplicative lift of the credited manager's order amounts from the day
#: after completing a course of the category (compounding over categories).
TRAINING_EFFECTS: Final = MappingProxyType(
    {
        "sales_skills": 0.15,
        "product_knowledge": 0.08,
        "market_analysis": 0.05,
        "compliance": 0.0,
    }
)
#: Share of managers taking one course of each category during the span.
TRAINING_UPTAKE: Final = MappingProxyType(
    {
        "sales_skills": 0.45,
        "product_knowledge": 0.50,
        "market_analysis": 0.35,
        "compliance": 0.60,
    }
)
#: Share of training records completed (an uncompleted course has no effect).
COMPLETION_SHARE: Final = 0.9
#: The course catalogue: (course_id, category, days from start to end date, hours).
COURSES: Final = (
    ("TR-SS-01", "sales_skills", 2, 16.0),
    ("TR-SS-02", "sales_skills", 3, 24.0),
    ("TR-PK-01", "product_knowledge", 1, 8.0),
    ("TR-PK-02", "product_knowledge", 2, 12.0),
    ("TR-MA-01", "market_analysis", 2, 14.0),
    ("TR-MA-02", "market_analysis", 5, 32.0),
    ("TR-CP-01", "compliance", 1, 4.0),
    ("TR-CP-02", "compliance", 1, 6.0),
)


# ---------------------------------------------------------------------------
# Simulation
# ---------------------------------------------------------------------------


def _simulate_training(span: _Span, managers: _Managers, rng: np.random.Generator) -> _Training:
    """At most one course per manager and category, at a random date of employment."""
    parts: list[tuple[IntArray, IntArray, IntArray, IntArray]] = []
    course_category = np.asarray([course[1] for course in COURSES])
    course_days = np.asarray([course[2] for course in COURSES], dtype=np.int64)
    low = np.maximum(managers.hire_day, 0) + 14
    high = np.minimum(managers.inactive_day, span.n_days) - 1 - int(course_days.max())
    for category in TRAINING_CATEGORIES:  # one iteration per category
        uptake = TRAINING_UPTAKE.get(category, 0.0)
        if uptake == 0.0:
            continue
        courses = np.flatnonzero(course_category == category)
        takes = np.flatnonzero((rng.random(managers.n) < uptake) & (high > low))
        course = courses[rng.integers(0, courses.size, takes.size)]
        start_day = _uniform_days(rng, low[takes], high[takes])
        parts.append((takes, course, start_day, start_day + course_days[course]))
    manager, course, start_day, end_day = (
        np.concatenate(column) for column in zip(*parts, strict=True)
    )
    order = np.lexsort((manager, start_day))
    completed = rng.random(order.size) < COMPLETION_SHARE
    score = np.round(
        np.clip(rng.normal(78.0, 8.0, order.size) + 4.0 * managers.skill[manager[order]], 0, 100), 1
    )
    return _Training(
        manager=manager[order],
        course=course[order],
        start_day=start_day[order],
        end_day=end_day[order],
        completed=completed,
        score=np.where(completed, score, np.nan),
    )


def _training_log_lift(
    span: _Span, managers: _Managers, training: _Training
) -> npt.NDArray[np.float32]:
    """Log sales multiplier of each manager on each day from completed courses."""
    effects = np.asarray([TRAINING_EFFECTS[course[1]] for course in COURSES])
    lift = np.zeros((managers.n, span.n_days), dtype=np.float32)
    # The effect starts the day after the course ends.
    day = training.end_day + 1
    done = training.completed & (day < span.n_days)
    np.add.at(lift, (training.manager[done], day[done]), np.log1p(effects[training.course[done]]))
    return np.cumsum(lift, axis=1, out=lift)


def _training_frame(span: _Span, managers: _Managers, training: _Training) -> pd.DataFrame:
    """The ``training`` table."""
    n = training.manager.size
    return _frame(
        {
            "record_id": pd.Series(_sequential_ids("TRN", n, 5), dtype="str"),
            "manager_id": _strings(managers.ids, training.manager),
            "course_id": _strings([course[0] for course in COURSES], training.course),
            "category": _strings([course[1] for course in COURSES], training.course),
            "start_date": _dates(span, training.start_day),
            "end_date": _dates(span, training.end_day),
            "hours": np.asarray([course[3] for course in COURSES])[training.course],
            "completed": training.completed.astype(bool),
            "assessment_score": training.score,
        }
    )
