"""The Zoho CRM API client against a local server that answers like Zoho (tests/crm_server.py)."""

from __future__ import annotations

import copy
from typing import Any

import pandas as pd
import pytest

from am_analytics.errors import ConfigError, CrmError
from am_analytics.io._http import RetryPolicy
from am_analytics.io.zoho import ZohoCRM, mapping_report
from crm_server import Reply, Request, serve

SECRET, REFRESH = "s3cret-value", "1000.refresh-value"

USERS = [
    {"id": "101", "full_name": "Li Lei", "role": {"name": "Sales Manager", "id": "9"},
     "status": "active", "email": "li@example.com"},
    {"id": "102", "full_name": "Wang Fang", "role": {"name": "Sales Rep", "id": "8"},
     "status": "disabled", "email": "wang@example.com"},
]  # fmt: skip
ACCOUNTS = [
    {"id": "2001", "Owner": {"name": "Li Lei", "id": "101", "email": "li@example.com"},
     "Account_Name": "Acme", "Industry": "Manufacturing", "Billing_State": "Zhejiang",
     "Created_Time": "2025-01-05T09:00:00+05:30", "Modified_Time": "2026-06-01T08:00:00+05:30"},
]  # fmt: skip
DEALS = [
    {"id": "3001", "Owner": {"name": "Li Lei", "id": "101"}, "Deal_Name": "Big order",
     "Amount": 1200.5, "Closing_Date": "2026-07-01", "Account_Name": {"name": "Acme", "id": "2001"},
     "Stage": "Closed Won", "Probability": 100, "Created_Time": "2026-03-01T10:15:00+05:30",
     "Modified_Time": "2026-07-01T09:00:00+05:30", "Currency": "CNY", "Exchange_Rate": 1,
     "Contact_Name": None},
    {"id": "3002", "Owner": {"name": "Wang Fang", "id": "102"}, "Deal_Name": "Renewal",
     "Amount": 800, "Closing_Date": "2026-09-15", "Account_Name": {"name": "Acme", "id": "2001"},
     "Stage": "Negotiation/Review", "Probability": 90, "Created_Time": "2026-04-02T23:00:00+05:30",
     "Modified_Time": "2026-07-02T09:00:00+05:30", "Currency": "USD", "Exchange_Rate": 0.125,
     "Contact_Name": None},
]  # fmt: skip


def _error(status: int, code: str, message: str) -> Reply:
    return Reply(status, {"code": code, "details": {}, "message": message, "status": "error"})


class FakeZoho:
    """Answers like Zoho CRM: OAuth refresh, users, paged records, deleted records."""

    def __init__(self, modules: dict[str, list[dict[str, Any]]] | None = None) -> None:
        self.url = ""
        self.modules = copy.deepcopy(
            modules if modules is not None else {"Accounts": ACCOUNTS, "Deals": DEALS}
        )
        self.deleted: dict[str, list[dict[str, Any]]] = {}
        self.tokens = 0
        self.expire_after: int | None = None  # data calls after which the token is revoked
        self.data_calls = 0
        self.script: list[Reply] = []  # answers given first to data calls, in order
        self.token_reply: Reply | None = None

    def __call__(self, request: Request) -> Reply:
        if request.path == "/oauth/v2/token":
            if self.token_reply is not None:
                return self.token_reply
            self.tokens += 1
            body = {"access_token": f"tok{self.tokens}", "expires_in": 3600,
                    "api_domain": self.url, "token_type": "Bearer"}  # fmt: skip
            return Reply(200, body)
        if request.headers.get("authorization") != f"Zoho-oauthtoken tok{self.tokens}":
            return _error(401, "INVALID_TOKEN", "invalid oauth token")
        self.data_calls += 1
        if self.expire_after is not None and self.data_calls > self.expire_after:
            self.expire_after = None
            self.tokens += 1  # the old token is no longer the valid one
            return _error(401, "INVALID_TOKEN", "invalid oauth token")
        if self.script:
            return self.script.pop(0)
        return self._list(request)

    def _list(self, request: Request) -> Reply:
        parts = request.path.split("/")  # ['', 'crm', 'v7', module, ('deleted')]
        query = request.query
        if "page" in query and "page_token" in query:
            return _error(400, "AMBIGUITY_DURING_PROCESSING", "You cannot use both ...")
        if "page_token" not in query and int(query.get("page", "1")) > 10:
            return _error(
                400,
                "DISCRETE_PAGINATION_LIMIT_EXCEEDED",
                "You can only get the first 2000 records without using page_token param.",
            )
        if parts[3] == "users":
            records, key = USERS, "users"
        elif len(parts) == 5:
            records, key = self.deleted.get(parts[3], []), "data"
        else:
            records, key = self._modified(parts[3], request.headers.get("if-modified-since"))
        per_page = int(query.get("per_page", "200"))
        start = int(query["page_token"][3:]) if "page_token" in query else 0
        start = start or (int(query.get("page", "1")) - 1) * per_page
        chunk = records[start : start + per_page]
        if not chunk:
            return Reply(204)
        more = start + per_page < len(records)
        info = {"per_page": per_page, "count": len(chunk), "more_records": more,
                "next_page_token": f"pt_{start + per_page}" if more else None}  # fmt: skip
        return Reply(200, {key: chunk, "info": info})

    def _modified(self, module: str, since: str | None) -> tuple[list[dict[str, Any]], str]:
        """Records modified at or after If-Modified-Since, as Zoho filters them."""
        records = self.modules.get(module, [])
        if since is not None:
            mark = pd.Timestamp(since)
            records = [r for r in records if pd.Timestamp(r["Modified_Time"]) >= mark]
        return records, "data"


