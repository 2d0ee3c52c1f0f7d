"""What the CRM connectors share: mappings, assembling sources, sync marks, retries."""

from __future__ import annotations

import httpx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from am_analytics import load_sample
from am_analytics.errors import ConfigError, CrmError, MissingTableError
from am_analytics.io import mapping_summary
from am_analytics.io._crm import REPORT_COLUMNS, load_mapping, mapping_report, report_rows
from am_analytics.io._crm_sources import SourceRows, assemble, managers_from_owners, set_aside_rows
from am_analytics.io._crm_sync import SyncState, Watermark
from am_analytics.io._http import RetryPolicy, retry_after, send
from crm_server import Reply, Request, serve

NO_REPORT = pd.DataFrame(columns=REPORT_COLUMNS)


def _parts() -> list[SourceRows]:
    managers = pd.DataFrame({"manager_id": ["U1", "U2"], "name": ["王芳", "李雷"]}, index=[1, 2])
    clients = pd.DataFrame({"client_id": ["C1", "C2"], "manager_id": ["U1", "U9"]}, index=[1, 3])
    voided = set_aside_rows([2], ["invalid"], "voided", "account is voided (作废)", "life_status")
    first = pd.DataFrame(
        {
            "order_id": ["O1", "O2"],
            "client_id": ["C1", "C1"],
            "manager_id": ["U1", "U2"],
            "order_date": ["2026-07-01", "2026-13-01"],
            "amount": [1.0, 2.0],
        },
        index=[1, 2],
    )
    second = first.assign(order_id=["O3", "O4"], order_date="2026-07-02").set_axis([5, 6])
    return [
        SourceRows("managers", "owners", managers),
        SourceRows("clients", "Accounts.csv", clients, voided),
        SourceRows("sales", "a.csv", first),
        SourceRows("sales", "b.csv", second),
    ]


def test_assemble_keeps_the_source_and_row_of_every_reject() -> None:
    """Rejects name the record's own file and row, also when a table has several sources."""
    data = assemble(_parts(), crm="zoho", report=NO_REPORT)
    got = data.rejects[["table", "source", "row", "column", "check", "value"]]
    assert got.values.tolist() == [
        ["clients", "Accounts.csv", 2, "life_status", "voided", "invalid"],
        ["clients", "Accounts.csv", 3, "manager_id", "reference", "U9"],
        ["sales", "a.csv", 2, "order_date", "parse", "2026-13-01"],
    ]
    assert data.sales["order_id"].tolist() == ["O1", "O3", "O4"]


def test_assemble_accounts_for_every_source_row() -> None:
    """Rows read = kept + rejected per table, set-aside rows counted as read."""
    summary = assemble(_parts(), crm="zoho", report=NO_REPORT).summary()
    assert summary[["table", "rows_read", "rows_kept", "rows_rejected"]].values.tolist() == [
        ["managers", 2, 2, 0],
        ["clients", 3, 1, 2],
        ["sales", 4, 3, 1],
    ]
    assert summary.loc[2, "source"] == "a.csv, b.csv"


def test_assemble_says_which_tables_no_source_gave() -> None:
    """Without accounts there are no clients: the error names the table and the CRM."""
    report = pd.DataFrame([["Deals.csv", "Deals", "Stage", None, None, "used", ""]])
    report.columns = REPORT_COLUMNS
    with pytest.raises(MissingTableError, match="the zoho sources give no clients") as caught:
        assemble([p for p in _parts() if p.table != "clients"], crm="zoho", report=report)
    assert caught.value.tables == ["clients"]
    assert "read so far: Deals" in str(caught.value)


def test_user_mapping_puts_its_fields_first_and_can_unmap(tmp_path) -> None:
    """A user's field wins over the default ones; an empty list unmaps; objects can be added."""
    path = tmp_path / "mapping.toml"
    path.write_text(
        "[options]\nwon_stages = ['Signed']\n"
        "[objects.Accounts.columns]\nregion = 'Region__c'\nname = []\n"
        "[objects.Stores__c]\ntable = 'clients'\nfiles = ['stores*']\n"
        "[objects.Stores__c.columns]\nclient_id = 'Store_Code'\n",
        encoding="utf-8",
    )
    default = load_mapping("zoho")
    mapping = load_mapping("zoho", path)
    accounts = mapping.object("Accounts")
    assert accounts.columns["region"][0] == "Region__c"
    assert accounts.columns["region"][1:] == default.object("Accounts").columns.get("region", ())
    assert "name" not in accounts.columns
    assert mapping.options["won_stages"] == ["Signed"]
    assert mapping.object_of_file("Stores_2026").name == "Stores__c"  # type: ignore[union-attr]
    assert accounts.resolve(["Record Id", "region c", "Account Owner.id"])["region"] == "region c"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[objects.Accounts.columns]\nnot_a_column = 'X'\n", "not_a_column not columns of clients"),
        ("[objects.New]\nfiles = ['x*']\n", "object New needs a table"),
        ("[objects.New]\ntable = 'deals'\n", "'deals' is not a canonical table"),
        ("[objects.Accounts.columns]\nregion = 3\n", "expected a field name or a list"),
        ("[fields]\nx = 1\n", "unknown sections fields"),
    ],
)
def test_bad_mappings_say_what_is_wrong(tmp_path, text: str, message: str) -> None:
    """Each mistake in a mapping file gets a ConfigError naming it."""
    path = tmp_path / "mapping.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_mapping("zoho", path)


