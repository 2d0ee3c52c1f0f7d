"""纷享销客 exports: Chinese labels, GBK files, names resolved to ids, voided records set aside."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from am_analytics.errors import CrmFormatError
from am_analytics.io.fxiaoke import mapping_report, read_export

DATA = Path(__file__).parents[1] / "data" / "fxiaoke"
T = pd.Timestamp

ACCOUNT_HEADERS = [
    "客户编号", "客户名称", "负责人", "负责人主属部门", "客户级别", "1级行业", "省份", "大区",
    "最后一次成交时间", "创建时间", "生命状态",
]  # fmt: skip
ACCOUNTS = [
    ["A001", "华美贸易", "王芳", "华东一部", "重要客户", "制造业", "上海", "华东",
     "2026-06-30 10:00", "2025-01-05 09:30", "正常"],
    ["A002", "远大科技", "李雷", "华南部", "普通客户", "互联网", "广东", "华南",
     None, "2025/3/8 14:00", "正常"],
    ["A003", "星辰物流", "王芳", "华东一部", "普通客户", "物流", "江苏", "华东",
     None, "2025-04-01", "正常"],
    ["A004", "星辰物流", "张伟", "华东一部", "普通客户", "物流", "浙江", "华东",
     None, "2025-05-01", "正常"],
    ["A005", "旧客户", "李雷", "华南部", None, None, None, None, None, "2024-01-01", "作废"],
]  # fmt: skip


def _xlsx(path: Path, headers: list[str], rows: list[list[object]]) -> None:
    """Write an export workbook the way Fxiaoke does: one sheet, labels in the first row."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    book.save(path)


def _gbk(path: Path, text: str) -> None:
    """Write a CSV export in GBK, as Excel on a Chinese Windows saves it."""
    path.write_bytes(text.replace("\n", "\r\n").encode("gbk"))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """销售订单.csv (GBK) and 人员.csv (GBK) from tests/data, 客户.xlsx written here."""
    for name in ("销售订单.csv", "人员.csv"):
        shutil.copy(DATA / name, tmp_path / name)
    _xlsx(tmp_path / "客户.xlsx", ACCOUNT_HEADERS, ACCOUNTS)
    return tmp_path


def _rows(frame: pd.DataFrame, columns: list[str]) -> list[list[object]]:
    """A table's rows as plain lists (categorical ids as text, missing as None)."""
    view = frame[columns].astype(object)
    return view.where(view.notna(), None).values.tolist()


def test_orders_accounts_and_people_become_canonical_rows(folder: Path) -> None:
    """Names become ids; amounts like "1,200.00", "￥3,000" and dates like 2026/7/1 12:00 read."""
    data = read_export(folder)
    assert _rows(data.managers, ["manager_id", "name", "team", "level", "hire_date", "status"]) == [
        ["E01", "王芳", "华东一部", "高级客户经理", T("2020-03-01"), "active"],
        ["E02", "李雷", "华南部", "客户经理", T("2021-07-15"), "left"],
        ["E03", "张伟", "华东一部", "客户经理", T("2022-01-10"), "active"],
    ]
    columns = ["client_id", "manager_id", "name", "industry", "region", "created_date", "crm_tier"]
    assert _rows(data.clients, columns) == [
        ["A001", "E01", "华美贸易", "制造业", "上海", T("2025-01-05 09:30"), "重要客户"],
        ["A002", "E02", "远大科技", "互联网", "广东", T("2025-03-08 14:00"), "普通客户"],
        ["A003", "E01", "星辰物流", "物流", "江苏", T("2025-04-01"), "普通客户"],
        ["A004", "E03", "星辰物流", "物流", "浙江", T("2025-05-01"), "普通客户"],
    ]
    assert _rows(data.sales, ["order_id", "client_id", "manager_id", "order_date", "amount"]) == [
        ["SO-001", "A001", "E01", T("2026-07-01"), 1200.0],
        ["SO-002", "A002", "E02", T("2026-07-01 12:00"), 3000.0],
        ["SO-007", "A001", "E03", T("2026-07-06"), -200.0],
    ]