def _client(server: Any, sleeps: list[float] | None = None, **options: Any) -> ZohoCRM:
    recorder = sleeps.append if sleeps is not None else (lambda seconds: None)
    return ZohoCRM(
        client_id="1000.CLIENT",
        client_secret=SECRET,
        refresh_token=REFRESH,
        accounts_url=server.url,
        retry=RetryPolicy(sleep=recorder),
        **options,
    )


def _data_requests(server: Any, module: str) -> list[dict[str, str]]:
    return [r.query for r in server.requests if r.path == f"/crm/v7/{module}"]


def test_refresh_token_request_and_authorization_header() -> None:
    """The token is refreshed with a form POST; calls carry ``Zoho-oauthtoken``."""
    fake = FakeZoho()
    with serve(fake) as server:
        fake.url = server.url
        _client(server).fetch()
    first = server.requests[0]
    assert (first.method, first.path) == ("POST", "/oauth/v2/token")
    assert first.form == {
        "refresh_token": REFRESH,
        "client_id": "1000.CLIENT",
        "client_secret": SECRET,
        "grant_type": "refresh_token",
    }
    assert {r.headers["authorization"] for r in server.requests[1:]} == {"Zoho-oauthtoken tok1"}
    assert server.requests[1].query == {"type": "AllUsers", "per_page": "200", "page": "1"}


def test_full_fetch_gives_exact_rows() -> None:
    """Users, accounts and deals; USD at 0.125 divided; datetimes keep their wall clock."""
    fake = FakeZoho()
    with serve(fake) as server:
        fake.url = server.url
        data = _client(server).fetch()
    assert data.managers[["manager_id", "name", "level", "status"]].values.tolist() == [
        ["101", "Li Lei", "Sales Manager", "active"],
        ["102", "Wang Fang", "Sales Rep", "left"],
    ]
    assert data.clients[["client_id", "name", "region"]].values.tolist() == [
        ["2001", "Acme", "Zhejiang"]
    ]
    opportunities = data.opportunities.astype({"client_id": "str", "manager_id": "str"})
    assert opportunities.values.tolist() == [
        ["3001", "2001", "101", 1200.5, "won", "Closed Won", 1.0,
         pd.Timestamp("2026-07-01"), pd.Timestamp("2026-03-01 10:15")],
        ["3002", "2001", "102", 6400.0, "open", "Negotiation/Review", 0.9,
         pd.Timestamp("2026-09-15"), pd.Timestamp("2026-04-02 23:00")],
    ]  # fmt: skip
    assert data.sales[["order_id", "order_date", "amount"]].values.tolist() == [
        ["3001", pd.Timestamp("2026-07-01"), 1200.5]
    ]
    assert data.rejects.empty


def test_datetimes_converted_to_the_time_zone() -> None:
    """With timezone="Asia/Shanghai", +05:30 times move 2.5 hours on; dates stay."""
    fake = FakeZoho()
    with serve(fake) as server:
        fake.url = server.url
        data = _client(server, timezone="Asia/Shanghai").fetch()
    assert data.opportunities["created_date"].tolist() == [
        pd.Timestamp("2026-03-01 12:45"),
        pd.Timestamp("2026-04-03 01:30"),
    ]
    assert data.opportunities["expected_close"].tolist() == [
        pd.Timestamp("2026-07-01"),
        pd.Timestamp("2026-09-15"),
    ]


