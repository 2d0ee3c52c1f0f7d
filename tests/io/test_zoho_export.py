"""Zoho CRM UI exports (tests/data/zoho) into canonical tables, rejects and the mapping report."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from am_analytics.errors import CrmFormatError, MissingTableError
from am_analytics.io.zoho import mapping_report, read_export

DATA = Path(__file__).parents[1] / "data" / "zoho"
ORG = [DATA / "Users.csv", DATA / "Accounts.csv", DATA / "Deals.csv"]


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Reference columns (categoricals) as plain text, for comparison."""
    cats = [c for c in frame if isinstance(frame[c].dtype, pd.CategoricalDtype)]
    return frame.astype(dict.fromkeys(cats, "str"))


def _times(*values: str | None) -> pd.Series:
    return pd.Series(pd.to_datetime(list(values)), dtype="datetime64[ns]")


def test_users_become_managers() -> None:
    """Users: id without zcrm_, Full Name, Role -> level, Active/Inactive -> active/left."""
    data = read_export(ORG)
    expected = pd.DataFrame(
        {
            "manager_id": ["101", "102"],
            "name": ["Li Lei", "Wang Fang"],
            "team": pd.Series([np.nan, np.nan], dtype="str"),
            "region": pd.Series([np.nan, np.nan], dtype="str"),
            "level": ["Sales Manager", "Sales Rep"],
            "hire_date": _times(None, None),
            "status": ["active", "left"],
        }
    )
    assert_frame_equal(data.managers, expected)


def test_accounts_become_clients() -> None:
    """Accounts: owner, name, industry, Billing State as region, Created Time kept as written."""
    data = read_export(ORG)
    expected = pd.DataFrame(
        {
            "client_id": ["2001", "2002"],
            "manager_id": ["101", "102"],
            "name": ["Acme", "Beta"],
            "industry": ["Manufacturing", "Retail"],
            "region": ["Zhejiang", "Jiangsu"],
            "created_date": _times("2025-01-05 09:00:00", "2025-02-10 14:30:00"),
            "crm_tier": pd.Series([np.nan, np.nan], dtype="str"),
        }
    )
    assert_frame_equal(_plain(data.clients), expected)


def test_every_valid_deal_is_an_opportunity_in_home_currency() -> None:
    """Won/lost/open from the stage; USD at rate 0.125 divided into the home currency."""
    data = read_export(ORG)
    expected = pd.DataFrame(
        {
            "opportunity_id": ["3001", "3002", "3003", "3004"],
            "client_id": ["2001", "2002", "2001", "2002"],
            "manager_id": ["101", "101", "102", "102"],
            "amount": [1200.5, 800 / 0.125, 500.0, 1000 / 0.125],
            "status": ["won", "open", "lost", "won"],
            "stage": ["Closed Won", "Negotiation/Review", "Closed Lost", "Closed Won"],
            "probability": [1.0, 0.9, 0.0, 1.0],
            "expected_close": _times("2026-07-01", "2026-09-15", "2026-05-20", "2026-08-10"),
            "created_date": _times(
                "2026-03-01 10:15:00",
                "2026-04-02 11:00:00",
                "2026-02-01 08:00:00",
                "2026-05-05 09:30:00",
            ),
        }
    )
    assert_frame_equal(_plain(data.opportunities), expected)


def test_won_deals_are_sales_on_their_closing_date() -> None:
    """Sales: the won deals, order_date = Closing Date, amount in the home currency."""
    data = read_export(ORG)
    expected = pd.DataFrame(
        {
            "order_id": ["3001", "3004"],
            "client_id": ["2001", "2002"],
            "manager_id": ["101", "102"],
            "order_date": _times("2026-07-01", "2026-08-10"),
            "amount": [1200.5, 8000.0],
            "product": pd.Series([np.nan, np.nan], dtype="str"),
            "channel": pd.Series([np.nan, np.nan], dtype="str"),
        }
    )
    assert_frame_equal(_plain(data.sales), expected)