def test_voided_and_under_review_records_are_set_aside_with_the_reason(folder: Path) -> None:
    """作废 and 审核中 orders and a 作废 account are rejects naming the status and the fix."""
    rejects = read_export(folder).rejects
    voided = rejects[rejects["check"] == "voided"]
    assert voided[["table", "source", "row", "column", "value"]].values.tolist() == [
        ["clients", "客户.xlsx", 5, "life_status", "作废"],
        ["sales", "销售订单.csv", 3, "life_status", "作废"],
        ["sales", "销售订单.csv", 4, "life_status", "审核中"],
    ]
    reason = voided["reason"].iloc[2]
    assert reason.startswith("life status 审核中 (under_review): only records whose 生命状态 is")
    assert "realised_statuses including 'under_review'" in reason


def test_realised_statuses_can_count_orders_under_review(folder: Path) -> None:
    """realised_statuses takes labels too: 审核中 orders then count as sales."""
    data = read_export(folder, realised_statuses=["normal", "审核中"])
    assert data.sales["order_id"].tolist() == ["SO-001", "SO-002", "SO-004", "SO-007"]
    assert "SO-004" not in data.rejects["value"].tolist()


def test_a_name_of_two_accounts_is_set_aside_and_an_unknown_name_rejected(folder: Path) -> None:
    """星辰物流 names A003 and A004: the order is set aside; 未知公司 is an unknown client."""
    rejects = read_export(folder).rejects
    sales = rejects[(rejects["table"] == "sales") & (rejects["check"] != "voided")]
    assert sales[["row", "column", "check", "value"]].values.tolist() == [
        [5, "client_id", "ambiguous_name", "星辰物流"],
        [6, "client_id", "reference", "未知公司"],
    ]
    assert sales["reason"].iloc[0] == (
        "客户名称 '星辰物流' names several accounts in 客户.xlsx (ids A003, A004); the row "
        "cannot be credited to one of them: rename the duplicates in Fxiaoke or remove one "
        "from the export, then export again"
    )


def test_every_row_read_is_kept_or_rejected(folder: Path) -> None:
    """Rows read = kept + rejected for each table, GBK detected for the CSV files."""
    summary = read_export(folder).summary()
    got = summary[["table", "source", "encoding", "rows_read", "rows_kept", "rows_rejected"]]
    assert got.astype(object).where(got.notna(), None).values.tolist() == [
        ["managers", "人员.csv", "gb18030", 3, 3, 0],
        ["clients", "客户.xlsx", None, 5, 4, 1],
        ["sales", "销售订单.csv", "gb18030", 7, 3, 4],
    ]


def test_mapping_report_shows_how_each_order_column_was_used(folder: Path) -> None:
    """Every header of the order export is mapped, used or ignored, once."""
    report = mapping_report(read_export(folder))
    orders = report[report["source"] == "销售订单.csv"]
    assert _rows(orders, ["source_column", "column", "status"]) == [
        ["销售订单编号", "order_id", "mapped"],
        ["客户名称", "client_id", "mapped"],
        ["下单日期", "order_date", "mapped"],
        ["销售订单金额(元)", "amount", "mapped"],
        ["订单状态", None, "ignored"],
        ["负责人", "manager_id", "mapped"],
        ["负责人主属部门", None, "ignored"],
        ["生命状态", None, "used"],
        ["创建时间", None, "ignored"],
    ]
    assert set(orders["object"]) == {"SalesOrderObj"}
    assert orders["note"].iloc[1] == "names resolved to ids through 客户.xlsx"
    assert len(report) == 7 + 11 + 9