def test_pages_then_page_token_past_2000_records() -> None:
    """2,450 deals: page=1..10, then page_token; every call asks for fields, 200 a page."""
    many = [
        {**DEALS[1], "id": str(10_000 + i), "Stage": "Qualification", "Exchange_Rate": 1}
        for i in range(2450)
    ]
    fake = FakeZoho({"Accounts": ACCOUNTS, "Deals": many})
    with serve(fake) as server:
        fake.url = server.url
        data = _client(server).fetch()
    calls = _data_requests(server, "Deals")
    assert [c.get("page") or c["page_token"] for c in calls] == [
        *map(str, range(1, 11)),
        "pt_2000",
        "pt_2200",
        "pt_2400",
    ]
    assert all(c["per_page"] == "200" and "Stage" in c["fields"].split(",") for c in calls)
    assert len(data.opportunities) == 2450
    assert data.opportunities["opportunity_id"].iloc[-1] == "12449"


def test_fields_parameter_lists_the_mapping_api_names() -> None:
    """fields holds the mapped API names plus Stage, Currency, Exchange_Rate, Modified_Time."""
    fake = FakeZoho()
    with serve(fake) as server:
        fake.url = server.url
        _client(server).fetch()
    assert _data_requests(server, "Deals")[0]["fields"].split(",") == [
        "Account_Name", "Owner", "Amount", "Stage", "Probability", "Closing_Date",
        "Created_Time", "Currency", "Exchange_Rate", "Modified_Time", "Contact_Name",
    ]  # fmt: skip


def test_token_expiry_mid_sync_refreshes_once() -> None:
    """A 401 INVALID_TOKEN after two calls: one refresh, the same call again, rows complete."""
    fake = FakeZoho()
    fake.expire_after = 2
    with serve(fake) as server:
        fake.url = server.url
        data = _client(server).fetch()
    token_calls = [r for r in server.requests if r.path == "/oauth/v2/token"]
    assert len(token_calls) == 2
    assert data.opportunities["opportunity_id"].tolist() == ["3001", "3002"]


def test_429_waits_as_retry_after_says() -> None:
    """A 429 with Retry-After: 7 sleeps 7 seconds, then the data is complete."""
    fake = FakeZoho()
    fake.script = [
        Reply(429, {"code": "TOO_MANY_REQUESTS", "status": "error"}, {"Retry-After": "7"})
    ]
    sleeps: list[float] = []
    with serve(fake) as server:
        fake.url = server.url
        data = _client(server, sleeps).fetch()
    assert sleeps == [7.0]
    assert len(data.managers) == 2 and len(data.opportunities) == 2


def test_503_is_retried_with_exponential_backoff() -> None:
    """Two 503 answers: waits of 1 and 2 seconds, then success."""
    fake = FakeZoho()
    fake.script = [Reply(503, b"busy"), Reply(503, b"busy")]
    sleeps: list[float] = []
    with serve(fake) as server:
        fake.url = server.url
        data = _client(server, sleeps).fetch()
    assert sleeps == [1.0, 2.0]
    assert len(data.managers) == 2


def test_module_without_records_gives_empty_tables() -> None:
    """204 for Deals: empty opportunities and sales, not an error."""
    fake = FakeZoho({"Accounts": ACCOUNTS, "Deals": []})
    with serve(fake) as server:
        fake.url = server.url
        data = _client(server).fetch()
    assert data.opportunities is not None and data.opportunities.empty
    assert data.sales.empty and list(data.sales.columns[:3]) == [
        "order_id",
        "client_id",
        "manager_id",
    ]
    assert len(data.clients) == 1


def test_invalid_refresh_token_is_a_crm_error() -> None:
    """Zoho answers 200 {"error": "invalid_code"}: CrmError with that code, secrets not shown."""
    fake = FakeZoho()
    fake.token_reply = Reply(200, {"error": "invalid_code"})
    with serve(fake) as server, pytest.raises(CrmError, match="create a new refresh token") as err:
        _client(server).fetch()
    assert err.value.code == "invalid_code"
    assert SECRET not in str(err.value) and REFRESH not in str(err.value)


def test_token_refused_again_after_refresh() -> None:
    """401 INVALID_TOKEN twice for one call: one refresh only, then CrmError."""
    fake = FakeZoho()
    fake.script = [_error(401, "INVALID_TOKEN", "invalid oauth token")] * 2
    with serve(fake) as server, pytest.raises(CrmError, match="INVALID_TOKEN") as err:
        fake.url = server.url
        _client(server).fetch()
    assert len([r for r in server.requests if r.path == "/oauth/v2/token"]) == 2
    assert (err.value.code, err.value.status) == ("INVALID_TOKEN", 401)