def test_bad_deals_are_rejected_with_file_and_row() -> None:
    """Unknown owner (row 5), negative amount (row 6), impossible Closing Date (row 7)."""
    rejects = read_export(ORG).rejects
    got = rejects[["table", "source", "row", "column", "check", "value"]]
    expected = pd.DataFrame(
        {
            "table": ["sales", "opportunities", "opportunities", "opportunities"],
            "source": ["Deals.csv"] * 4,
            "row": [7, 5, 6, 7],
            "column": ["order_date", "manager_id", "amount", "expected_close"],
            "check": ["parse", "reference", "range", "parse"],
            "value": ["2026-13-45", "103", "-50.0", "2026-13-45"],
        }
    )
    assert_frame_equal(got.reset_index(drop=True), expected, check_dtype=False)
    assert rejects["reason"][1] == (
        "manager_id '103' is not a known manager (not in managers, or its row there was rejected)"
    )


def test_rows_read_equal_kept_plus_rejected() -> None:
    """Every source row of every table is kept or rejected."""
    data = read_export(ORG)
    counts = {r.table: (r.rows_read, r.rows_kept, r.rows_rejected) for r in data.reports}
    assert counts == {
        "managers": (2, 2, 0),
        "clients": (2, 2, 0),
        "sales": (3, 2, 1),
        "opportunities": (7, 4, 3),
    }


def test_without_users_managers_come_from_owners() -> None:
    """No Users export: managers are the owners seen, so owner 103 is known; report says derived."""
    data = read_export([DATA / "Accounts.csv", DATA / "Deals.csv"])
    assert data.managers[["manager_id", "name"]].values.tolist() == [
        ["101", "Li Lei"],
        ["102", "Wang Fang"],
        ["103", "Zhao Min"],
    ]
    assert "3005" in set(data.opportunities["opportunity_id"])
    report = mapping_report(data)
    derived = report[report["status"] == "derived"]
    assert derived[["source", "source_column", "table", "column"]].values.tolist() == [
        ["Accounts.csv", "Account Owner", "managers", "name"],
        ["Accounts.csv", "Account Owner.id", "managers", "manager_id"],
        ["Deals.csv", "Deal Owner", "managers", "name"],
        ["Deals.csv", "Deal Owner.id", "managers", "manager_id"],
    ]


def test_mapping_report_of_the_deals_file() -> None:
    """Every header of Deals.csv appears: mapped, used (stage, rates, times) or ignored."""
    report = mapping_report(read_export(ORG))
    deals = report[(report["source"] == "Deals.csv") & (report["table"] != "sales")]
    got = dict(zip(deals["source_column"], deals["status"], strict=True))
    assert got == {
        "Record Id": "mapped",
        "Deal Owner.id": "mapped",
        "Deal Owner": "ignored",
        "Deal Name": "ignored",
        "Amount": "mapped",
        "Closing Date": "mapped",
        "Account Name.id": "mapped",
        "Account Name": "ignored",
        "Stage": "mapped",
        "Probability (%)": "mapped",
        "Created Time": "mapped",
        "Modified Time": "used",
        "Currency": "used",
        "Exchange Rate": "used",
        "Contact Name.id": "used",
        "Contact Name": "ignored",
    }
    sales = report[(report["source"] == "Deals.csv") & (report["table"] == "sales")]
    assert dict(zip(sales["source_column"], sales["column"], strict=True)) == {
        "Record Id": "order_id",
        "Account Name.id": "client_id",
        "Deal Owner.id": "manager_id",
        "Closing Date": "order_date",
        "Amount": "amount",
    }


def test_legacy_deal_id_export_with_custom_won_stage() -> None:
    """A Potentials export with ``Deal Id``; its old stage "Won" counts via won_stages."""
    data = read_export(
        [DATA / "Accounts.csv", DATA / "Potentials_2019.csv"], won_stages=["Won", "Closed Won"]
    )
    assert data.opportunities[["opportunity_id", "status"]].values.tolist() == [
        ["4001", "won"],
        ["4002", "lost"],
    ]
    assert data.sales[["order_id", "amount"]].values.tolist() == [["4001", 250.0]]


def test_custom_won_stage_from_mapping_file() -> None:
    """won_stages in the mapping TOML's [options] works like the argument."""
    data = read_export(
        [DATA / "Accounts.csv", DATA / "Potentials_2019.csv"], mapping=DATA / "won_stages.toml"
    )
    assert data.sales["order_id"].tolist() == ["4001"]


