"""Training recommendations: the courses that close each manager's largest gaps first."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Final

import pandas as pd

from .._checks import require_columns
from .._deprecation import keyword_only_since
from ..config import read_toml
from ..errors import ConfigError

#: The competencies a course of each training category develops. Compliance
#: courses keep a manager within the rules; they close no competency gap.
CATEGORY_COMPETENCIES: Final = MappingProxyType(
    {
        "sales_skills": ("communication", "problem_solving"),
        "product_knowledge": ("product_knowledge",),
        "market_analysis": ("client_focus", "problem_solving"),
        "customer_service": ("client_focus",),
        "communication": ("communication",),
        "leadership": ("teamwork",),
        "compliance": (),
    }
)


def catalog_from_training(
    training: pd.DataFrame,
    *,
    competencies: Mapping[str, Sequence[str]] = CATEGORY_COMPETENCIES,
) -> pd.DataFrame:
    """The course catalogue implied by a training table: its courses and what they develop.

    Parameters
    ----------
    training
        ``course_id`` and ``category`` (a validated training table).
    competencies
        The competencies each category develops; default
        :data:`CATEGORY_COMPETENCIES`. Categories it does not name (or maps to
        nothing, like compliance) develop none and are left out.

    Returns
    -------
    pandas.DataFrame
        One row per (course, competency): ``course_id``, ``category``,
        ``competency``, sorted by course and competency.

    Examples
    --------
    >>> training = pd.DataFrame({"course_id": ["TR-SS-01", "TR-SS-01", "TR-CP-01"],
    ...                          "category": ["sales_skills", "sales_skills", "compliance"]})
    >>> catalog_from_training(training)
      course_id      category       competency
    0  TR-SS-01  sales_skills    communication
    1  TR-SS-01  sales_skills  problem_solving
    """
    require_columns(training, ["course_id", "category"], "training")
    courses = training[["course_id", "category"]].astype("str").drop_duplicates()
    return _explode_catalog(courses, courses["category"].map(competencies))


def load_training_catalog(
    path: str | Path,
    *,
    competencies: Mapping[str, Sequence[str]] = CATEGORY_COMPETENCIES,
) -> pd.DataFrame:
    """Read a course catalogue from TOML: ``[[courses]]`` with course_id, category, competencies.

    ``competencies = [...]`` is optional per course; without it the course
    develops its category's competencies (``competencies=``, default
    :data:`CATEGORY_COMPETENCIES`). Returns the layout of
    :func:`catalog_from_training`.

    Raises
    ------
    ConfigError
        If the file cannot be read or a course lacks ``course_id``/``category``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> text = '''
    ... [[courses]]
    ... course_id = "LD-01"
    ... category = "leadership"
    ... [[courses]]
    ... course_id = "CS-01"
    ... category = "customer_service"
    ... competencies = ["client_focus", "communication"]
    ... '''
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "catalog.toml"
    >>> _ = path.write_text(text, encoding="utf-8")
    >>> load_training_catalog(path)["competency"].tolist()
    ['client_focus', 'communication', 'teamwork']
    """
    path = Path(path)
    data = read_toml(path, what="course catalogue")
    raw = data.get("courses")
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"{path}: expected one or more [[courses]] tables")
    for number, course in enumerate(raw, start=1):
        if not {"course_id", "category"} <= set(course):
            raise ConfigError(f"{path}: course {number} needs course_id and category")
    courses = pd.DataFrame(
        {
            "course_id": [str(c["course_id"]) for c in raw],
            "category": [str(c["category"]) for c in raw],
        }
    )
    developed = pd.Series(
        [c.get("competencies", competencies.get(str(c["category"]), ())) for c in raw]
    )
    return _explode_catalog(courses, developed)


def _explode_catalog(courses: pd.DataFrame, developed: pd.Series) -> pd.DataFrame:
    """One row per (course, competency developed), sorted."""
    long = courses.reset_index(drop=True).assign(
        competency=developed.reset_index(drop=True).map(
            lambda values: list(values) if isinstance(values, list | tuple) else []
        )
    )
    long = long.explode("competency").dropna(subset=["competency"])
    long = long.astype({"competency": "str"}).drop_duplicates(["course_id", "competency"])
    return long.sort_values(["course_id", "competency"]).reset_index(drop=True)


@keyword_only_since("catalog")
def recommend_training(
    gaps: pd.DataFrame,
    *,
    catalog: pd.DataFrame,
    gap: str = "gap",
    completed: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per manager, the courses that close the largest competency gaps first.

    Parameters
    ----------
    gaps
        ``manager_id``, ``competency`` and the gap column (from :func:`skill_gaps`).
    catalog
        ``course_id``, ``category``, ``competency`` (:func:`catalog_from_training`,
        :func:`load_training_catalog`).
    gap
        The gap to close: ``"gap"`` (to the next level) or ``"gap_current"``
        (to the level held).
    completed
        Optional training records (``manager_id``, ``course_id``,
        ``completed``): courses a manager completed are not recommended again.

    Returns
    -------
    pandas.DataFrame
        Columns ``manager_id``, ``rank`` (1 = first to take), ``course_id``,
        ``category``, ``competency`` (the largest gap the course addresses) and
        ``gap``; only gaps > 0, sorted by manager and rank.

    Notes
    -----
    Each course appears once per manager, with the largest gap it closes.
    Courses are ranked by that gap (largest first), then by the number of
    the manager's gaps the course addresses (more first), then by course_id.

    Examples
    --------
    >>> gaps = pd.DataFrame({"manager_id": ["M1", "M1", "M1"],
    ...                      "competency": ["teamwork", "client_focus", "communication"],
    ...                      "gap": [0.2, 0.5, 0.0]})
    >>> catalog = pd.DataFrame({"course_id": ["LD-1", "MA-1", "MA-1"],
    ...                         "category": ["leadership", "market_analysis", "market_analysis"],
    ...                         "competency": ["teamwork", "client_focus", "problem_solving"]})
    >>> recommend_training(gaps, catalog=catalog)
      manager_id  rank course_id         category    competency  gap
    0         M1     1      MA-1  market_analysis  client_focus  0.5
    1         M1     2      LD-1       leadership      teamwork  0.2
    """
    require_columns(gaps, ["manager_id", "competency", gap], "gaps")
    require_columns(catalog, ["course_id", "category", "competency"], "catalog")
    open_gaps = pd.DataFrame(
        {
            "manager_id": gaps["manager_id"].astype("str").to_numpy(),
            "competency": gaps["competency"].astype("str").to_numpy(),
            "gap": gaps[gap].to_numpy(dtype="float64"),
        }
    )
    open_gaps = open_gaps[open_gaps["gap"] > 0]
    courses = catalog[["course_id", "category", "competency"]].astype("str")
    offers = open_gaps.merge(courses, on="competency")
    if completed is not None:
        offers = _drop_completed(offers, completed)
    offers = offers.assign(
        n_gaps=offers.groupby(["manager_id", "course_id"])["gap"].transform("size")
    )
    best = offers.sort_values(
        ["manager_id", "gap", "n_gaps", "course_id", "competency"],
        ascending=[True, False, False, True, True],
        kind="stable",
    ).drop_duplicates(["manager_id", "course_id"])
    best = best.assign(rank=best.groupby("manager_id").cumcount().astype("int64") + 1)
    columns = ["manager_id", "rank", "course_id", "category", "competency", "gap"]
    return best[columns].reset_index(drop=True)


def _drop_completed(offers: pd.DataFrame, completed: pd.DataFrame) -> pd.DataFrame:
    """Offers of courses the manager has not completed."""
    require_columns(completed, ["manager_id", "course_id", "completed"], "completed")
    done = completed[completed["completed"].fillna(False).astype("bool")]
    taken = pd.MultiIndex.from_arrays(
        [done["manager_id"].astype("str"), done["course_id"].astype("str")]
    )
    key = pd.MultiIndex.from_arrays([offers["manager_id"], offers["course_id"]])
    return offers[~key.isin(taken)]
