"""Shared fixtures: a small, valid organisation written by hand."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
from hypothesis import settings

# The same examples on every run, so that a red run can be reproduced and CI does
# not depend on luck; HYPOTHESIS_PROFILE=explore draws fresh ones.
settings.register_profile("deterministic", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "deterministic"))

AS_OF = pd.Timestamp("2026-11-15")


def tiny_tables() -> dict[str, pd.DataFrame]:
    """All nine tables, a few valid rows each, as raw text like a CSV export."""
    return {
        "managers": pd.DataFrame(
            {
                "manager_id": ["M1", "M2", "M3"],
                "name": ["王芳", "李雷", "张伟"],
                "team": ["华东一组", "华东一组", "华北组"],
                "region": ["华东", "华东", "华北"],
                "hire_date": ["2020-03-01", "2021-07-15", "2019-01-02"],
                "status": ["active", "active", "left"],
            }
        ),
        "clients": pd.DataFrame(
            {
                "client_id": ["C1", "C2", "C3", "C4"],
                "manager_id": ["M1", "M1", "M2", "M3"],
                "name": [
                    "上海华信科技有限公司",
                    "杭州云帆贸易有限公司",
                    "苏州恒通物流",
                    "北京远景能源",
                ],
                "created_date": ["2021-01-05", "2022-02-10", "2023-03-15", "2020-12-01"],
            }
        ),
        "sales": pd.DataFrame(
            {
                "order_id": ["S1", "S2", "S3", "S4", "S5"],
                "client_id": ["C1", "C1", "C2", "C3", "C4"],
                "manager_id": ["M1", "M1", "M1", "M2", "M3"],
                "order_date": [
                    "2026-07-01",
                    "2026-07-15",
                    "2026-08-01",
                    "2026-09-30",
                    "2026-02-28",
                ],
                "amount": ["1200.50", "-200", "3000", "450", "99.9"],
                "product": ["A", "A", "B", "B", "C"],
            }
        ),
        "surveys": pd.DataFrame(
            {
                "response_id": ["R1", "R2", "R3"],
                "client_id": ["C1", "C2", "C3"],
                "manager_id": ["M1", "M1", "M2"],
                "survey_date": ["2026-07-20", "2026-08-05", "2026-10-01"],
                "csat": ["5", "4", None],
                "nps": ["10", None, "6"],
            }
        ),
        "feedback": pd.DataFrame(
            {
                "feedback_id": ["F1", "F2"],
                "client_id": ["C1", "C3"],
                "manager_id": ["M1", "M2"],
                "kind": ["complaint", "praise"],
                "opened_at": ["2026-07-02 09:00", "2026-08-01 10:00"],
                "resolved_at": ["2026-07-02 17:30", None],
                "severity": ["high", None],
            }
        ),
        "ratings": pd.DataFrame(
            {
                "manager_id": ["M1", "M1", "M2"],
                "period": ["2026Q3", "2026Q3", "2026Q3"],
                "rater_id": ["S-1", "M2", "S-1"],
                "rater_role": ["supervisor", "peer", "supervisor"],
                "competency": ["communication", "communication", "teamwork"],
                "score": ["4", "5", "3"],
            }
        ),
        "goals": pd.DataFrame(
            {
                "goal_id": ["G1", "G1", "G2"],
                "owner_id": ["M1", "M1", "华东一组"],
                "owner_kind": ["manager", "manager", "team"],
                "metric": ["sales_amount"] * 3,
                "target": ["10000", "9000", "25000"],
                "period_start": ["2026-10-01"] * 3,
                "period_end": ["2026-12-31"] * 3,
                "set_on": ["2026-09-25", "2026-11-01", "2026-09-25"],
                "revision": ["1", "2", "1"],
            }
        ),
        "training": pd.DataFrame(
            {
                "record_id": ["T1", "T2"],
                "manager_id": ["M1", "M2"],
                "course_id": ["TR-SS-01", "TR-PK-01"],
                "category": ["sales_skills", "product_knowledge"],
                "start_date": ["2026-03-02", "2026-04-06"],
                "end_date": ["2026-03-03", "2026-04-06"],
                "hours": ["12", "6"],
                "completed": ["true", "false"],
                "assessment_score": ["88", None],
            }
        ),
        "opportunities": pd.DataFrame(
            {
                "opportunity_id": ["O1", "O2", "O3"],
                "client_id": ["C1", "C2", "C4"],
                "manager_id": ["M1", "M1", "M3"],
                "amount": ["50000", "12000", "8000"],
                "status": ["open", "won", "lost"],
                "probability": ["0.4", "1", "0"],
                "expected_close": ["2026-12-15", "2026-09-01", "2026-05-01"],
            }
        ),
    }


@pytest.fixture
def tables() -> dict[str, pd.DataFrame]:
    """A fresh copy of the tiny organisation for each test."""
    return tiny_tables()


@pytest.fixture(scope="module")
def dask_client() -> Iterator[Any]:
    """A `distributed.Client` on a two-process local cluster, the default scheduler meanwhile.

    One per test module: its worker processes end with the module, so that the
    tests that count a process's children see only their own.
    """
    distributed = pytest.importorskip("distributed")
    # Worker processes (not threads) so that every task's inputs and outputs are
    # pickled across a process boundary, as on a real cluster. The scheduler's
    # HTTP server starts even without a dashboard, on port 8787 unless told
    # otherwise: a free port, so that another cluster on the machine does not
    # turn the test run red with a port warning.
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client