def test_a_tenant_label_works_once_the_mapping_names_it(folder: Path) -> None:
    """成交金额(元) is no default label: the error names the accepted ones; a TOML fixes it."""
    text = (
        (DATA / "销售订单.csv")
        .read_bytes()
        .decode("gbk")
        .replace("销售订单金额(元)", "成交金额(元)")
    )
    (folder / "销售订单.csv").write_bytes(text.encode("gbk"))
    with pytest.raises(CrmFormatError, match=r"amount: order_amount or 销售订单金额 or 订单金额"):
        read_export(folder)
    mapping = folder.parent / "tenant.toml"
    mapping.write_text('[objects.SalesOrderObj.columns]\namount = ["成交金额"]\n', encoding="utf-8")
    data = read_export(folder, mapping=mapping)
    assert data.sales["amount"].tolist() == [1200.0, 3000.0, -200.0]


def test_a_custom_field_feeds_the_client_region_through_the_mapping(folder: Path) -> None:
    """The custom field 大区 replaces 省份 as the client's region."""
    mapping = folder.parent / "region.toml"
    mapping.write_text('[objects.AccountObj.columns]\nregion = "大区"\n', encoding="utf-8")
    data = read_export(folder, mapping=mapping)
    assert data.clients["region"].tolist() == ["华东", "华南", "华东", "华东"]
    report = mapping_report(data)
    assert report.loc[report["source_column"] == "大区", "status"].tolist() == ["mapped"]
    assert report.loc[report["source_column"] == "省份", "status"].tolist() == ["ignored"]


def test_without_a_people_export_managers_come_from_the_owners(folder: Path) -> None:
    """负责人 names become manager ids, 负责人主属部门 their team; the report says derived."""
    (folder / "人员.csv").unlink()
    data = read_export(folder)
    assert _rows(data.managers, ["manager_id", "name", "team"]) == [
        ["王芳", "王芳", "华东一部"],
        ["李雷", "李雷", "华南部"],
        ["张伟", "张伟", "华东一部"],
    ]
    assert data.sales["manager_id"].astype(str).tolist() == ["王芳", "李雷", "张伟"]
    report = mapping_report(data)
    derived = report[report["status"] == "derived"]
    assert derived[["source", "source_column", "table", "column"]].values.tolist() == [
        ["客户.xlsx", "负责人主属部门", "managers", "team"],
        ["销售订单.csv", "负责人主属部门", "managers", "team"],
        ["客户.xlsx", "负责人", "managers", "manager_id"],
        ["客户.xlsx", "负责人", "managers", "name"],
        ["销售订单.csv", "负责人", "managers", "manager_id"],
        ["销售订单.csv", "负责人", "managers", "name"],
    ]


def test_files_are_told_apart_by_headers_and_combined_per_object(folder: Path) -> None:
    """Order files named export_*.csv are recognised by their headers; both are read."""
    text = (DATA / "销售订单.csv").read_bytes().decode("gbk")
    lines = text.split("\r\n")
    (folder / "销售订单.csv").unlink()
    _gbk(folder / "export_1.csv", "\n".join(lines[:3]) + "\n")
    second = lines[7].replace("SO-007", "SO-008")
    _gbk(folder / "export_2.csv", lines[0] + "\n" + second + "\n")
    data = read_export(folder)
    assert data.sales["order_id"].tolist() == ["SO-001", "SO-002", "SO-008"]
    summary = data.summary()
    assert summary.loc[summary["table"] == "sales", "source"].item() == "export_1.csv, export_2.csv"


def test_headers_that_fit_two_objects_ask_for_a_rename(folder: Path) -> None:
    """A 商机 export named export.xlsx fits 商机 1.0 and 2.0 alike: rename it."""
    _xlsx(folder / "export.xlsx", ["商机名称", "客户名称", "负责人", "商机金额", "阶段状态"], [])
    with pytest.raises(CrmFormatError, match=r"export.xlsx: its headers fit .* equally well"):
        read_export(folder)


