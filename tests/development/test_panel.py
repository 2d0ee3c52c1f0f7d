"""The outcome panel of training_impact: managers of the sales read through their categories."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from am_analytics import load_sample
from am_analytics.development._panel import _manager_rows, _Panel

MANAGERS = ["M1", "M2", "M3", "M4"]


def dataset_with(credited: pd.Series) -> object:
    """A stand-in dataset: the managers M1..M4 and the sales' credited managers."""
    managers = pd.DataFrame({"manager_id": pd.Series(MANAGERS, dtype="str")})
    sales = pd.DataFrame({"manager_id": credited})
    return type("Tables", (), {"managers": managers, "sales": sales})()


def test_manager_rows_by_hand() -> None:
    """Known ids get their row, an id not in managers and a missing one get -1."""
    credited = pd.Series(
        pd.Categorical(["M3", "M9", None, "M1", "M3"], categories=["M9", "M3", "M1"])
    )
    rows = _manager_rows(dataset_with(credited))  # type: ignore[arg-type]
    assert rows.tolist() == [2, -1, -1, 0, 2]


@settings(max_examples=60, deadline=None)
@given(
    ids=st.lists(st.sampled_from([*MANAGERS, "M7", "M8", None]), max_size=40),
    extra=st.lists(st.sampled_from(["M5", "M6", "M1"]), max_size=3, unique=True),
)
def test_manager_rows_equal_the_lookup_by_text(ids: list[str | None], extra: list[str]) -> None:
    """Through the categories (any order, unused ones too) as looking each id up as text."""
    categories = sorted({i for i in ids if i is not None} | set(extra), reverse=True)
    credited = pd.Series(pd.Categorical(ids, categories=categories))
    tables = dataset_with(credited)
    expected = pd.Index(MANAGERS).get_indexer(pd.Index(credited.astype("str")))
    assert _manager_rows(tables).tolist() == expected.tolist()  # type: ignore[arg-type]
    as_text = dataset_with(credited.astype("str"))
    assert _manager_rows(as_text).tolist() == expected.tolist()  # type: ignore[arg-type]


def test_panel_same_with_text_manager_ids() -> None:
    """The sample's panel is the same whether sales.manager_id is categorical or text."""
    data = load_sample()
    as_text = dataclasses.replace(
        data, sales=data.sales.assign(manager_id=data.sales["manager_id"].astype("str"))
    )
    options = {"outcome": "sales_amount", "freq": "Q", "log": True, "as_of": "2026-11-15"}
    coded = _Panel.build(data, **options)  # type: ignore[arg-type]
    text = _Panel.build(as_text, **options)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(coded.frame, text.frame, check_exact=True)
    assert np.array_equal(coded.bounds, text.bounds) and coded.dropped == text.dropped
