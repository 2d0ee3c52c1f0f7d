"""纷享销客 OpenAPI: token, deep paging by _id, expiry, errors, Beijing dates, incremental sync."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pytest

from am_analytics.errors import ConfigError, CrmError
from am_analytics.io._http import RetryPolicy
from am_analytics.io.fxiaoke import Fxiaoke, mapping_report
from crm_server import Reply, Request, serve

T = pd.Timestamp
BEIJING_MIDNIGHT_JULY_1 = 1782835200000  # 2026-06-30T16:00:00Z
BEIJING_JULY_1_LAST_MS = 1782921599999  # 2026-07-01 23:59:59.999 in Beijing
TOKEN_PATH = "/cgi/corpAccessToken/get/V2"
QUERY_PATH = "/cgi/crm/v2/data/query"


def person(uid: str, name: str, **extra: Any) -> dict[str, Any]:
    """A PersonnelObj record as the query API returns it."""
    return {"_id": f"P{uid}", "user_id": uid, "name": name, "status": "0",
            "main_department": ["1001"], "main_department__r": {"deptName": "华东一部"},
            "life_status": "normal", "is_deleted": False,
            "last_modified_time": 1780000000000} | extra  # fmt: skip


def account(_id: str, name: str, owner: str, **extra: Any) -> dict[str, Any]:
    """An AccountObj record: owner as a list of user ids, owner__r its name."""
    return {"_id": _id, "name": name, "account_no": f"KH-{_id}", "owner": [owner],
            "owner__r": {"id": owner, "name": f"name of {owner}"},
            "industry_level1": "制造业", "account_level": "重要客户", "province": "上海",
            "create_time": 1760000000000, "life_status": "normal", "is_deleted": False,
            "last_modified_time": 1780000000000} | extra  # fmt: skip


def order(_id: str, account_id: str, owner: str, **extra: Any) -> dict[str, Any]:
    """A SalesOrderObj record: money as a string, order_time at Beijing midnight."""
    return {"_id": _id, "name": f"SO-{_id}", "account_id": account_id,
            "account_id__r": "客户名", "owner": [owner],
            "owner__r": {"id": owner, "name": f"name of {owner}"},
            "order_time": BEIJING_MIDNIGHT_JULY_1, "order_amount": "1.00",
            "life_status": "normal", "is_deleted": False,
            "last_modified_time": 1782900000000} | extra  # fmt: skip


@dataclass
class FakeFxiaoke:
    """A Fxiaoke OpenAPI in miniature: tokens, _id ordering, GT/GTE filters, deep-paging limit."""

    objects: dict[str, list[dict[str, Any]]]
    secret: str = "s3cret"
    issued: int = 0
    expire_token_at_query: int | None = None  # the n-th query finds its token expired
    before_query: list[Reply] = field(default_factory=list)  # answered first, in order
    queries: int = 0

    def __call__(self, request: Request) -> Reply:
        body = request.json()
        if request.path == TOKEN_PATH:
            if body["appSecret"] != self.secret:
                return Reply(200, {"errorCode": 10006, "errorMessage": "appSecret无效"})
            self.issued += 1
            token = {"corpAccessToken": f"T{self.issued}", "corpId": "CORP1", "expiresIn": 7200}
            return Reply(200, {"errorCode": 0, "errorMessage": "success", **token})
        if self.before_query:
            return self.before_query.pop(0)
        self.queries += 1
        if self.queries == self.expire_token_at_query:
            self.issued += 1  # the token in use is now stale
        if body["corpAccessToken"] != f"T{self.issued}" or body["corpId"] != "CORP1":
            return Reply(200, {"errorCode": 20016, "errorMessage": "corpAccessToken已过期"})
        return Reply(200, self._query(body["data"]))

    def _query(self, data: dict[str, Any]) -> dict[str, Any]:
        query = data["search_query_info"]
        if query["offset"] > 10000:  # the deep-paging refusal; the code is assumed
            return {"errorCode": 10013, "errorMessage": "offset不能超过10000"}
        records = sorted(self.objects[data["dataObjectApiName"]], key=lambda r: r["_id"])
        for f in query["filters"]:
            value = f["field_values"][0]
            if f["operator"] == "GT":
                records = [r for r in records if r[f["field_name"]] > value]
            elif f["operator"] == "GTE":
                records = [r for r in records if r[f["field_name"]] >= int(value)]
        page = records[query["offset"] : query["offset"] + query["limit"]]
        return {"errorCode": 0, "errorMessage": "OK", "traceId": "E-O.test",
                "data": {"total": len(records), "offset": query["offset"],
                         "limit": query["limit"], "dataList": page}}  # fmt: skip


def small_crm() -> dict[str, list[dict[str, Any]]]:
    """Three people, two accounts (one voided), orders at and near Beijing midnight."""
    return {
        "PersonnelObj": [
            person("1000", "王芳", date_of_joining=BEIJING_MIDNIGHT_JULY_1 - 86_400_000 * 365),
            person("1001", "李雷", status="1"),
            person("1002", "张伟"),
        ],
        "AccountObj": [
            account("a1", "华美贸易", "1000"),
            account("a2", "远大科技", "1001", life_status="invalid"),
        ],
        "SalesOrderObj": [
            order("o1", "a1", "1000", order_amount="1200.50"),
            order("o2", "a1", "1002", order_time=BEIJING_JULY_1_LAST_MS, order_amount="-30.00"),
            order("o3", "a1", "1000", life_status="invalid"),
            order("o4", "a1", "1000", is_deleted=True),
            order("o5", "a1", "1001", life_status="under_review"),
        ],
        "NewOpportunityObj": [],
    }


def client(url: str, **options: Any) -> Fxiaoke:
    """A client of the fake server that never sleeps."""
    options.setdefault("retry", RetryPolicy(sleep=lambda seconds: None))
    return Fxiaoke(app_id="FSAID_1", app_secret="s3cret", permanent_code="PC1",
                   open_user_id="FSUID_1", base_url=url, **options)  # fmt: skip


def _rows(frame: pd.DataFrame, columns: list[str]) -> list[list[object]]:
    view = frame[columns].astype(object)
    return view.where(view.notna(), None).values.tolist()


def _queries(requests: list[Request], name: str) -> list[dict[str, Any]]:
    return [
        r.json()["data"]["search_query_info"]
        for r in requests
        if r.path == QUERY_PATH and r.json()["data"]["dataObjectApiName"] == name
    ]


def test_the_token_request_and_every_call_carry_the_documented_fields() -> None:
    """Token: appId/appSecret/permanentCode; queries: token, corpId, open user id, data."""
    fake = FakeFxiaoke(small_crm())
    with serve(fake) as server:
        client(server.url).fetch()
    first, second = server.requests[:2]
    assert (first.path, first.json()) == (
        TOKEN_PATH,
        {"appId": "FSAID_1", "appSecret": "s3cret", "permanentCode": "PC1"},
    )
    body = second.json()
    assert second.path == QUERY_PATH
    assert {k: body[k] for k in ("corpAccessToken", "corpId", "currentOpenUserId")} == {
        "corpAccessToken": "T1", "corpId": "CORP1", "currentOpenUserId": "FSUID_1"
    }  # fmt: skip
    query = body["data"]["search_query_info"]
    assert body["data"]["dataObjectApiName"] == "PersonnelObj"
    assert (query["limit"], query["offset"], query["filters"]) == (100, 0, [])
    assert query["orders"] == [{"fieldName": "_id", "isAsc": True}]
    assert {"_id", "user_id", "name", "life_status", "is_deleted", "last_modified_time"} <= set(
        query["fieldProjection"]
    )
    assert [r.path for r in server.requests].count(TOKEN_PATH) == 1


def test_records_become_canonical_rows_with_beijing_dates() -> None:
    """Owner lists give ids, money strings read, epoch ms at Beijing midnight is that day."""
    with serve(FakeFxiaoke(small_crm())) as server:
        data = client(server.url).fetch()
    assert _rows(data.managers, ["manager_id", "name", "team", "hire_date", "status"]) == [
        ["1000", "王芳", "华东一部", T("2025-07-01"), "active"],
        ["1001", "李雷", "华东一部", None, "left"],
        ["1002", "张伟", "华东一部", None, "active"],
    ]
    assert _rows(data.clients, ["client_id", "manager_id", "name", "industry", "region",
                                "crm_tier", "created_date"]) == [
        ["a1", "1000", "华美贸易", "制造业", "上海", "重要客户", T("2025-10-09 16:53:20")],
    ]  # fmt: skip
    assert _rows(data.sales, ["order_id", "client_id", "manager_id", "order_date", "amount"]) == [
        ["o1", "a1", "1000", T("2026-07-01"), 1200.5],
        ["o2", "a1", "1002", T("2026-07-01"), -30.0],
    ]


def test_voided_and_deleted_records_are_set_aside() -> None:
    """life_status invalid/under_review and is_deleted true are rejects with their reason."""
    with serve(FakeFxiaoke(small_crm())) as server:
        data = client(server.url).fetch()
    got = data.rejects[["table", "source", "row", "column", "check", "value"]]
    assert got.values.tolist() == [
        ["clients", "Fxiaoke AccountObj", 2, "life_status", "voided", "invalid"],
        ["sales", "Fxiaoke SalesOrderObj", 3, "life_status", "voided", "invalid"],
        ["sales", "Fxiaoke SalesOrderObj", 4, "is_deleted", "deleted", "True"],
        ["sales", "Fxiaoke SalesOrderObj", 5, "life_status", "voided", "under_review"],
    ]
    assert data.rejects["reason"].iloc[1].startswith("life status 作废 (invalid): only records")
    summary = data.summary()
    assert summary[["table", "rows_read", "rows_kept", "rows_rejected"]].values.tolist() == [
        ["managers", 3, 3, 0],
        ["clients", 2, 1, 1],
        ["sales", 5, 2, 3],
        ["opportunities", 0, 0, 0],
    ]


def test_more_than_10000_records_are_paged_past_the_offset_limit_by_id() -> None:
    """Offsets 0..10000 step 100, then `_id GT last id` from offset 0; never offset > 10000."""
    crm = small_crm()
    crm["SalesOrderObj"] = [order(f"o{i:05d}", "a1", "1000") for i in range(10_250)]
    with serve(FakeFxiaoke(crm)) as server:
        data = client(server.url).fetch(modules=("PersonnelObj", "AccountObj", "SalesOrderObj"))
    queries = _queries(server.requests, "SalesOrderObj")
    got = [(q["offset"], q["filters"]) for q in queries]
    after = [{"field_name": "_id", "field_values": ["o10099"], "operator": "GT"}]
    assert got == [(offset, []) for offset in range(0, 10_001, 100)] + [(0, after), (100, after)]
    assert len(data.sales) == 10_250
    assert data.sales["order_id"].iloc[[0, -1]].tolist() == ["o00000", "o10249"]


def test_a_token_that_expires_mid_sync_is_renewed_once_and_the_call_repeated() -> None:
    """errorCode 20016 on the third query: one new token, the same query again, rows exact."""
    fake = FakeFxiaoke(small_crm(), expire_token_at_query=3)
    with serve(fake) as server:
        data = client(server.url).fetch()
    paths = [r.path for r in server.requests]
    assert paths.count(TOKEN_PATH) == 2
    assert paths[:6] == [TOKEN_PATH, QUERY_PATH, QUERY_PATH, QUERY_PATH, TOKEN_PATH, QUERY_PATH]
    third, again = server.requests[3].json(), server.requests[5].json()
    assert (third["corpAccessToken"], again["corpAccessToken"]) == ("T1", "T3")
    assert third["data"] == again["data"]
    assert data.sales["order_id"].tolist() == ["o1", "o2"]


def test_the_token_is_renewed_before_it_expires() -> None:
    """A token of 7200 s is reused at 6800 s and renewed at 6950 s (5 minutes ahead)."""
    now = [0.0]
    fake = FakeFxiaoke(small_crm())
    with serve(fake) as server:
        fxiaoke = client(server.url, clock=lambda: now[0])
        fxiaoke.fetch()
        now[0] = 6800.0
        fxiaoke.fetch()
        assert [r.path for r in server.requests].count(TOKEN_PATH) == 1
        now[0] = 6950.0
        fxiaoke.fetch()
    tokens = [r for r in server.requests if r.path == TOKEN_PATH]
    assert len(tokens) == 2
    assert server.requests[-1].json()["corpAccessToken"] == "T2"


def test_a_rate_limit_waits_as_retry_after_says() -> None:
    """HTTP 429 with Retry-After: 7 -> one recorded wait of 7 s, then the query succeeds."""
    waits: list[float] = []
    fake = FakeFxiaoke(
        small_crm(), before_query=[Reply(429, {"errorCode": 429}, {"Retry-After": "7"})]
    )
    with serve(fake) as server:
        data = client(server.url, retry=RetryPolicy(sleep=waits.append)).fetch()
    assert waits == [7.0]
    assert len(data.sales) == 2


def test_a_bad_app_secret_is_a_crm_error_with_the_vendor_code() -> None:
    """errorCode 10006 at the token request: CrmError with code and message, no secret shown."""
    with (
        serve(FakeFxiaoke(small_crm(), secret="other")) as server,
        pytest.raises(
            CrmError, match=r"access token request: errorCode 10006 \(appSecret无效\)"
        ) as caught,
    ):
        client(server.url).fetch()
    assert (caught.value.code, caught.value.vendor_message) == ("10006", "appSecret无效")
    assert "s3cret" not in str(caught.value)


def test_a_query_error_names_the_code_message_and_object() -> None:
    """errorCode 30002 on a query: CrmError naming PersonnelObj, the code and the message."""
    quota = Reply(200, {"errorCode": 30002, "errorMessage": "超过每日调用次数"})
    with (
        serve(FakeFxiaoke(small_crm(), before_query=[quota])) as server,
        pytest.raises(
            CrmError, match=r"query of PersonnelObj: errorCode 30002 \(超过每日调用次数\)"
        ) as caught,
    ):
        client(server.url).fetch()
    assert caught.value.code == "30002"


def test_an_incremental_fetch_returns_only_what_changed_and_never_twice() -> None:
    """The boundary record is not repeated; another record at the same millisecond is kept."""
    crm = small_crm()
    fake = FakeFxiaoke(crm)
    with serve(fake) as server:
        fxiaoke = client(server.url)
        fxiaoke.fetch()
        state = fxiaoke.sync_state_
        boundary = state.marks["SalesOrderObj"]
        assert (boundary.time, boundary.ids) == (
            T(1782900000000, unit="ms", tz="UTC"), frozenset({"o1", "o2", "o3", "o4", "o5"})
        )  # fmt: skip
        crm["SalesOrderObj"] += [
            order("o6", "a1", "1000", order_amount="7.00"),  # same ms as the boundary
            order("o7", "a1", "1002", last_modified_time=1782900000001, order_amount="8.00"),
        ]
        start = len(server.requests)
        data = fxiaoke.fetch(modified_since=state)
    queries = _queries(server.requests[start:], "SalesOrderObj")
    assert queries[0]["filters"] == [
        {"field_name": "last_modified_time", "field_values": ["1782900000000"], "operator": "GTE"}
    ]
    assert _rows(data.sales, ["order_id", "amount"]) == [["o6", 7.0], ["o7", 8.0]]
    assert fxiaoke.sync_state_.marks["SalesOrderObj"].ids == frozenset({"o7"})


def test_voided_records_in_a_change_set_are_reported_so_a_merge_can_drop_them() -> None:
    """A record voided since the last sync comes back as a set-aside row."""
    crm = small_crm()
    with serve(FakeFxiaoke(crm)) as server:
        fxiaoke = client(server.url)
        fxiaoke.fetch()
        crm["SalesOrderObj"][0] |= {"life_status": "invalid", "last_modified_time": 1783000000000}
        data = fxiaoke.fetch(modified_since=fxiaoke.sync_state_)
    assert len(data.sales) == 0
    rejects = data.rejects[data.rejects["table"] == "sales"]
    assert rejects[["row", "check", "value"]].values.tolist() == [[1, "voided", "invalid"]]


def test_a_naive_modified_since_is_beijing_time() -> None:
    """modified_since="2026-07-01" filters last_modified_time >= 2026-06-30T16:00Z."""
    with serve(FakeFxiaoke(small_crm())) as server:
        data = client(server.url).fetch(modified_since="2026-07-01")
    filters = _queries(server.requests, "SalesOrderObj")[0]["filters"]
    assert filters[0]["field_values"] == [str(BEIJING_MIDNIGHT_JULY_1)]
    assert data.sales["order_id"].tolist() == ["o1", "o2"]
    assert len(data.clients) == 0  # accounts were last modified before


def test_without_personnel_the_managers_come_from_owner_and_owner_r() -> None:
    """Owner ids with owner__r names make the managers; the report marks them derived."""
    with serve(FakeFxiaoke(small_crm())) as server:
        data = client(server.url).fetch(modules=("AccountObj", "SalesOrderObj"))
    assert _rows(data.managers, ["manager_id", "name"]) == [
        ["1000", "name of 1000"],
        ["1002", "name of 1002"],
    ]
    report = mapping_report(data)
    derived = report[report["status"] == "derived"]
    assert derived[["object", "source_column", "column"]].values.tolist() == [
        ["AccountObj", "owner__r", "name"],
        ["SalesOrderObj", "owner__r", "name"],
        ["AccountObj", "owner", "manager_id"],
        ["SalesOrderObj", "owner", "manager_id"],
    ]
    seen = report[report["source"] == "Fxiaoke SalesOrderObj"]
    assert list(zip(seen["source_column"], seen["status"], strict=True)) == [
        ("_id", "mapped"), ("name", "ignored"), ("account_id", "mapped"),
        ("account_id__r", "ignored"), ("owner", "mapped"), ("owner__r", "derived"),
        ("order_time", "mapped"), ("order_amount", "mapped"), ("life_status", "used"),
        ("is_deleted", "used"), ("last_modified_time", "used"), ("owner", "derived"),
    ]  # fmt: skip


def test_repr_hides_the_secret_the_permanent_code_and_the_token() -> None:
    """Nothing secret in repr, also after a token was taken."""
    with serve(FakeFxiaoke(small_crm())) as server:
        fxiaoke = client(server.url)
        fxiaoke.fetch()
    shown = repr(fxiaoke)
    assert shown == (
        f"Fxiaoke(app_id='FSAID_1', open_user_id='FSUID_1', base_url='{server.url}', "
        "timezone='Asia/Shanghai')"
    )
    assert not any(secret in shown for secret in ("s3cret", "PC1", "T1"))


def test_from_env_names_the_missing_variable_and_never_a_value() -> None:
    """A missing FXIAOKE_PERMANENT_CODE is named; the secret given is not echoed."""
    env = {"FXIAOKE_APP_ID": "FSAID_1", "FXIAOKE_APP_SECRET": "s3cret",
           "FXIAOKE_OPEN_USER_ID": "FSUID_1"}  # fmt: skip
    with pytest.raises(ConfigError, match="FXIAOKE_PERMANENT_CODE") as caught:
        Fxiaoke.from_env(env)
    assert "s3cret" not in str(caught.value)
    env |= {"FXIAOKE_PERMANENT_CODE": "PC1", "FXIAOKE_BASE_URL": "http://127.0.0.1:1"}
    assert Fxiaoke.from_env(env).base_url == "http://127.0.0.1:1"


def test_from_config_reads_the_fxiaoke_table(tmp_path) -> None:
    """A credentials TOML needs every key of [fxiaoke]; a missing one is named."""
    path = tmp_path / "crm.toml"
    path.write_text('[fxiaoke]\napp_id = "FSAID_1"\napp_secret = "s3cret"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="missing permanent_code, open_user_id") as caught:
        Fxiaoke.from_config(path)
    assert "s3cret" not in str(caught.value)