def test_without_the_won_stage_old_wins_are_open() -> None:
    """The default won stage is "Closed Won" only: "Won" stays open and gives no sale."""
    data = read_export([DATA / "Accounts.csv", DATA / "Potentials_2019.csv"])
    assert data.opportunities["status"].tolist() == ["open", "lost"]
    assert data.sales.empty


def test_region_from_a_custom_field() -> None:
    """A mapping TOML putting Region__c first makes it the clients' region."""
    data = read_export(ORG, mapping=DATA / "region.toml")
    assert data.clients["region"].tolist() == ["East", "North"]
    report = mapping_report(data)
    row = report[(report["source"] == "Accounts.csv") & (report["source_column"] == "Region__c")]
    assert row[["column", "status"]].values.tolist() == [["region", "mapped"]]


def test_accounts_as_excel(tmp_path: Path) -> None:
    """An .xlsx Accounts export reads like the CSV one."""
    frame = pd.read_csv(DATA / "Accounts.csv", dtype=str)
    frame.to_excel(tmp_path / "Accounts_2026.xlsx", index=False)
    data = read_export([tmp_path / "Accounts_2026.xlsx", DATA / "Deals.csv", DATA / "Users.csv"])
    assert data.clients["client_id"].tolist() == ["2001", "2002"]
    assert data.clients["created_date"].tolist() == list(
        _times("2025-01-05 09:00:00", "2025-02-10 14:30:00")
    )


def test_file_named_by_nothing_is_recognised_by_headers(tmp_path: Path) -> None:
    """A file called export.csv with deal headers is read as Deals."""
    shutil.copy(DATA / "Deals.csv", tmp_path / "export.csv")
    data = read_export([DATA / "Users.csv", DATA / "Accounts.csv", tmp_path / "export.csv"])
    assert len(data.opportunities) == 4
    assert set(data.rejects["source"]) == {"export.csv"}


def test_unknown_file_names_the_modules(tmp_path: Path) -> None:
    """A file that is no known module is a CrmFormatError listing modules and patterns."""
    (tmp_path / "notes.csv").write_text("Title,Body\nhello,world\n")
    with pytest.raises(CrmFormatError, match=r"notes\.csv is no Zoho CRM export.*Deals: Deals\*"):
        read_export([tmp_path / "notes.csv"])


def test_without_deals_there_are_no_sales() -> None:
    """Accounts alone give no sales table: a MissingTableError naming what was read."""
    with pytest.raises(MissingTableError, match="give no sales; read so far: Accounts"):
        read_export([DATA / "Accounts.csv"])


def test_malformed_line_is_set_aside(tmp_path: Path) -> None:
    """A CSV line with too many fields is rejected as malformed_row with its row."""
    text = (DATA / "Deals.csv").read_text().splitlines()
    text[2] = text[2] + ",extra,fields"
    (tmp_path / "Deals.csv").write_text("\n".join(text) + "\n")
    data = read_export([DATA / "Users.csv", DATA / "Accounts.csv", tmp_path / "Deals.csv"])
    bad = data.rejects[data.rejects["check"] == "malformed_row"]
    assert bad[["table", "source", "row"]].values.tolist() == [["opportunities", "Deals.csv", 2]]
    assert "3002" not in set(data.opportunities["opportunity_id"])


def test_contacts_without_account_are_clients() -> None:
    """B2C: a contact without an account is a client and the client of an account-less deal;
    a contact with an account is set aside as not_a_client."""
    data = read_export(
        [DATA / "Users.csv", DATA / "Accounts.csv", DATA / "Contacts.csv", DATA / "Deals_b2c.csv"]
    )
    assert data.clients[["client_id", "name", "region"]].values.tolist() == [
        ["2001", "Acme", "Zhejiang"],
        ["2002", "Beta", "Jiangsu"],
        ["5001", "Mei Chen", "Shanghai"],
    ]
    assert data.sales[["order_id", "client_id", "amount"]].values.tolist() == [
        ["6001", "5001", 99.0]
    ]
    aside = data.rejects[data.rejects["check"] == "not_a_client"]
    assert aside[["table", "source", "row", "value", "reason"]].values.tolist() == [
        ["clients", "Contacts.csv", 2, "5002", "contact of account 2002; the account is the client"]
    ]