def test_opportunities_get_status_probability_and_close_date(folder: Path) -> None:
    """阶段状态 becomes open/won/lost, 赢率 60 or 30% a fraction, a 作废 商机 is set aside."""
    headers = ["商机名称", "客户名称", "负责人", "商机金额", "商机阶段", "阶段状态", "赢率",
               "结单日期", "创建时间", "生命状态"]  # fmt: skip
    _xlsx(
        folder / "商机.xlsx",
        headers,
        [
            ["OPP-1", "华美贸易", "王芳", "50,000.00", "方案报价", "进行中", "60", "2026/8/31",
             "2026-06-01 10:00", "正常"],
            ["OPP-2", "远大科技", "李雷", "12000", "赢单", "赢单", "100%", "2026-07-15",
             "2026-05-20", "正常"],
            ["OPP-3", "华美贸易", "张伟", "8000", "输单", "输单", "0", "2026-07-01",
             "2026-05-02", "正常"],
            ["OPP-4", "远大科技", "李雷", "1000", "需求确认", "进行中", "30%", "2026-09-01",
             "2026-06-02", "作废"],
        ],
    )  # fmt: skip
    data = read_export(folder)
    columns = ["opportunity_id", "client_id", "manager_id", "amount", "status", "stage",
               "probability", "expected_close", "created_date"]  # fmt: skip
    assert data.opportunities is not None
    assert _rows(data.opportunities, columns) == [
        ["OPP-1", "A001", "E01", 50000.0, "open", "方案报价", 0.6, T("2026-08-31"),
         T("2026-06-01 10:00")],
        ["OPP-2", "A002", "E02", 12000.0, "won", "赢单", 1.0, T("2026-07-15"), T("2026-05-20")],
        ["OPP-3", "A001", "E03", 8000.0, "lost", "输单", 0.0, T("2026-07-01"), T("2026-05-02")],
    ]  # fmt: skip
    rejects = data.rejects[data.rejects["table"] == "opportunities"]
    assert rejects[["source", "row", "check", "value"]].values.tolist() == [
        ["商机.xlsx", 4, "voided", "作废"]
    ]


def test_an_account_export_without_ids_uses_the_names(folder: Path) -> None:
    """Without 客户编号 the account name is the client id, and orders keep their names."""
    _xlsx(
        folder / "客户.xlsx",
        ["客户名称", "负责人", "生命状态"],
        [["华美贸易", "王芳", "正常"], ["远大科技", "李雷", "正常"]],
    )
    data = read_export(folder)
    assert data.clients["client_id"].tolist() == ["华美贸易", "远大科技"]
    assert data.sales["client_id"].astype(str).tolist() == ["华美贸易", "远大科技", "华美贸易"]


def test_payments_can_be_the_sales_through_the_mapping(tmp_path: Path) -> None:
    """A 回款 export mapped to sales (as the guide shows) gives payments as sales, voided ones set
    aside, with the client's name resolved through the 客户 export."""
    folder = tmp_path / "exports"
    folder.mkdir()
    accounts = "客户编号,客户名称,负责人,生命状态\nA001,华美贸易,王芳,正常\n"
    payments = (
        "回款编号,客户名称,回款日期,回款金额(元),负责人,生命状态\n"
        "P1,华美贸易,2026-07-01,500.00,王芳,正常\nP2,华美贸易,2026-07-02,300.00,王芳,作废\n"
    )
    (folder / "客户.csv").write_bytes(accounts.encode("gbk"))
    (folder / "回款.csv").write_bytes(payments.encode("gbk"))
    mapping = tmp_path / "payments.toml"
    mapping.write_text(
        '[objects.PaymentObj]\ntable = "sales"\nfiles = ["*回款*"]\n'
        "[objects.PaymentObj.columns]\n"
        'order_id = ["_id", "回款编号"]\nclient_id = ["account_id", "客户名称"]\n'
        'manager_id = ["owner", "负责人"]\norder_date = ["回款日期"]\namount = ["回款金额"]\n',
        encoding="utf-8",
    )
    data = read_export(folder, mapping=mapping)
    sales = data.sales[["order_id", "client_id", "manager_id", "order_date", "amount"]]
    assert sales.astype({"client_id": "str", "manager_id": "str"}).values.tolist() == [
        ["P1", "A001", "王芳", T("2026-07-01"), 500.0]
    ]
    assert data.rejects[["source", "row", "check"]].values.tolist() == [["回款.csv", 2, "voided"]]