def test_owners_become_one_manager_per_id() -> None:
    """The first name seen names the manager; a missing name falls back to the id."""
    deals = pd.DataFrame({"manager_id": ["U2", None, "U2"], "name": ["王芳", "x", "Wang"]})
    accounts = pd.DataFrame({"manager_id": ["U3", "U1"], "name": [None, "李雷"]})
    rows = managers_from_owners([deals, accounts], source="owners").frame
    assert rows.values.tolist() == [["U2", "王芳"], ["U3", "U3"], ["U1", "李雷"]]
    assert rows.index.tolist() == [1, 2, 3]


def test_report_rows_list_every_header_once() -> None:
    """Headers are mapped, used for a rule, or ignored, in the source's order."""
    rows = report_rows(
        source="Deals.csv",
        object_name="Deals",
        headers=["Record Id", "Stage", "Deal Name"],
        table="opportunities",
        chosen={"opportunity_id": "Record Id"},
        used={"Stage": "decides won, lost or open"},
    )
    assert rows[["source_column", "column", "status"]].fillna("").values.tolist() == [
        ["Record Id", "opportunity_id", "mapped"],
        ["Stage", "", "used"],
        ["Deal Name", "", "ignored"],
    ]


def test_mapping_report_of_a_loaded_folder_comes_from_its_headers() -> None:
    """For load(), every header of every table is reported, and none is both mapped and ignored."""
    data = load_sample()
    report = mapping_report(data)
    sales = report[report["source"] == "sales.csv"]
    assert set(sales.loc[sales.status == "mapped", "column"]) == set(data.sales.columns)
    assert report.groupby(["source", "source_column"]).size().max() == 1


def test_mapping_summary_counts_every_status_per_source() -> None:
    """Known answer: sources in report order, all four statuses, 0 where a source has none."""
    report = pd.concat(
        [
            report_rows(
                source="Deals.csv",
                object_name="Deals",
                headers=["Record Id", "Stage", "Deal Name", "Tag"],
                table="opportunities",
                chosen={"opportunity_id": "Record Id"},
                used={"Stage": "decides won, lost or open"},
            ),
            report_rows(
                source="Accounts.csv",
                object_name="Accounts",
                headers=["Account Id", "Owner"],
                table="clients",
                chosen={"client_id": "Account Id", "manager_id": "Owner"},
            ),
            pd.DataFrame(
                [["Accounts.csv", "Accounts", "Owner", "managers", None, "derived", "owners"]],
                columns=REPORT_COLUMNS,
            ),
        ],
        ignore_index=True,
    )
    expected = pd.DataFrame(
        {"mapped": [1, 2], "used": [1, 0], "derived": [0, 1], "ignored": [2, 0]},
        index=pd.Index(["Deals.csv", "Accounts.csv"], name="source"),
    )
    pd.testing.assert_frame_equal(mapping_summary(report), expected)


def test_mapping_summary_accounts_for_every_report_row() -> None:
    """Of a loaded folder: per source, the counts add up to the source's rows in the report."""
    report = mapping_report(load_sample())
    summary = mapping_summary(report)
    assert summary.sum(axis=1).to_dict() == report.groupby("source", sort=False).size().to_dict()
    assert summary.loc["sales.csv", "ignored"] == 0


times = st.lists(st.integers(0, 5), min_size=1, max_size=20)


@given(times, times)
def test_a_watermark_never_returns_a_record_twice(first: list[int], second: list[int]) -> None:
    """Records seen by one sync are never new to the next; records after it always are."""
    stamp = pd.Timestamp("2026-07-01", tz="UTC")
    seen_times = pd.Series([stamp + pd.Timedelta(seconds=s) for s in first])
    seen_ids = pd.Series([f"A{i}" for i in range(len(first))])
    mark = Watermark(pd.Timestamp("1970-01-01", tz="UTC")).advance(seen_times, seen_ids)
    # the vendor answers "modified at or after the watermark": the boundary comes back
    again = seen_times >= mark.time
    assert not mark.is_new(seen_times[again], seen_ids[again]).any()
    later = pd.Series([mark.time + pd.Timedelta(seconds=s) for s in second])
    fresh = pd.Series([f"B{i}" for i in range(len(second))])
    assert mark.is_new(later, fresh).all()


