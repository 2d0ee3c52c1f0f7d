"""CRM export import benchmark: ``read_export`` beside plain pandas and polars.

Two exports are written once to ``benchmarks/.data``:

* Zoho CRM: N deals (70% won) and N/10 accounts, with the ``zcrm_`` ids,
  lookup ``.id`` columns and labels of the UI export;
* 纷享销客: N sales orders (3% voided) and N/10 accounts as GBK CSV with Chinese
  labels, whose orders name their client by 客户名称 (names, not ids).

For each, the ways to get canonical sales out of it, in the same run:

* ``pandas``: the plain steps (read, strip id prefixes or look names up, parse
  dates, keep won deals / 正常 orders), with no validation, rejects or report;
* ``polars``: the same in polars (Zoho only: polars reads UTF-8 only);
* ``am_analytics``: ``read_export(folder)``: mapping, the rules of ``load`` on
  every table, rejects with file and row, and the mapping report.

Goal: ``read_export`` within 4x the plain pandas steps (it validates every
table where they build one); the peers' sales counts must equal ours.

Usage::

    python benchmarks/bench_crm.py             # 1M deals
    python benchmarks/bench_crm.py --deals 5   # 5M deals
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from timing import median_seconds, verdict

DATA = Path(__file__).with_name(".data")
GOAL = 4.0


def prepare(millions: float) -> Path:
    """Write the Deals and Accounts exports once (kept between runs)."""
    folder = DATA / f"zoho_{millions:g}m"
    if (folder / "Deals.csv").exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    n = int(millions * 1_000_000)
    rng = np.random.default_rng(0)
    accounts, managers = n // 10, 500
    ids = pd.Series(np.arange(n) + 4_876_876_000_000_000_000).astype("str")
    closing = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 1000, n), "D")
    pd.DataFrame(
        {
            "Record Id": "zcrm_" + ids,
            "Deal Owner.id": "zcrm_" + pd.Series(rng.integers(100, 100 + managers, n)).astype(str),
            "Deal Owner": "Owner",
            "Deal Name": "deal",
            "Amount": rng.gamma(2, 500, n).round(2),
            "Closing Date": closing.strftime("%Y-%m-%d"),
            "Account Name.id": "zcrm_" + pd.Series(rng.integers(0, accounts, n) + 2000).astype(str),
            "Account Name": "account",
            "Stage": np.where(rng.random(n) < 0.7, "Closed Won", "Qualification"),
            "Probability (%)": 100,
            "Created Time": "2024-01-01 09:00:00",
        }
    ).to_csv(folder / "Deals.csv", index=False)
    pd.DataFrame(
        {
            "Record Id": "zcrm_" + pd.Series(np.arange(accounts) + 2000).astype(str),
            "Account Owner.id": "zcrm_"
            + pd.Series(rng.integers(100, 100 + managers, accounts)).astype(str),
            "Account Owner": "Owner",
            "Account Name": "account",
        }
    ).to_csv(folder / "Accounts.csv", index=False)
    return folder


def plain_pandas(folder: Path) -> int:
    """Won deals as sales with plain pandas: read, strip prefixes, parse, filter."""
    deals = pd.read_csv(folder / "Deals.csv", dtype={"Record Id": "str"})
    for column in ("Record Id", "Deal Owner.id", "Account Name.id"):
        deals[column] = deals[column].str.removeprefix("zcrm_")
    deals["Closing Date"] = pd.to_datetime(deals["Closing Date"], format="%Y-%m-%d")
    deals["Created Time"] = pd.to_datetime(deals["Created Time"], format="%Y-%m-%d %H:%M:%S")
    won = deals[deals["Stage"] == "Closed Won"]
    return len(won)


def plain_polars(folder: Path) -> int:
    """The same steps in polars."""
    import polars as pl

    ids = ("Record Id", "Deal Owner.id", "Account Name.id")
    deals = pl.read_csv(folder / "Deals.csv", schema_overrides={c: pl.String for c in ids})
    deals = deals.with_columns(
        *(pl.col(c).str.strip_prefix("zcrm_") for c in ids),
        pl.col("Closing Date").str.to_date("%Y-%m-%d"),
        pl.col("Created Time").str.to_datetime("%Y-%m-%d %H:%M:%S"),
    )
    return deals.filter(pl.col("Stage") == "Closed Won").height


def prepare_fxiaoke(millions: float) -> Path:
    """Write the 销售订单 and 客户 exports (GBK) once."""
    folder = DATA / f"fxiaoke_{millions:g}m"
    if (folder / "销售订单.csv").exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    n = int(millions * 1_000_000)
    rng = np.random.default_rng(1)
    accounts = n // 10
    names = np.array([f"客户{i:07d}" for i in range(accounts)], dtype=object)
    people = np.array([f"经理{i:03d}" for i in range(500)], dtype=object)
    dates = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 1000, n), "D")
    pd.DataFrame(
        {
            "销售订单编号": pd.Series(np.arange(n)).map("SO{:08d}".format),
            "客户名称": names[rng.integers(0, accounts, n)],
            "下单日期": dates.strftime("%Y-%m-%d"),
            "销售订单金额(元)": rng.gamma(2, 500, n).round(2),
            "负责人": people[rng.integers(0, 500, n)],
            "生命状态": np.where(rng.random(n) < 0.97, "正常", "作废"),
        }
    ).to_csv(folder / "销售订单.csv", index=False, encoding="gbk")
    pd.DataFrame(
        {
            "客户编号": pd.Series(np.arange(accounts)).map("A{:07d}".format),
            "客户名称": names,
            "负责人": people[rng.integers(0, 500, accounts)],
            "生命状态": "正常",
        }
    ).to_csv(folder / "客户.csv", index=False, encoding="gbk")
    return folder


def plain_pandas_fxiaoke(folder: Path) -> int:
    """Realised orders with client ids, with plain pandas: read GBK, look names up, filter."""
    orders = pd.read_csv(folder / "销售订单.csv", encoding="gbk")
    accounts = pd.read_csv(folder / "客户.csv", encoding="gbk")
    ids = accounts.set_index("客户名称")["客户编号"]
    orders["client_id"] = orders["客户名称"].map(ids)
    orders["下单日期"] = pd.to_datetime(orders["下单日期"], format="%Y-%m-%d")
    return int((orders["生命状态"] == "正常").sum())


def compare(name: str, ours: float, peers: dict[str, float], data: Any) -> None:
    """Print one export's figures and its goal line."""
    print(f"{name}:")
    for label, seconds in {"am_analytics read_export": ours, **peers}.items():
        print(f"  {label:<26} {seconds:6.2f} s")
    summary = data.summary()[["table", "rows_read", "rows_kept", "rows_rejected"]]
    print("  " + summary.to_string(index=False).replace("\n", "\n  "))
    ratio = ours / peers["pandas (no checks)"]
    print(
        f"  read_export / plain pandas = {ratio:.2f}x (goal <= {GOAL:g}x): {verdict(ratio <= GOAL)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=float, default=1, help="millions of deals")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from am_analytics.io import fxiaoke, zoho

    folder = prepare(args.deals)
    print(f"{args.deals:g}M deals / orders; medians of {args.runs} runs")
    ours, data = median_seconds(lambda: zoho.read_export(folder), args.runs)
    peers = {}
    peers["pandas (no checks)"], won = median_seconds(lambda: plain_pandas(folder), args.runs)
    assert won == len(data.sales), (won, len(data.sales))
    try:
        peers["polars (no checks)"], won = median_seconds(lambda: plain_polars(folder), args.runs)
        assert won == len(data.sales)
    except ImportError:
        print("polars not installed: pip install -e '.[bench]'")
    compare("Zoho CRM export", ours, peers, data)

    folder = prepare_fxiaoke(args.deals)
    ours, data = median_seconds(lambda: fxiaoke.read_export(folder), args.runs)
    plain, realised = median_seconds(lambda: plain_pandas_fxiaoke(folder), args.runs)
    assert realised == len(data.sales), (realised, len(data.sales))
    compare("纷享销客 export (GBK, names)", ours, {"pandas (no checks)": plain}, data)


if __name__ == "__main__":
    main()