def test_vendor_error_carries_code_and_message() -> None:
    """403 NO_PERMISSION: CrmError with code, Zoho's message and the status."""
    fake = FakeZoho()
    fake.script = [
        Reply(200, {"users": USERS, "info": {"more_records": False}}),
        _error(403, "NO_PERMISSION", "permission denied"),
    ]
    with serve(fake) as server, pytest.raises(CrmError, match="NO_PERMISSION") as err:
        fake.url = server.url
        _client(server).fetch()
    assert (err.value.code, err.value.vendor_message, err.value.status) == (
        "NO_PERMISSION",
        "permission denied",
        403,
    )
    assert "/crm/v7/Accounts" in str(err.value)


def test_incremental_fetch_with_sync_state() -> None:
    """The boundary record is not returned again; a new id at the same time is; later records
    are; deletions are rejects with check "deleted"; If-Modified-Since carries an offset."""
    fake = FakeZoho()
    with serve(fake) as server:
        fake.url = server.url
        client = _client(server)
        client.fetch()
        state = client.sync_state_
        assert state is not None
        assert state.marks["Deals"].time == pd.Timestamp("2026-07-02T03:30:00Z")
        assert state.marks["Deals"].ids == frozenset({"3002"})
        fake.modules["Deals"] += [
            {**DEALS[1], "id": "3003", "Amount": 100, "Exchange_Rate": 1},
            {**DEALS[1], "id": "3004", "Amount": 200, "Exchange_Rate": 1,
             "Modified_Time": "2026-07-03T09:00:00+05:30"},
        ]  # fmt: skip
        fake.deleted["Deals"] = [
            {"id": "3001", "deleted_by": {"name": "Li Lei", "id": "101"},
             "display_name": "Big order", "type": "recycle", "created_by": None,
             "deleted_time": "2026-07-02T10:00:00+05:30"},
        ]  # fmt: skip
        data = client.fetch(modified_since=state)
    assert data.opportunities["opportunity_id"].tolist() == ["3003", "3004"]
    deleted = data.rejects[data.rejects["check"] == "deleted"]
    assert deleted[["table", "source", "row", "value", "reason"]].values.tolist() == [
        ["opportunities", "Zoho CRM Deals", 4, "3001",
         "deleted in Zoho CRM at 2026-07-02T10:00:00+05:30 by Li Lei (recycle)"],
    ]  # fmt: skip
    last = _data_requests(server, "Deals")[-1]
    assert last["fields"]
    header = [r for r in server.requests if r.path == "/crm/v7/Deals"][-1].headers
    assert header["if-modified-since"] == "2026-07-02T03:30:00+00:00"
    assert client.sync_state_ is not None
    assert client.sync_state_.marks["Deals"].ids == frozenset({"3004"})


def test_mapping_report_of_api_fields() -> None:
    """Flattened API fields appear in the report: mapped, used or ignored."""
    fake = FakeZoho()
    with serve(fake) as server:
        fake.url = server.url
        report = mapping_report(_client(server).fetch())
    deals = report[(report["object"] == "Deals") & (report["table"] != "sales")]
    got = dict(zip(deals["source_column"], deals["status"], strict=True))
    assert got["Owner.id"] == "mapped" and got["Account_Name.id"] == "mapped"
    assert got["Stage"] == "mapped" and got["Exchange_Rate"] == "used"
    assert got["Modified_Time"] == "used" and got["Deal_Name"] == "ignored"
    assert "Contact_Name" not in got  # a lookup empty in every deal leaves no column


def test_repr_hides_secrets() -> None:
    """Neither the secret nor the refresh token shows in repr."""
    client = ZohoCRM(client_id="1000.CLIENT", client_secret=SECRET, refresh_token=REFRESH)
    assert SECRET not in repr(client) and REFRESH not in repr(client)


def test_from_env_names_the_missing_variable() -> None:
    """A missing ZOHO_CLIENT_SECRET is named; no value is echoed."""
    env = {"ZOHO_CLIENT_ID": "1000.CLIENT", "ZOHO_REFRESH_TOKEN": REFRESH}
    with pytest.raises(ConfigError, match="ZOHO_CLIENT_SECRET is not set") as err:
        ZohoCRM.from_env(env)
    assert REFRESH not in str(err.value)


def test_from_env_reads_the_data_centre() -> None:
    """ZOHO_ACCOUNTS_URL and ZOHO_API_DOMAIN are taken when set."""
    env = {
        "ZOHO_CLIENT_ID": "1000.CLIENT",
        "ZOHO_CLIENT_SECRET": SECRET,
        "ZOHO_REFRESH_TOKEN": REFRESH,
        "ZOHO_ACCOUNTS_URL": "https://accounts.zoho.eu",
        "ZOHO_API_DOMAIN": "https://www.zohoapis.eu",
    }
    client = ZohoCRM.from_env(env)
    assert (client.accounts_url, client.api_domain) == (
        "https://accounts.zoho.eu",
        "https://www.zohoapis.eu",
    )