def test_sync_state_round_trips_and_rejects_garbage() -> None:
    """A state written as JSON reads back equal; anything else is a ConfigError."""
    mark = Watermark(pd.Timestamp("2026-07-01 02:00", tz="UTC"), frozenset({"9", "10"}))
    state = SyncState("fxiaoke", {"SalesOrderObj": mark})
    assert SyncState.from_json(state.to_json()) == state
    assert state.mark("AccountObj") is None
    assert state.mark("AccountObj", pd.Timestamp("2026-01-01", tz="UTC")) == Watermark(
        pd.Timestamp("2026-01-01", tz="UTC")
    )
    with pytest.raises(ConfigError, match="not a sync state"):
        SyncState.from_json('{"crm": "zoho"}')


def test_send_waits_as_retry_after_says_then_backs_off_exponentially() -> None:
    """429 with Retry-After waits that long; 503 without it waits backoff * 2**n."""
    answers = [
        Reply(429, {"code": "TOO_MANY_REQUESTS"}, {"Retry-After": "7"}),
        Reply(503),
        Reply(503),
        Reply(200, {"ok": True}),
    ]

    def handler(request: Request) -> Reply:
        return answers.pop(0)

    waits: list[float] = []
    policy = RetryPolicy(backoff=0.5, sleep=waits.append)
    with serve(handler) as server, httpx.Client() as client:
        response = send(client, "GET", f"{server.url}/x", policy=policy, crm="zoho")
    assert response.json() == {"ok": True}
    assert waits == [7.0, 1.0, 2.0]  # Retry-After, then 0.5 * 2**1, 0.5 * 2**2


def test_send_returns_the_last_answer_when_attempts_run_out() -> None:
    """After the last attempt the 5xx answer is returned for the caller to report."""
    waits: list[float] = []
    with serve(lambda request: Reply(502, {"code": "BAD_GATEWAY"})) as server:
        with httpx.Client() as client:
            policy = RetryPolicy(attempts=3, backoff=1, max_wait=1.5, sleep=waits.append)
            response = send(client, "GET", server.url, policy=policy, crm="zoho")
        assert len(server.requests) == 3
    assert response.status_code == 502
    assert waits == [1.0, 1.5]  # the second wait (2 s) is capped at max_wait


def test_send_reports_an_unreachable_crm_without_the_query() -> None:
    """A closed port becomes a CrmError that does not repeat the query (it may hold secrets)."""
    with serve(lambda request: Reply()) as server:
        url = server.url
    with httpx.Client() as client, pytest.raises(CrmError, match="cannot reach zoho") as caught:
        policy = RetryPolicy(attempts=2, sleep=lambda s: None)
        send(client, "GET", f"{url}/oauth?refresh_token=SECRET", policy=policy, crm="zoho")
    assert "SECRET" not in str(caught.value)


def test_retry_after_reads_seconds_and_http_dates() -> None:
    """Both forms of Retry-After are understood; nonsense is ignored."""
    assert retry_after(httpx.Response(429, headers={"Retry-After": "12"})) == 12.0
    past = "Wed, 21 Oct 2015 07:28:00 GMT"
    assert retry_after(httpx.Response(429, headers={"Retry-After": past})) == 0.0
    assert retry_after(httpx.Response(429, headers={"Retry-After": "soon"})) is None
    assert retry_after(httpx.Response(429)) is None


def test_retry_policy_checks_its_numbers() -> None:
    """Impossible policies are refused."""
    with pytest.raises(ConfigError, match="attempts must be at least 1"):
        RetryPolicy(attempts=0)
    with pytest.raises(ConfigError, match="timeout > 0"):
        RetryPolicy(timeout=0)
    assert np.isclose(RetryPolicy(backoff=2).wait(3, None), 8.0)


def test_duplicates_across_sources_name_each_file_and_row() -> None:
    """A key repeated in two export files names both copies by file and row."""
    parts = _parts()
    second = parts[3].frame.copy()
    second.loc[5, ["order_id", "order_date"]] = ["O1", "2026-07-01"]  # exact copy of a.csv row 1
    second.loc[6, "order_id"] = "O2"  # same key as a.csv row 2, other values
    parts[3] = SourceRows("sales", "b.csv", second)
    rejects = assemble(parts, crm="zoho", report=NO_REPORT).rejects
    duplicates = rejects[rejects["check"] == "duplicate"]
    assert duplicates[["source", "row", "reason"]].values.tolist() == [
        [
            "a.csv",
            2,
            "conflicting duplicate key order_id='O2' (a.csv row 2, b.csv row 6); keep one of them",
        ],
        ["b.csv", 5, "exact duplicate of a.csv row 1"],
        [
            "b.csv",
            6,
            "conflicting duplicate key order_id='O2' (a.csv row 2, b.csv row 6); keep one of them",
        ],
    ]
